"""``--format json`` (one JSON list) and ``--format jsonl`` (one record per line).

Both stream: a record is written as soon as its case is done, so memory stays
flat however many cases there are, and the json list is still one valid
document. Key order is fixed by ``results.record``, so the same inputs give
byte-identical output. Encoding is a pure function of one result, so worker
processes (``--jobs``) can encode records themselves and send back text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TextIO

from ..results import CaseResult, record

_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_pretty = json.JSONEncoder(ensure_ascii=False, indent=2).encode


class Encoder:
    """Turns one result into its JSON text (picklable, for worker processes)."""

    def __init__(self, *, pretty: bool, explain: bool = False, top: int | None = None) -> None:
        self.pretty = pretty
        self.explain = explain
        self.top = top

    def __call__(self, result: CaseResult) -> str:
        data = record(result, explain=self.explain, top=self.top)
        return _indent(_pretty(data)) if self.pretty else _compact(data)


def write_encoded(
    items: Iterable[tuple[CaseResult, str]], out: TextIO, *, as_list: bool
) -> Iterator[CaseResult]:
    """Write already-encoded records: one per line, or as the items of one JSON list."""
    if not as_list:
        for result, text in items:
            out.write(text)
            out.write("\n")
            yield result
        return
    out.write("[")
    first = True
    for result, text in items:
        out.write(("\n" if first else ",\n") + text)
        first = False
        yield result
    out.write("\n]\n" if not first else "]\n")


def write_blocks(blocks: Iterable[str], out: TextIO, *, as_list: bool) -> None:
    """Write blocks of records already joined by ",\n" (json) or "\n" (jsonl)."""
    if not as_list:
        for block in blocks:
            if block:
                out.write(block)
                out.write("\n")
        return
    out.write("[")
    first = True
    for block in blocks:
        if block:
            out.write(("\n" if first else ",\n") + block)
            first = False
    out.write("\n]\n" if not first else "]\n")


def separator(*, as_list: bool) -> str:
    """How records are joined inside a block of ``write_blocks``."""
    return ",\n" if as_list else "\n"


def write_json(
    results: Iterable[CaseResult], out: TextIO, *, explain: bool = False, top: int | None = None
) -> Iterator[CaseResult]:
    """Write a JSON list, one record per case; yields each result once written."""
    encode = Encoder(pretty=True, explain=explain, top=top)
    return write_encoded(((r, encode(r)) for r in results), out, as_list=True)


def write_jsonl(
    results: Iterable[CaseResult], out: TextIO, *, explain: bool = False, top: int | None = None
) -> Iterator[CaseResult]:
    """Write one compact JSON record per line; yields each result once written."""
    encode = Encoder(pretty=False, explain=explain, top=top)
    return write_encoded(((r, encode(r)) for r in results), out, as_list=False)


def _indent(text: str) -> str:
    return "  " + text.replace("\n", "\n  ")
