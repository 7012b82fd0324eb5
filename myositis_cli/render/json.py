"""``--format json`` (one JSON list) and ``--format jsonl`` (one record per line).

Both stream: a record is written as soon as its case is done, so memory stays
flat however many cases there are, and the json list is still one valid
document. Key order is fixed by ``results.record``, so the same inputs give
byte-identical output.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from ..results import CaseResult, record


def write_json(
    results: Iterable[CaseResult], out: TextIO, *, explain: bool = False, top: int | None = None
) -> Iterator[CaseResult]:
    """Write a JSON list, one record per case; yields each result once written."""
    out.write("[")
    first = True
    for result in results:
        text = json.dumps(record(result, explain=explain, top=top), ensure_ascii=False, indent=2)
        out.write(("\n" if first else ",\n") + _indent(text))
        first = False
        yield result
    out.write("\n]\n" if not first else "]\n")


def write_jsonl(
    results: Iterable[CaseResult], out: TextIO, *, explain: bool = False, top: int | None = None
) -> Iterator[CaseResult]:
    """Write one compact JSON record per line; yields each result once written."""
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for result in results:
        out.write(dumps(record(result, explain=explain, top=top)))
        out.write("\n")
        yield result


def _indent(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")
