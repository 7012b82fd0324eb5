"""The one error hierarchy: what can stop a command, and its exit code.

A problem with a patient file is not an exception: it is an error record and
the batch goes on. What is raised here stops the command, and ``cli.py``
turns it into a message on stderr and an exit code in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

from .problems import Problem, format_problem

EXIT_OK = 0
EXIT_FINDINGS = 1  # a case rejected, a lint finding, a failing golden case
EXIT_USAGE = 2  # bad option, no input, unreadable or invalid pathway, a write error
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT)
EXIT_TERMINATED = 143  # SIGTERM (128 + SIGTERM)


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


class OutputError(MyositisError):
    """The report could not be written (a full disk, a closed stream): never an internal error."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"myositis: cannot write {where}: {reason}")


class PathwayError(MyositisError):
    """The pathway cannot be used: unreadable, invalid, or inconsistent."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        super().__init__(f"{source}: invalid pathway ({len(problems)} problem(s))")
        self.source = source
        self.problems = list(problems)

    def lines(self) -> list[str]:
        return [format_problem(self.source, p) for p in self.problems]


class Terminated(BaseException):
    """SIGTERM arrived: stop as after Ctrl-C, with exit 143 (raised by the signal handler)."""
