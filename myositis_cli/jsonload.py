"""JSON and JSON Lines input, as strict as the YAML loader.

Duplicate keys are errors (located by line and column), ``NaN`` and
``Infinity`` are refused, an integer longer than Python will convert is an
error rather than a crash, and nesting is bounded before parsing. A JSON file
holds one profile or an array of profiles (one document each); a JSON Lines
file holds one profile per non-blank line, each located by its line.

Parsing uses the C-accelerated ``json`` module; positions are found by a
small scanner only when a problem has to be located.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from typing import Any

from .documents import Document
from .loading import DEFAULT_LIMITS, Limits, LoadError, decode
from .problems import Problem, escape_part, pointer_parts

_MAX_DIGITS = 4000  # below CPython's int/str conversion limit (4300 digits)


class _Refused(ValueError):
    """A value JSON can write but a profile may not hold (raised inside json.loads)."""


def _int(text: str) -> int:
    if len(text) > _MAX_DIGITS:
        raise _Refused(f"number with {len(text):,} digits is too long")
    return int(text)


def _float(text: str) -> float:
    if len(text) > _MAX_DIGITS:
        raise _Refused(f"number with {len(text):,} digits is too long")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused(f"'{text}' is too large to be a number")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"'{name}' is not a number JSON allows")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Refused("duplicate key")
    return mapping


_DECODER = json.JSONDecoder(
    object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant
)


def loads(text: str, limits: Limits = DEFAULT_LIMITS, line_offset: int = 0) -> Any:
    """One JSON value, or a LoadError located in ``text``."""
    too_deep = _too_deep(text, limits.max_depth)
    if too_deep is not None:
        line, column = _line_column(text, too_deep)
        raise LoadError(
            "json",
            f"nesting deeper than {limits.max_depth} levels (raise the limit with --max-depth)",
            line_offset + line,
            column,
        )
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        message, offset = _decode_message(exc)
        line, column = _line_column(text, offset)
        raise LoadError("json", message, line_offset + line, column) from None
    except _Refused as exc:
        raise _locate_refusal(text, str(exc), line_offset) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise LoadError("json", "nesting too deep") from None


_PADDED = re.compile(r"(?<![\d.eE+-])-?0\d+")


def _decode_message(exc: json.JSONDecodeError) -> tuple[str, int]:
    """json's message in our wording, and where it applies."""
    for start in (exc.pos - 2, exc.pos - 1):
        padded = _PADDED.match(exc.doc, max(start, 0))
        if padded is not None and padded.start() < exc.pos < padded.end():
            number = padded.group(0)
            message = (
                f"'{number}' is a zero-padded number, which JSON does not allow; "
                f'write {int(number)} (or "{number}" if it is text)'
            )
            return message, padded.start()
    return exc.msg[0].lower() + exc.msg[1:], exc.pos


def iter_json(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document]:
    """The documents of a JSON file: its value, or each item of a top-level array."""
    try:
        text = decode(data)
        if not text.strip():
            raise LoadError("json", "empty file: expected a JSON object", 1, 1)
        value = loads(text, limits)
    except LoadError as exc:
        yield Document(0, problems=(exc.problem(),))
        return
    locator = JsonLocator(text)
    if isinstance(value, list):
        if not value:
            yield Document(
                0, problems=(Problem("json", "empty array: expected profiles", "", 1, 1),)
            )
        for index, item in enumerate(value):
            yield Document(index, item, locator=locator.within(index))
        return
    yield Document(0, value, locator=locator)


def iter_jsonl(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document]:
    """One document per non-blank line, each located by its line."""
    try:
        text = decode(data)
    except LoadError as exc:
        yield Document(0, problems=(exc.problem(),))
        return
    number = 0
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        try:
            value = loads(line, limits, index)
        except LoadError as exc:
            yield Document(number, problems=(exc.problem(),), line=index + 1)
        else:
            yield Document(number, value, locator=JsonLocator(line, index), line=index + 1)
        number += 1
    if number == 0:
        yield Document(0, problems=(Problem("json", "empty file: expected JSON lines", "", 1, 1),))


# --------------------------------------------------------------------------
# Positions: a scanner used only to report a problem.


_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SCALAR = re.compile(r"[^,\]}\s]+")


_BRACKET_OR_QUOTE = re.compile(r'["\[\]{}]')


