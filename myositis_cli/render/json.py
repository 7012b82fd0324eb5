"""``--format json`` (one JSON list) and ``--format jsonl`` (one record per line).

Both stream: a record is written as soon as its case is done, so memory stays
flat however many cases there are, and the json list is still one valid
document. Key order is fixed by ``results.record``, so the same inputs give
byte-identical output. Encoding is a pure function of one result, to bytes,
so worker processes (``--jobs``) encode records themselves and the main
process writes their bytes without decoding them.

Output is always valid UTF-8: bytes the file system gave that are not UTF-8
are escaped in ``source`` (see ``problems.label``), and where the output
stream is not UTF-8 (an ASCII locale) every non-ASCII character is written
as a ``\\u`` escape, which any reader decodes to the same text.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from ..results import CaseResult, record

_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_compact_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
_pretty = json.JSONEncoder(ensure_ascii=False, indent=2).encode
_pretty_ascii = json.JSONEncoder(ensure_ascii=True, indent=2).encode

LIST_SEPARATOR = b",\n"
LINE_SEPARATOR = b"\n"


class Encoder:
    """Turns one result into its JSON bytes (picklable, for worker processes)."""

    def __init__(
        self, *, pretty: bool, explain: bool = False, top: int | None = None, ascii: bool = False
    ) -> None:
        self.pretty = pretty
        self.explain = explain
        self.top = top
        self.ascii = ascii

    def __call__(self, result: CaseResult) -> bytes:
        return self.data(record(result, explain=self.explain, top=self.top))

    def data(self, data: Any) -> bytes:
        if self.pretty:
            text = (_pretty_ascii if self.ascii else _pretty)(data)
            return ("  " + text.replace("\n", "\n  ")).encode("utf-8")
        return (_compact_ascii if self.ascii else _compact)(data).encode("utf-8")


def _bytes_writer(sink: Any) -> Any:
    """How to write bytes to ``sink``: straight through, or as text for a plain text stream."""
    write_bytes = getattr(sink, "write_bytes", None)
    if write_bytes is not None:
        return write_bytes
    return lambda data: sink.write(data.decode("utf-8"))


def separator(*, as_list: bool) -> bytes:
    """What follows each record inside a block of ``write_blocks``."""
    return LIST_SEPARATOR if as_list else LINE_SEPARATOR


def write_blocks(blocks: Iterable[bytes], sink: Any, *, as_list: bool) -> None:
    """Write blocks of encoded records, each record followed by ``separator``."""
    write = _bytes_writer(sink)
    if not as_list:
        for block in blocks:
            if block:
                write(block)
        return
    write(b"[")
    first = True
    for block in blocks:
        if block:
            write((b"\n" if first else LIST_SEPARATOR) + block[: -len(LIST_SEPARATOR)])
            first = False
    write(b"\n]\n" if not first else b"]\n")


def _write(
    results: Iterable[CaseResult], sink: Any, encoder: Encoder, *, as_list: bool
) -> Iterator[CaseResult]:
    end = separator(as_list=as_list)
    write = _bytes_writer(sink)
    if not as_list:
        for result in results:
            write(encoder(result) + end)
            yield result
        return
    write(b"[")
    first = True
    for result in results:
        write((b"\n" if first else end) + encoder(result))
        first = False
        yield result
    write(b"\n]\n" if not first else b"]\n")


def write_json(
    results: Iterable[CaseResult],
    sink: Any,
    *,
    explain: bool = False,
    top: int | None = None,
) -> Iterator[CaseResult]:
    """Write a JSON list, one record per case; yields each result once written."""
    encoder = Encoder(pretty=True, explain=explain, top=top, ascii=not getattr(sink, "utf8", True))
    return _write(results, sink, encoder, as_list=True)


def write_jsonl(
    results: Iterable[CaseResult],
    sink: Any,
    *,
    explain: bool = False,
    top: int | None = None,
) -> Iterator[CaseResult]:
    """Write one compact JSON record per line; yields each result once written."""
    encoder = Encoder(pretty=False, explain=explain, top=top, ascii=not getattr(sink, "utf8", True))
    return _write(results, sink, encoder, as_list=False)
