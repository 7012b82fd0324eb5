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
from typing import Any, NamedTuple

from . import loading
from .engine import suggest
from .pathway import Pathway
from .profile import ProfileProblems, build_profile, therapy_problems
from .results import CaseResult
from .validation import Problem, Validator

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


class CaseRunner:
    """Everything one process needs to turn documents into results, made once."""

    def __init__(
        self,
        pathway: Pathway,
        validator: Validator,
        limits: loading.Limits,
        *,
        trace: bool = False,
        engine: bool = True,
    ) -> None:
        self.pathway = pathway
        self.validator = validator
        self.limits = limits
        self.trace = trace
        self.engine = engine  # False: schema and semantic checks only (validate)

    def run_source(self, source: Source) -> Iterator[CaseResult]:
        if source.problem is not None:
            yield CaseResult(source.label, 0, None, problems=(source.problem,))
            return
        try:
            if source.path is None:
                data = loading.read_stream(sys.stdin.buffer, self.limits)
            else:
                data = loading.read_file(source.path, self.limits)
        except loading.LoadError as exc:
            yield CaseResult(source.label, 0, None, problems=(Problem(exc.kind, exc.message),))
            return
        for document in loading.iter_documents(data, self.limits):
            yield self.run_document(source.label, document)

    def run_document(self, label: str, document: loading.Document) -> CaseResult:
        if document.error is not None:
            e = document.error
            problem = Problem(e.kind, e.message, e.pointer or "", e.line, e.column)
            return CaseResult(label, document.number, None, problems=(problem,))
        data = document.data
        case_id = _case_id(data)
        chunk = document.chunk
        assert chunk is not None
        if data is None:
            line = chunk.line_offset + 1
            return CaseResult(
                label,
                document.number,
                None,
                problems=(
                    Problem("schema", "empty document: expected a profile mapping", "", line, 1),
                ),
            )
        if not self.validator.is_valid(data):
            root = loading.compose(chunk)
            found = self.validator.problems(data, root) + therapy_problems(data, self.pathway)
            problems = tuple(
                p.located(root, chunk.line_offset, key=p.message.startswith("unknown key"))
                for p in found
            )
            return CaseResult(label, document.number, case_id, problems=_in_line_order(problems))
        try:
            profile = build_profile(data, self.pathway)
        except ProfileProblems as exc:
            root = loading.compose(chunk)
            return CaseResult(
                label,
                document.number,
                case_id,
                problems=tuple(p.located(root, chunk.line_offset) for p in exc.problems),
            )
        if not self.engine:
            return CaseResult(label, document.number, case_id)
        recommendation = suggest(self.pathway, profile, trace=self.trace)
        return CaseResult(label, document.number, case_id, recommendation)

    def run(self, sources: Iterable[Source]) -> Iterator[CaseResult]:
        for source in sources:
            for_source = self.run_source(source)
            index = 0
            while True:
                try:
                    result = next(for_source)
                except StopIteration:
                    break
                except Exception as exc:  # a bug must cost one record, never the batch
                    yield CaseResult(source.label, index, None, problems=(_internal(exc),))
                    break
                index = result.document + 1
                yield result


def _internal(exc: BaseException) -> Problem:
    return Problem(
        "internal", f"internal error ({type(exc).__name__}: {exc}); please report this input"
    )


def _in_line_order(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))


def _case_id(data: Any) -> str | None:
    if isinstance(data, dict):
        value = data.get("id")
        if isinstance(value, str):
            return value
    return None
