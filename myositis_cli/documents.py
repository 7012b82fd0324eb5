"""Bytes to documents, whatever the input format: the first stage of the case pipeline.

A source (a file, standard input, a string given to the API) is split into
documents: the documents of a YAML stream, the one value of a JSON file, the
lines of a JSON Lines file, the rows of a CSV file. Each ``Document`` holds
plain data or the ``Problem`` that stopped it, and a ``Locator`` that maps a
JSON pointer back to a line and column of the source, used only when a
problem has to be reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from .problems import Locator, Problem

INPUT_FORMATS = ("yaml", "json", "jsonl", "csv")
SUFFIXES = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
}


class Document(NamedTuple):
    """One document of a source: its data, or the problems that stopped it."""

    number: int  # 0-based position in its source
    data: Any = None
    problems: tuple[Problem, ...] = ()
    locator: Locator | None = None
    line: int = 1  # where the document starts in its source (for an empty document's error)

    @property
    def error(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def format_for(path: str | None, requested: str = "auto") -> str:
    """The input format of a source: as requested, else by its suffix, else YAML."""
    if requested != "auto":
        return requested
    if path:
        lowered = path.lower()
        for suffix, name in SUFFIXES.items():
            if lowered.endswith(suffix):
                return name
    return "yaml"


def parse(data: bytes, fmt: str, limits: Any) -> Iterator[Document]:
    """Every document of a source in ``fmt``, in order; never raises for bad input."""
    if fmt == "yaml":
        from .loading import iter_documents

        yield from iter_documents(data, limits)
    elif fmt == "json":
        from .jsonload import iter_json

        yield from iter_json(data, limits)
    elif fmt == "jsonl":
        from .jsonload import iter_jsonl

        yield from iter_jsonl(data, limits)
    elif fmt == "csv":
        from .csvload import iter_csv

        yield from iter_csv(data, limits)
    else:  # pragma: no cover - the CLI's choices are INPUT_FORMATS
        raise ValueError(f"unknown input format {fmt!r}")
