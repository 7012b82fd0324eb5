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
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import OutputError
from ..results import REFERENCES_EACH, REFERENCES_ONCE, CaseResult, header, record

if TYPE_CHECKING:
    from ..pathway import Pathway

_compact = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_compact_ascii = json.JSONEncoder(ensure_ascii=True, separators=(",", ":")).encode
_pretty = json.JSONEncoder(ensure_ascii=False, indent=2).encode
_pretty_ascii = json.JSONEncoder(ensure_ascii=True, indent=2).encode

# orjson encodes a record about six times faster. Its output is byte-identical to
# the stdlib encoder's for what records hold, except for non-zero floats below
# 1e-4 (orjson writes 1e-7 or 0.00001 where Python writes 1e-07 and 1e-05) and
# integers beyond 64 bits (which it refuses): those records, and any output
# that merely looks like such a float, are encoded by the stdlib, which stays
# the reference. MYOSITIS_NO_ORJSON=1, or orjson missing, means the stdlib
# throughout.


def _tiny_float(out: bytes) -> bool:
    """Whether ``out`` has a digit, 'e-', a digit, or '0.0000': how orjson writes the
    floats it writes apart from Python."""
    if b"0.0000" in out:
        return True
    at = out.find(b"e-")
    while at != -1:
        if 0 < at < len(out) - 2 and 48 <= out[at - 1] <= 57 and 48 <= out[at + 2] <= 57:
            return True
        at = out.find(b"e-", at + 2)
    return False


_LARGEST = sys.float_info.max  # beyond it, infinity (and NaN fails every comparison)


def _same_in_both(result: CaseResult) -> bool:
    """Whether every float a record of ``result`` holds is one orjson writes as Python
    does (zero, or 1e-4 and above): then its bytes need no scan. A record's floats
    are its options' scores and what is taken now's months (a test keeps it so)."""
    rec = result.recommendation
    if rec is None:
        return True  # an error record's numbers are lines and columns
    for option in rec.options:
        score = option.score
        if score.__class__ is float and score != 0 and not 1e-4 <= abs(score) <= _LARGEST:
            return False
    for taking in rec.taking:
        months = taking.months
        if months.__class__ is float and months != 0 and not 1e-4 <= abs(months) <= _LARGEST:
            return False
    return True


try:
    if os.environ.get("MYOSITIS_NO_ORJSON"):
        raise ImportError
    import orjson

    ENCODER = "orjson"
except ImportError:
    orjson = None  # type: ignore[assignment]
    ENCODER = "json"


def _encoded(data: Any, option: int, reference: Any) -> bytes:
    """orjson's bytes where they equal the reference encoder's; the reference's otherwise."""
    if orjson is not None:
        try:
            out: bytes = orjson.dumps(data, option=option)
        except TypeError:  # an integer beyond 64 bits, a non-string key
            pass
        else:
            if not _tiny_float(out):
                return out
    return reference(data).encode("utf-8")  # type: ignore[no-any-return]


def _fast_compact(data: Any) -> bytes:
    return _encoded(data, 0, _compact)


def _fast_pretty(data: Any) -> bytes:
    return _encoded(data, orjson.OPT_INDENT_2 if orjson is not None else 0, _pretty)


LIST_SEPARATOR = b",\n"
LINE_SEPARATOR = b"\n"


class Encoder:
    """Turns one result into its JSON bytes (picklable, for worker processes)."""

    def __init__(
        self,
        pathway: Pathway,
        *,
        pretty: bool,
        explain: bool = False,
        top: int | None = None,
        ascii: bool = False,
        references: str = REFERENCES_EACH,
    ) -> None:
        self.pathway = pathway
        self.pretty = pretty
        self.explain = explain
        self.top = top
        self.ascii = ascii
        self.references = references

    def __call__(self, result: CaseResult) -> bytes:
        data = record(
            result,
            self.pathway,
            explain=self.explain,
            top=self.top,
            references=self.references,
        )
        return self.record_bytes(result, data)

    def record_bytes(self, result: CaseResult, data: dict[str, Any]) -> bytes:
        """The bytes of ``data``, the record of ``result``."""
        if orjson is not None and not self.pretty and not self.ascii and _same_in_both(result):
            try:
                return orjson.dumps(data)
            except TypeError:  # an integer beyond 64 bits
                pass
        return self.data(data)

    def data(self, data: Any) -> bytes:
        if self.pretty:
            if self.ascii:
                return ("  " + _pretty_ascii(data).replace("\n", "\n  ")).encode("utf-8")
            return b"  " + _fast_pretty(data).replace(b"\n", b"\n  ")
        if self.ascii:
            return _compact_ascii(data).encode("utf-8")
        return _fast_compact(data)

    def opening(self, *, as_list: bool) -> bytes:
        """What comes before the records: ``[``, or with ``--references once`` the header."""
        if self.references != REFERENCES_ONCE:
            return b"[" if as_list else b""
        head = header(self.pathway)
        if not as_list:  # JSON Lines: one header line, told apart by "header": true
            return self.data({"header": True, **head}) + LINE_SEPARATOR
        # JSON: an envelope whose last key is the list of records
        text = (_pretty_ascii if self.ascii else _pretty)({**head, "records": []})
        return text[: text.rindex("[")].encode("utf-8") + b"["

    def closing(self, *, as_list: bool, empty: bool) -> bytes:
        if not as_list:
            return b""
        end = b"]" if empty else b"\n]"
        return end + (b"\n}\n" if self.references == REFERENCES_ONCE else b"\n")


