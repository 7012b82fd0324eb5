"""The loader's fast paths: an ordinary document's data without a node graph.

Two readers, tried in turn, each raising ``Fallback`` for what it does not
handle:

- ``lines``: the commonest profile, block mappings and sequences of plain
  words and numbers, one entry a line, read line by line with one regular
  expression; no parser objects at all.
- ``data``: any ordinary document (no anchors or aliases, core tags only,
  string keys, plain decimals, no duplicate or merge keys), in one walk over
  libyaml's events.

Whatever neither handles, ``loading`` reads again with PyYAML's full
constructor: same data, same errors, every YAML 1.1 message kept.
tests/properties/test_loader.py proves all three agree. A module of its own
so the compiled build (hatch_build.py) compiles it with the engine.
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


def _resolved(text: str) -> Any:
    """A plain scalar as data, each distinct one resolved once per process."""
    if text[:1] not in RESOLVERS:
        return text  # no implicit type starts with this character: a string
    known = READ.get(text, _MISSING)
    if known is _MISSING:
        known = _plain(text)
        if len(READ) < READ_LIMIT:
            READ[text] = known
    return known


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
                if event.implicit[0]:  # plain
                    value = _resolved(value)
                elif not event.style and event.tag != "!":
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


# ---------------------------------------------------------------------------- lines
#
# The line reader accepts only this, and falls back at the first line that is
# anything else (quotes, flow collections other than [] and {}, anchors,
# tags, block scalars, directives, document markers, tabs, text outside
# ASCII letters, digits and _ . + / ( ) -, a key longer than 200 characters,
# a scalar continued on the next line, an indentation libyaml would refuse):
#
#     [indent][- ]key:[ value][ # comment]     a mapping entry (in a new item)
#     [indent]- value[ # comment]              a sequence item
#     [indent][# comment]                      nothing
#
# with a value a plain scalar of those characters, single words joined by
# spaces, or [] or {}. Indentation is read as libyaml reads it: a mapping's
# keys in one column; ``key:`` alone opens what the next, deeper line holds,
# or a sequence in the key's own column ("- " under ``history:``); an item's
# mapping starts two columns in. Keys and values are resolved by ``_plain``,
# as in ``data``, so 060, yes, 1e3 and a duplicate key fall back the same.

_CHAR = r"[A-Za-z0-9_.+/()-]"
_VALUE = rf"(?:[A-Za-z0-9_.+/(]|-(?=[A-Za-z0-9_.+/(])){_CHAR}*(?: +{_CHAR}+)*|\[\]|\{{\}}"
_KEY = r"[A-Za-z_][A-Za-z0-9_]{0,199}"  # libyaml refuses a key past 1024 characters
# groups: indent, "- ", key, the key's value, an item's value
_LINE: re.Pattern[str] = re.compile(
    rf"( *)(?:(- )?(?:({_KEY}):(?: +({_VALUE}))?|({_VALUE}))(?: +(?:#.*)?)?|(?:#.*)?)"
)
_EMPTY_LIST, _EMPTY_MAP = "[]", "{}"


def _word(text: str) -> Any:
    """A plain scalar of the line grammar as data (resolved once per process)."""
    if text == _EMPTY_LIST:
        return []
    if text == _EMPTY_MAP:
        return {}
    return _resolved(text)


def lines(text: str) -> Any:
    """A document of the line grammar above as data, or Fallback."""
    match = _LINE.fullmatch
    columns: list[int] = []  # per open container, the column of its entries
    open_: list[Any] = []  # the open containers, outermost first
    root: Any = None
    pending: Any = None  # a key written alone, whose value the next line opens
    for line in text.split("\n"):
        found = match(line)
        if found is None:
            raise Fallback
        spaces, dash, key, value, item = found.groups()
        if key is None and item is None:
            if dash is not None:
                raise Fallback
            continue  # blank, or a comment
        column = len(spaces)
        if root is None:
            if column or dash is not None or key is None:
                raise Fallback  # not a mapping from the first column
            root = {}
            columns.append(0)
            open_.append(root)
        elif pending is not None:
            deeper = column > columns[-1]
            if deeper or (dash is not None and column == columns[-1]):
                nested: Any = [] if dash is not None else {}
                open_[-1][pending] = nested
                columns.append(column)
                open_.append(nested)
            pending = None  # otherwise the key's value stays null
        while columns[-1] > column:
            columns.pop()
            open_.pop()
        if columns[-1] != column:
            raise Fallback  # between two columns: libyaml reads a continuation, or refuses
        top = open_[-1]
        if dash is None:
            if type(top) is list:  # a sequence in its key's column ends at the next key
                columns.pop()
                open_.pop()
                top = open_[-1]
                if columns[-1] != column or type(top) is list:
                    raise Fallback
            if key is None:
                raise Fallback  # a scalar alone on its line (after its key, or continued)
        else:
            if type(top) is not list:
                raise Fallback
            if key is None:
                top.append(_word(item))
                continue
            nested = {}
            top.append(nested)
            columns.append(column + 2)
            open_.append(nested)
            top = nested
        name = _word(key)
        if type(name) is not str or name in top:
            raise Fallback  # a key read as another type, or a duplicate: the full path names it
        if value is None:
            top[name] = None
            pending = name
        else:
            top[name] = _word(value)
    if root is None:
        raise Fallback
    return root
