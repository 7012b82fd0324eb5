"""The one error hierarchy: what can stop a command, and its exit code.

A problem with a patient file is not an exception: it is an error record and
the batch goes on. What is raised here stops the command, and ``cli.py``
turns it into a message on stderr and an exit code in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # keep `myositis --help` free of the YAML and schema machinery
    from .validation import Problem

EXIT_OK = 0
EXIT_FINDINGS = 1  # a case rejected, a lint finding, a failing golden case
EXIT_USAGE = 2  # bad option, no input, unreadable or invalid pathway


class MyositisError(Exception):
    """Base class: a message for the user and the exit code that goes with it."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        return [self.message]


class UsageError(MyositisError):
    """The command line asked for something that cannot be done."""


class PathwayError(MyositisError):
    """The pathway cannot be used: unreadable, invalid, or inconsistent."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        super().__init__(f"{source}: invalid pathway ({len(problems)} problem(s))")
        self.source = source
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return [format_problem(self.source, p) for p in self.problems]


def format_location(source: str, line: int | None, column: int | None) -> str:
    """``file:line:column``, as far as it is known."""
    if line is None:
        return source
    return f"{source}:{line}" if column is None else f"{source}:{line}:{column}"


def format_problem(source: str, problem: Problem, document: int = 0) -> str:
    """``file:line:column: /pointer: message`` as compilers and linters write it.

    A document after the first of a multi-document stream is named too
    (``document 2``), so the line is unambiguous even without its line number.
    """
    text = f"{format_location(source, problem.line, problem.column)}: "
    if document:
        text += f"document {document + 1}: "
    if problem.pointer:
        text += f"{problem.pointer}: "
    text += problem.message
    if problem.rule:
        text += f" [{problem.rule}]"
    return text