def _too_deep(text: str, limit: int) -> int | None:
    """Where nesting first passes ``limit`` (outside strings), or None; linear."""
    if text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    position = 0
    while True:
        match = _BRACKET_OR_QUOTE.search(text, position)
        if match is None:
            return None
        char = match.group(0)
        if char == '"':
            end = _STRING.match(text, match.start())
            if end is None:
                return None
            position = end.end()
            continue
        if char in "[{":
            depth += 1
            if depth > limit:
                return match.start()
        else:
            depth -= 1
        position = match.end()


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _Scan:
    """Pointer -> (key offset, value offset, value text) for every node of one JSON text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.nodes: dict[str, tuple[int | None, int, str]] = {}
        self.duplicate: tuple[str, int, int] | None = None  # pointer, offset, first offset
        self.refused: tuple[str, int] | None = None

    def run(self) -> _Scan:
        # a syntax error stops the scan: json.loads has already reported it
        with contextlib.suppress(IndexError, ValueError, AttributeError, AssertionError):
            self._value(_WS.match(self.text, 0).end(), "", None)  # type: ignore[union-attr]
        return self

    def _value(self, at: int, pointer: str, key_at: int | None) -> int:
        text = self.text
        char = text[at]
        if char == "{":
            self.nodes[pointer] = (key_at, at, "")
            seen: dict[str, int] = {}
            at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
            if text[at] == "}":
                return at + 1
            while True:
                match = _STRING.match(text, at)
                assert match is not None
                key = json.loads(match.group(0))
                if key in seen and self.duplicate is None:
                    self.duplicate = (f"{pointer}/{escape_part(key)}", at, seen[key])
                seen.setdefault(key, at)
                at = _WS.match(text, match.end()).end()  # type: ignore[union-attr]
                at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]  # past ':'
                at = self._value(at, f"{pointer}/{escape_part(key)}", match.start())
                at = _WS.match(text, at).end()  # type: ignore[union-attr]
                if text[at] == "}":
                    return at + 1
                at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]  # past ','
        if char == "[":
            self.nodes[pointer] = (key_at, at, "")
            at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
            if text[at] == "]":
                return at + 1
            index = 0
            while True:
                at = self._value(at, f"{pointer}/{index}", None)
                index += 1
                at = _WS.match(text, at).end()  # type: ignore[union-attr]
                if text[at] == "]":
                    return at + 1
                at = _WS.match(text, at + 1).end()  # type: ignore[union-attr]
        if char == '"':
            match = _STRING.match(text, at)
            assert match is not None
            self.nodes[pointer] = (key_at, at, match.group(0))
            return match.end()
        match = _SCALAR.match(text, at)
        assert match is not None
        token = match.group(0)
        self.nodes[pointer] = (key_at, at, token)
        if self.refused is None:
            try:
                if token in ("NaN", "Infinity", "-Infinity"):
                    _constant(token)
                elif re.fullmatch(r"-?\d+", token):
                    _int(token)
                elif token not in ("true", "false", "null"):
                    _float(token)
            except _Refused as exc:
                self.refused = (str(exc), at)
        return match.end()


def _locate_refusal(text: str, message: str, line_offset: int) -> LoadError:
    scan = _Scan(text).run()
    if message == "duplicate key" and scan.duplicate is not None:
        pointer, offset, first = scan.duplicate
        key = pointer_parts(pointer)[-1]
        line, column = _line_column(text, offset)
        first_line = _line_column(text, first)[0] + line_offset
        return LoadError(
            "json",
            f"duplicate key '{key}' (first defined at line {first_line})",
            line_offset + line,
            column,
            pointer,
        )
    if scan.refused is not None:
        refused, offset = scan.refused
        line, column = _line_column(text, offset)
        return LoadError("json", refused, line_offset + line, column)
    return LoadError("json", message)


class JsonLocator:
    """Maps JSON pointers of one JSON text to lines and columns (scanned on first use)."""

    __slots__ = ("_scan", "line_offset", "prefix", "text")

    def __init__(self, text: str, line_offset: int = 0, prefix: str = "") -> None:
        self.text = text
        self.line_offset = line_offset
        self.prefix = prefix
        self._scan: _Scan | None = None

    def within(self, *parts: str | int) -> JsonLocator:
        inner = JsonLocator(
            self.text, self.line_offset, self.prefix + "".join(f"/{escape_part(p)}" for p in parts)
        )
        inner._scan = self._scan
        return inner

    def _nodes(self) -> dict[str, tuple[int | None, int, str]]:
        if self._scan is None:
            self._scan = _Scan(self.text).run()
        return self._scan.nodes

    def _find(self, parts: list[str | int]) -> tuple[str, tuple[int | None, int, str]] | None:
        nodes = self._nodes()
        pointer = self.prefix + "".join(f"/{escape_part(p)}" for p in parts)
        while True:
            found = nodes.get(pointer)
            if found is not None:
                return pointer, found
            if not pointer:
                return None
            pointer = pointer[: pointer.rfind("/")]

    def locate(self, parts: list[str | int], *, key: bool = False) -> tuple[int, int] | None:
        found = self._find(parts)
        if found is None:
            return None
        _, (key_at, value_at, _) = found
        offset = key_at if key and key_at is not None else value_at
        line, column = _line_column(self.text, offset)
        return self.line_offset + line, column

    def written(self, parts: list[str | int]) -> str | None:
        found = self._find(parts)
        if found is None:
            return None
        pointer, (_, _, token) = found
        wanted = self.prefix + "".join(f"/{escape_part(p)}" for p in parts)
        if pointer != wanted or not token or token.startswith('"'):
            return None  # strings are shown by value; only numbers and literals as written
        return token
