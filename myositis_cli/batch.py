"""Inputs to results: one CaseResult per document, never an exception for a bad case.

An input is a file, a directory (every ``*.yaml``/``*.yml`` below it, in
sorted order) or ``-`` for standard input. A missing path, an unreadable
file or a directory with no YAML is an ``io`` error record, so a script that
passes a list of files always gets one record per file and the batch goes
on. Problems are values here; nothing downstream reads files.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from . import loading
from .pipeline import Pipeline, internal_problem
from .problems import Problem
from .results import CaseResult

STDIN = "-"
STDIN_LABEL = "<stdin>"
YAML_SUFFIXES = (".yaml", ".yml")


class Source(NamedTuple):
    """One thing to read: a file path, or standard input."""

    label: str  # as the user will see it in records and messages
    path: str | None  # None: standard input
    problem: Problem | None = None  # known bad before reading (missing, empty folder)


def expand(inputs: Iterable[str]) -> Iterator[Source]:
    """Sources in input order; directories expand to their YAML files, sorted."""
    for raw in inputs:
        if raw == STDIN:
            yield Source(STDIN_LABEL, None)
        elif os.path.isdir(raw):
            found = False
            for path in _yaml_below(raw):
                found = True
                yield Source(path, path)
            if not found:
                yield Source(raw, raw, Problem("io", "no *.yaml or *.yml files in this directory"))
        elif os.path.exists(raw) or os.path.islink(raw):
            yield Source(raw, raw)
        else:
            yield Source(raw, raw, Problem("io", "no such file or directory"))


def _yaml_below(directory: str) -> Iterator[str]:
    """YAML files below ``directory`` in the order of their sorted full paths, streamed.

    Sorting each folder's entries by name, with '/' after a folder's name,
    gives the same order as sorting every full path, while holding only one
    folder's listing at a time. Symlinked folders are not followed.
    """
    try:
        with os.scandir(directory) as listing:
            entries = [
                (e.name + ("/" if e.is_dir(follow_symlinks=False) else ""), e) for e in listing
            ]
    except OSError:
        return
    entries.sort(key=lambda item: item[0])
    for key, entry in entries:
        if key.endswith("/"):
            yield from _yaml_below(entry.path)
        elif entry.name.endswith(YAML_SUFFIXES):
            yield entry.path


def run(pipeline: Pipeline, sources: Iterable[Source]) -> Iterator[CaseResult]:
    """One result per document of every source, in order; a bug costs one record."""
    for source in sources:
        for_source = run_source(pipeline, source)
        index = 0
        while True:
            try:
                result = next(for_source)
            except StopIteration:
                break
            except Exception as exc:  # a bug must cost one record, never the batch
                yield CaseResult(source.label, index, None, problems=(internal_problem(exc),))
                break
            index = result.document + 1
            yield result


def run_source(pipeline: Pipeline, source: Source) -> Iterator[CaseResult]:
    if source.problem is not None:
        yield CaseResult(source.label, 0, None, problems=(source.problem,))
        return
    try:
        if source.path is None:
            data = loading.read_stream(sys.stdin.buffer, pipeline.limits)
        else:
            data = loading.read_file(source.path, pipeline.limits)
    except loading.LoadError as exc:
        yield CaseResult(source.label, 0, None, problems=(exc.problem(),))
        return
    yield from pipeline.run_bytes(source.label, data)
