"""Inputs to results: one CaseResult per document, never an exception for a bad case.

An input is a file, a folder (every ``*.yaml``, ``*.yml``, ``*.json``,
``*.jsonl`` and ``*.csv`` file below it, in sorted order) or ``-`` for
standard input; ``--files-from`` adds the paths a list file names. A missing
path, an unreadable file or folder, anything that is not a regular file, or
a folder with no profiles is an ``io`` error record, so a script that passes
a list of files always gets one record per file and the batch goes on.
Problems are values here; nothing downstream reads files.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from . import loading
from .documents import SUFFIXES, format_for
from .pipeline import Pipeline, internal_problem
from .problems import Problem, label
from .results import CaseResult

STDIN = "-"
STDIN_LABEL = "<stdin>"
YAML_SUFFIXES = (".yaml", ".yml")
INPUT_SUFFIXES = tuple(SUFFIXES)


class Source(NamedTuple):
    """One thing to read: a file path, or standard input."""

    label: str  # as the user will see it in records and messages
    path: str | None  # None: standard input
    problem: Problem | None = None  # known bad before reading (missing, empty folder)
    fmt: str = "yaml"  # yaml | json | jsonl | csv


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity), for --jobs 0."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def expand(inputs: Iterable[str], input_format: str = "auto") -> Iterator[Source]:
    """Sources in input order; folders expand to their profile files, sorted."""
    for raw in inputs:
        if raw == STDIN:
            yield Source(STDIN_LABEL, None, fmt=format_for(None, input_format))
            continue
        shown = label(raw)
        try:
            info = os.stat(raw)
        except FileNotFoundError:
            kind = "broken symbolic link" if os.path.islink(raw) else "no such file or directory"
            yield Source(shown, raw, Problem("io", kind))
            continue
        except OSError as exc:
            yield Source(shown, raw, Problem("io", f"cannot read: {exc.strerror or exc}"))
            continue
        if stat.S_ISDIR(info.st_mode):
            found = False
            for source in _below(raw, input_format):
                found = True
                yield source
            if not found:
                yield Source(
                    shown,
                    raw,
                    Problem(
                        "io",
                        "no profile files in this folder ("
                        + ", ".join(f"*{s}" for s in INPUT_SUFFIXES)
                        + ")",
                    ),
                )
        else:
            yield Source(shown, raw, fmt=format_for(raw, input_format))


def _below(folder: str, input_format: str) -> Iterator[Source]:
    """Profile files below ``folder`` in the order of their sorted full paths, streamed.

    Sorting each folder's names, with '/' after a folder's name, gives the
    same order as sorting every full path, while holding only the names of
    the folders on the current path (names, not directory entries: a flat
    folder of 200,000 files costs its names only). Symlinked folders are not
    followed; an unreadable folder is an ``io`` record, never skipped.
    """
    try:
        with os.scandir(folder) as listing:
            names = [e.name + "/" if e.is_dir(follow_symlinks=False) else e.name for e in listing]
    except PermissionError:
        yield Source(
            label(folder), folder, Problem("io", "permission denied: cannot list this folder")
        )
        return
    except OSError as exc:
        yield Source(
            label(folder), folder, Problem("io", f"cannot list this folder: {exc.strerror or exc}")
        )
        return
    names.sort()
    # os.path.join's result, without its per-call work: this loop runs once per file
    prefix = os.path.join(folder, "")
    fixed = None if input_format == "auto" else input_format
    for name in names:
        if name.endswith("/"):
            yield from _below(prefix + name[:-1], input_format)
            continue
        lowered = name.lower()
        # every profile suffix has one dot, so the name's last one finds it
        fmt = SUFFIXES.get(lowered[lowered.rfind(".") :])
        if fmt is not None:
            path = prefix + name
            yield Source(label(path), path, None, fixed or fmt)


def files_from(list_path: str, *, nul: bool = False) -> Iterator[str]:
    """The paths a list file names, one per line (or NUL-separated), as ``tar -T`` reads them.

    ``-`` reads the list from standard input. Blank lines are skipped; a
    missing list file is a usage error (raised by the caller).
    """
    if list_path == STDIN:
        data = sys.stdin.buffer.read() if sys.stdin is not None else b""
    else:
        with open(list_path, "rb") as handle:
            data = handle.read()
    separator = b"\0" if nul else b"\n"
    for raw in data.split(separator):
        if not nul:
            raw = raw.rstrip(b"\r")
        if raw.strip():
            yield os.fsdecode(raw)


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
            if sys.stdin is None:
                raise loading.LoadError("io", "standard input is closed")
            data = loading.read_stream(sys.stdin.buffer, pipeline.limits)
        else:
            data = loading.read_file(source.path, pipeline.limits)
    except loading.LoadError as exc:
        yield CaseResult(source.label, 0, None, problems=(exc.problem(),))
        return
    except OSError as exc:
        problem = Problem("io", f"cannot read: {exc.strerror or exc}")
        yield CaseResult(source.label, 0, None, problems=(problem,))
        return
    yield from pipeline.run_bytes(source.label, data, source.fmt)
