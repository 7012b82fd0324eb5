"""The loader's fast path: an ordinary document's data straight from libyaml's events.

An ordinary document (no anchors or aliases, core tags only, string keys, plain
decimals, no duplicate or merge keys) is turned into data by one walk over the
C parser's events: no node graph, no per-node constructor. Whatever this does
not handle raises ``Fallback``, and ``loading`` reads the document again with
PyYAML's full constructor: same data, same errors, every YAML 1.1 message
kept. tests/properties/test_loader.py proves both paths agree. A module of its
own so the compiled build (hatch_build.py) compiles it with the engine.
"""

from __future__ import annotations

import math
import re
from typing import Any

import yaml

_TAG_PREFIX = "tag:yaml.org,2002:"
_INT, _FLOAT = _TAG_PREFIX + "int", _TAG_PREFIX + "float"
_BOOL, _NULL = _TAG_PREFIX + "bool", _TAG_PREFIX + "null"
_BOOLS: dict[str, bool] = yaml.constructor.SafeConstructor.bool_values

# The core schema's implicit resolvers, shared with loading's full path. Dates
# stay strings: a profile never needs a datetime, and 2021-07-15 typed where a
# string is expected must be reported as what the user wrote.
RESOLVERS: dict[Any, list[tuple[str, Any]]] = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _TAG_PREFIX + "timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}

# YAML 1.1 reads 060 as 48 (octal), 1:05 as 65 (base 60), 0x1F, 0b11 and 1_000 as
# numbers too. A clinical value must never silently become another number, so
# only plain decimals are numbers; every other form is an error that says how
# to write it (quoted, any of them is text).
PLAIN_INT: re.Pattern[str] = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
PLAIN_FLOAT: re.Pattern[str] = re.compile(r"^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$")
MAX_DIGITS: int = 4000  # below CPython's int/str conversion limit (4300 digits)

# the libyaml parser: C speed, and it refuses nesting past 1000 itself
CParser: Any = (
    getattr(yaml.cyaml, "CParser", None) if getattr(yaml, "__with_libyaml__", False) else None
)


class Fallback(Exception):
    """Not an ordinary document: the full path reads it."""


_MISSING: Any = object()

# The same few plain scalars (true, no, 60, 2.5) recur in every profile: each is
# resolved once per process. Values only (immutable); the first few thousand.
READ: dict[str, Any] = {}
READ_LIMIT: int = 4096


def _plain(value: str) -> Any:
    """A plain scalar as the core-schema resolver and constructor read it, or Fallback."""
    for tag, regexp in RESOLVERS.get(value[:1], ()):
        if not regexp.match(value):
            continue
        if tag == _BOOL:
            return _BOOLS[value.lower()]
        if tag == _NULL:
            return None
        if tag == _INT and len(value) <= MAX_DIGITS and PLAIN_INT.match(value):
            return int(value)
        if tag == _FLOAT and len(value) <= MAX_DIGITS and PLAIN_FLOAT.match(value):
            number = float(value)
            if math.isfinite(number):
                return number
        raise Fallback  # 060, 1:05, 0x3C, .inf, '<<', '=': the full path says what they are
    return value


_SCALAR, _MAP_START, _SEQ_START = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_MAP_END, _SEQ_END, _DOC_END = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.DocumentEndEvent
_DOC_START = yaml.DocumentStartEvent


def data(text: str) -> Any:
    """One document's data from libyaml's events, or Fallback."""
    parser = CParser(text)
    resolvers = RESOLVERS
    read = READ
    try:
        get = parser.get_event
        get()  # stream start
        if type(get()) is not _DOC_START:
            raise Fallback  # an empty stream
        stack: list[Any] = []  # open containers
        keys: list[Any] = []  # per open container: the pending key of a mapping
        root: Any = _MISSING
        while True:
            event = get()
            kind = type(event)
            value: Any
            if kind is _SCALAR:
                if event.anchor is not None or (event.tag is not None and event.tag != "!"):
                    raise Fallback
                value = event.value
                plain = event.implicit[0]
                if plain and value[:1] in resolvers:
                    known = read.get(value, _MISSING)
                    if known is _MISSING:
                        known = _plain(value)
                        if len(read) < READ_LIMIT:
                            read[value] = known
                    value = known
                elif not plain and not event.style and event.tag != "!":
                    raise Fallback
                is_string = type(value) is str
            elif kind is _MAP_START or kind is _SEQ_START:
                if event.anchor is not None or event.tag is not None:
                    raise Fallback
                stack.append({} if kind is _MAP_START else [])
                keys.append(_MISSING)
                continue
            elif kind is _MAP_END or kind is _SEQ_END:
                value = stack.pop()
                keys.pop()
                is_string = False
            elif kind is _DOC_END:
                break
            else:
                raise Fallback  # an alias
            if not stack:
                root = value
                continue
            container = stack[-1]
            if type(container) is list:
                container.append(value)
            elif keys[-1] is _MISSING:
                if not is_string or value in container:
                    raise Fallback  # a non-string key, or a duplicate: the full path names it
                keys[-1] = value
            else:
                container[keys[-1]] = value
                keys[-1] = _MISSING
        return None if root is _MISSING else root
    except yaml.YAMLError:
        raise Fallback from None  # the full path reports it, located
    finally:
        parser.dispose()
