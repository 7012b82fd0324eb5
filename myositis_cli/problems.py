"""The vocabulary every layer speaks about what is wrong: ``Problem`` and its wording.

A problem is a value, never an exception: loading, validation, the profile,
the pathway compiler and the linter all produce ``Problem`` values, and the
renderers turn them into one located line each. This module also holds the
pieces of that line that must read the same everywhere: JSON pointers, the
"did you mean" hint, ``file:line:column`` and the escaping of text that came
from a file before it reaches a terminal.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import cache
from typing import NamedTuple, Protocol


class Locator(Protocol):
    """Where a JSON pointer's node is written in its source (1-based line, column)."""

    def locate(self, parts: list[str | int], *, key: bool = False) -> tuple[int, int] | None: ...

    def written(self, parts: list[str | int]) -> str | None:
        """The scalar as written in the file (``017``, ``no``), where the format keeps it."""
        ...


class Problem(NamedTuple):
    """One thing wrong with a document, in the user's terms."""

    kind: str  # yaml | json | csv | schema | semantic | io | internal | pathway
    message: str
    pointer: str = ""
    line: int | None = None
    column: int | None = None
    rule: str = ""  # for pathway problems: the lint rule id

    def located(self, locator: Locator | None, *, key: bool = False) -> Problem:
        """This problem with the line and column of its node filled in.

        With ``key`` the position of the mapping key is used (an unknown key is
        reported where the key is written, not where its value is).
        """
        if self.line is not None or locator is None:
            return self
        parts = pointer_parts(self.pointer)
        mark = locator.locate(parts, key=key)
        if mark is None:
            return self
        located = self._replace(line=mark[0], column=mark[1])
        column_name = getattr(locator, "column_name", None)  # a CSV row names its column
        name = column_name(parts) if column_name is not None else None
        return located._replace(message=f"column '{name}': {self.message}") if name else located


# --------------------------------------------------------------------------
# JSON pointers (RFC 6901).


def escape_part(part: str | int) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def join_pointer(parts: Iterable[str | int]) -> str:
    return "".join("/" + escape_part(p) for p in parts)


def pointer_parts(pointer: str) -> list[str | int]:
    """The parts of a pointer; an index is ASCII digits only ("²" is a key, not 2)."""
    if not pointer:
        return []
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isascii() and part.isdigit() else part)
    return parts


# --------------------------------------------------------------------------
# Wording.


# A batch meets the same misspelling again and again ("pregancy", "ritux"),
# and difflib takes 0.3-0.6 ms to weigh it against a pathway's hundreds of
# names: each answer is kept, for the first few hundred questions.
_GUESSES: dict[tuple[str, tuple[str, ...], float], str | None] = {}
GUESSES_LIMIT = 256


def did_you_mean(word: str, choices: Iterable[object], cutoff: float = 0.6) -> str | None:
    """The closest known name, or None."""
    names = tuple([str(c) for c in choices])
    key = (word.lower(), names, cutoff)
    try:
        return _GUESSES[key]
    except KeyError:
        pass
    close = difflib.get_close_matches(key[0], names, n=1, cutoff=cutoff)
    guess = close[0] if close else None
    if len(_GUESSES) < GUESSES_LIMIT:
        _GUESSES[key] = guess
    return guess


def hint(word: str, choices: Iterable[object], *, otherwise: str = "") -> str:
    """`` (did you mean X?)`` when something is close, else ``otherwise``."""
    guess = did_you_mean(word, choices)
    return f" (did you mean {guess}?)" if guess else otherwise


# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: none
# of them may reach a terminal raw (an escape sequence in a file name or a
# therapy name could rewrite the screen). Every one of them, and every lone
# surrogate, is non-printable: text that str.isprintable() passes needs no
# escape, and the patterns are compiled only for text that does (0.8 ms a start).
@cache
def _controls(newlines: bool) -> re.Pattern[str]:
    if newlines:
        return re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
    return re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


_SURROGATE = re.compile("[\udc80-\udcff]")


def _escape_char(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    if code == 0x09:
        return "\\t"
    if code == 0x0A:
        return "\\n"
    if code == 0x0D:
        return "\\r"
    if 0xDC80 <= code <= 0xDCFF:  # a byte the file system gave that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def display(text: str, *, newlines: bool = False) -> str:
    """Text from a file or a file name, safe to print on one line of a terminal.

    Control characters become visible escapes (``\\x1b``), bytes that were not
    UTF-8 in a file name become ``\\xNN``; with ``newlines`` a newline is kept.
    """
    if text.isprintable():
        return text
    pattern = _controls(newlines)
    if pattern.search(text) is None and _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape_char, pattern.sub(_escape_char, text))


def label(path: str) -> str:
    """A file name as records hold it: valid UTF-8 (bytes that were not become ``\\xNN``).

    Control characters stay (JSON escapes them faithfully); terminals and
    Markdown get ``display`` on top.
    """
    if path.isprintable() or _SURROGATE.search(path) is None:
        return path
    return _SURROGATE.sub(_escape_char, path)


class Problems(list[Problem]):
    """Problems, and how many more of the same kind were not spelt out. (Here, not
    in validation.py: the compiled build cannot compile a subclass of list.)"""

    more = 0


# --------------------------------------------------------------------------
# Located lines.


def format_location(source: str, line: int | None, column: int | None) -> str:
    """``file:line:column``, as far as it is known."""
    if line is None:
        return source
    return f"{source}:{line}" if column is None else f"{source}:{line}:{column}"


def format_problem(source: str, problem: Problem, document: int = 0) -> str:
    """``file:line:column: /pointer: message`` as compilers and linters write it.

    A document after the first of a multi-document stream is named too
    (``document 2``), so the line is unambiguous even without its line number.
    Everything that came from a file is escaped for the terminal.
    """
    text = f"{format_location(display(source), problem.line, problem.column)}: "
    if document:
        text += f"document {document + 1}: "
    if problem.pointer:
        text += f"{display(problem.pointer)}: "
    text += display(problem.message)
    if problem.rule:
        text += f" [{problem.rule}]"
    return text
