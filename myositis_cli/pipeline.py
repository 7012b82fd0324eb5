"""The case pipeline: one document in, one ``CaseResult`` out.

document -> validation -> profile -> engine, in one place. ``suggest``,
``validate``, ``pathway test``, ``pathway diff``, the Python API and the
Dask runner all call ``Pipeline.run_document``, so they cannot disagree about
a profile: the same data gets the same checks, the same errors and the same
recommendation everywhere. A bad case is a result, never an exception.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .documents import Document, parse
from .engine import suggest
from .loading import DEFAULT_LIMITS, Limits
from .pathway import Pathway, profile_validator
from .problems import Locator, Problem
from .profile import ProfileProblems, build_profile, therapy_problems
from .results import CaseResult
from .validation import Validator


class Pipeline:
    """Everything one process needs to turn documents into results, made once.

    It pickles (the pathway travels as its bytes and is compiled once per
    process), so worker processes and Dask workers can receive it.
    """

    def __init__(
        self,
        pathway: Pathway,
        limits: Limits = DEFAULT_LIMITS,
        *,
        trace: bool = False,
        engine: bool = True,
        validator: Validator | None = None,
        classify: bool = False,
    ) -> None:
        self.pathway = pathway
        self.limits = limits
        self.trace = trace
        self.engine = engine  # False: schema and semantic checks only (validate)
        self.classify = classify  # the classification criteria instead of the engine
        self.validator = validator or profile_validator()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore, (self.pathway, self.limits, self.trace, self.engine, self.classify))

    # ------------------------------------------------------------------ sources

    def run_bytes(self, source: str, raw: bytes, fmt: str = "yaml") -> Iterator[CaseResult]:
        """Every document of one source's bytes, in order, one result each."""
        for document in parse(raw, fmt, self.limits):
            yield self.run_document(source, document)

    def run_data(
        self, data: Any, source: str = "<profile>", number: int = 0, locator: Locator | None = None
    ) -> CaseResult:
        """An already-parsed document (a mapping from Python, a golden case's profile)."""
        return self.run_document(source, Document(number, data, locator=locator))

    # ------------------------------------------------------------------ the one function

    def run_document(self, source: str, document: Document) -> CaseResult:
        """One document to one result: validation, profile, engine. Never raises."""
        try:
            return self._run(source, document)
        except Exception as exc:  # a bug costs this case's record, never the batch
            return CaseResult(
                source,
                document.number,
                case_id_of(document.data),
                problems=(internal_problem(exc),),
            )

    def _run(self, source: str, document: Document) -> CaseResult:
        number = document.number
        if document.problems:
            return CaseResult(source, number, None, problems=document.problems)
        data = document.data
        case_id = case_id_of(data)
        if data is None:
            problem = Problem(
                "schema", "empty document: expected a profile mapping", "", document.line, 1
            )
            return CaseResult(source, number, None, problems=(problem,))
        locator = document.locator
        if not self.validator.is_valid(data):
            found = self.validator.problems(data, locator) + therapy_problems(data, self.pathway)
            problems = tuple(
                p.located(locator, key=p.message.startswith("unknown key")) for p in found
            )
            return CaseResult(source, number, case_id, problems=in_line_order(problems))
        try:
            profile = build_profile(data, self.pathway)
        except ProfileProblems as exc:
            return CaseResult(
                source,
                number,
                case_id,
                problems=in_line_order(tuple(p.located(locator) for p in exc.problems)),
            )
        if self.classify:
            from .criteria import classify

            classified = classify(self.pathway.criteria, data)
            return CaseResult(source, number, case_id, classification=classified)
        if not self.engine:
            return CaseResult(source, number, case_id)
        recommendation = suggest(self.pathway, profile, trace=self.trace)
        return CaseResult(source, number, case_id, recommendation)


def _restore(
    pathway: Pathway, limits: Limits, trace: bool, engine: bool, classify: bool = False
) -> Pipeline:
    return Pipeline(pathway, limits, trace=trace, engine=engine, classify=classify)


def internal_problem(exc: BaseException) -> Problem:
    """A bug costs one record, never the batch: this is that record's problem."""
    return Problem(
        "internal", f"internal error ({type(exc).__name__}: {exc}); please report this input"
    )


def in_line_order(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=lambda p: (p.line or 0, p.column or 0)))


def case_id_of(data: Any) -> str | None:
    if isinstance(data, Mapping):
        value = data.get("id")
        if isinstance(value, str):
            return value
    return None