def _bytes_writer(sink: Any) -> Any:
    """How to write bytes to ``sink``: straight through, or as text for a plain text stream."""
    write_bytes = getattr(sink, "write_bytes", None)
    if write_bytes is not None:
        return write_bytes
    return lambda data: sink.write(data.decode("utf-8"))


def separator(*, as_list: bool) -> bytes:
    """What follows each record inside a block of ``write_blocks``."""
    return LIST_SEPARATOR if as_list else LINE_SEPARATOR


def write_blocks(blocks: Iterable[Any], sink: Any, encoder: Encoder, *, as_list: bool) -> None:
    """Write blocks of encoded records, each record followed by ``separator``.

    A block is bytes, a worker's memory file (``parallel.Spool``) that the
    kernel copies straight into the output where it can, or None: records
    its worker has written into the output file already (framing included).
    """
    write = _bytes_writer(sink)
    write(encoder.opening(as_list=as_list))
    out = _direct_output(sink)
    first = True
    for block in blocks:
        if block is None:
            first = False
            continue
        size = len(block) if isinstance(block, bytes) else block.size
        if not size:
            continue
        if as_list:
            write(b"\n" if first else LIST_SEPARATOR)
            size -= len(LIST_SEPARATOR)  # each block ends with one, the list's last does not
        first = False
        if isinstance(block, bytes):
            write(block[:size] if as_list else block)
            continue
        try:
            if out is not None:
                sink.flush()  # what is buffered goes first
                try:
                    sent = block.send(out, size)
                except OSError as exc:
                    raise OutputError(sink.where, exc.strerror or str(exc)) from None
                if sent:
                    continue
                out = None  # this output cannot take a kernel copy: read and write
            write(block.read(size))
        finally:
            block.close()
    if as_list:
        write(encoder.closing(as_list=True, empty=first))


def _direct_output(sink: Any) -> int | None:
    """The descriptor a memory file can be copied to, for a sink that writes bytes."""
    try:
        fd: int = sink.binary_fileno()
    except (AttributeError, OSError, ValueError):
        return None
    return fd


def _write(
    results: Iterable[CaseResult], sink: Any, encoder: Encoder, *, as_list: bool
) -> Iterator[CaseResult]:
    end = separator(as_list=as_list)
    write = _bytes_writer(sink)
    write(encoder.opening(as_list=as_list))
    if not as_list:
        for result in results:
            write(encoder(result) + end)
            yield result
        return
    first = True
    for result in results:
        write((b"\n" if first else end) + encoder(result))
        first = False
        yield result
    write(encoder.closing(as_list=True, empty=first))


def write_json(
    results: Iterable[CaseResult],
    sink: Any,
    pathway: Pathway,
    *,
    explain: bool = False,
    top: int | None = None,
    references: str = REFERENCES_EACH,
) -> Iterator[CaseResult]:
    """Write a JSON list, one record per case; yields each result once written."""
    encoder = Encoder(
        pathway,
        pretty=True,
        explain=explain,
        top=top,
        ascii=not getattr(sink, "utf8", True),
        references=references,
    )
    return _write(results, sink, encoder, as_list=True)


def write_jsonl(
    results: Iterable[CaseResult],
    sink: Any,
    pathway: Pathway,
    *,
    explain: bool = False,
    top: int | None = None,
    references: str = REFERENCES_EACH,
) -> Iterator[CaseResult]:
    """Write one compact JSON record per line; yields each result once written."""
    encoder = Encoder(
        pathway,
        pretty=False,
        explain=explain,
        top=top,
        ascii=not getattr(sink, "utf8", True),
        references=references,
    )
    return _write(results, sink, encoder, as_list=False)
