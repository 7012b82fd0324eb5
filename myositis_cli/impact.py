"""``myositis pathway diff``: what an edit of the pathway changes for real cases.

Every case (a profile, or a golden case's profile) is run under both pathway
versions; each difference in the answer - top option, ranks, tiers, options
added or removed, evidence, caveats, exclusions, alerts, refractory status -
is reported in words. A version may be a file or ``REV:path`` read from git.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple

from . import loading
from .batch import Source, expand
from .documents import Document
from .errors import UsageError
from .loading import YamlLocator
from .pathway import Pathway, load_pathway, load_pathway_bytes
from .pipeline import Pipeline
from .results import CaseResult, Recommendation


@dataclass(frozen=True)
class CaseDiff:
    source: str
    document: int
    id: str | None
    changes: tuple[Change, ...] = ()
    error: str | None = None  # invalid under both versions: counted, not compared


@dataclass
class DiffReport:
    old: str
    new: str
    old_version: str
    new_version: str
    cases: list[CaseDiff] = field(default_factory=list)
    before: Pathway | None = None
    after: Pathway | None = None

    @property
    def total(self) -> int:
        return len(self.cases)

    @property
    def changed(self) -> int:
        return sum(1 for c in self.cases if c.changes)

    @property
    def errors(self) -> int:
        return sum(1 for c in self.cases if c.error)

    @property
    def top_changed(self) -> int:
        return sum(1 for c in self.cases if any(x.kind == "top" for x in c.changes))

    @cached_property
    def edits(self) -> list[Any]:
        from .edits import edits

        if self.before is None or self.after is None:
            return []
        return edits(self.before, self.after)

    @cached_property
    def version_problem(self) -> str | None:
        from .edits import version_problem

        if self.before is None or self.after is None:
            return None
        return version_problem(self.before, self.after)

    @cached_property
    def consequences(self) -> list[Consequence]:
        """The per-case changes grouped by what they are, most important first (computed
        once, when the report is read: the comparison has filled ``cases``)."""
        groups: dict[tuple[str, str, str, str], list[CaseDiff]] = {}
        texts: dict[tuple[str, str, str, str], str] = {}
        for case in self.cases:
            seen: set[tuple[str, str, str, str]] = set()
            for change in case.changes:
                key = _group_key(change)
                if key in seen:
                    continue
                seen.add(key)
                groups.setdefault(key, []).append(case)
                texts.setdefault(key, change.text)
        return sorted(
            (
                Consequence(kind, therapy, old, new, texts[(kind, therapy, old, new)], tuple(cases))
                for (kind, therapy, old, new), cases in groups.items()
            ),
            key=lambda c: (IMPORTANCE.index(c.kind), -len(c.cases), c.therapy, c.old, c.new),
        )


IMPORTANCE = (
    "validity",
    "refractory",
    "top",
    "excluded",
    "unexcluded",
    "option_added",
    "option_removed",
    "tier",
    "alert_added",
    "alert_removed",
    "caveat_added",
    "caveat_removed",
    "evidence",
    "rank",
    "score",
)


class Consequence(NamedTuple):
    """One kind of change and the cases it reaches."""

    kind: str
    therapy: str
    old: str
    new: str
    example: str  # one case's sentence for it
    cases: tuple[CaseDiff, ...]

    def data(self, limit: int | None = None) -> dict[str, Any]:
        ids = [_case_label(c) for c in self.cases]
        return {
            "kind": self.kind,
            "therapy": self.therapy,
            "old": self.old,
            "new": self.new,
            "cases": len(self.cases),
            "ids": ids if limit is None else ids[:limit],
        }


def _case_label(case: CaseDiff) -> str:
    return case.id or (case.source + (f"#{case.document}" if case.document else ""))


def _group_key(change: Change) -> tuple[str, str, str, str]:
    if change.kind == "rank":
        direction = "up" if change.new < change.old else "down"
        return ("rank", change.therapy, "", direction)
    if change.kind in ("score", "option_added", "option_removed"):
        return (change.kind, change.therapy, "", "")
    return (change.kind, change.therapy, str(change.old), str(change.new))


def open_pathway(spec: str) -> Pathway:
    """A pathway from a file, or from ``REV:path`` in the current git repository."""
    if os.path.isfile(spec):
        return load_pathway(spec)
    rev, sep, path = spec.partition(":")
    if not sep or not rev or not path:
        raise UsageError(f"{spec}: no such pathway file (a git revision is written REV:path)")
    if rev.startswith("-"):  # never an option to git
        raise UsageError(f"{spec}: a revision may not start with '-'")
    try:
        shown = subprocess.run(
            ["git", "show", f"{rev}:{path}", "--"], capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "timed out"
        raise UsageError(f"{spec}: cannot run git: {reason or exc}") from None
    if shown.returncode != 0:
        message = shown.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"{spec}: git show failed: {message[-1] if message else 'unknown error'}")
    return load_pathway_bytes(shown.stdout, spec)


class Answers(NamedTuple):
    """One case under both pathway versions."""

    source: str
    document: int
    before: CaseResult
    after: CaseResult


def answers(before: Pathway, after: Pathway, inputs: list[str]) -> Iterator[Answers]:
    """Every case of ``inputs`` (profiles, or golden cases' profiles) run under both pathways."""
    first, second = Pipeline(before), Pipeline(after)
    for source, document in _documents(list(expand(inputs))):
        data = document.data
        if isinstance(data, dict) and "profile" in data and "expect" in data:
            # a golden case: its profile is the case
            locator = document.locator
            inner = locator.within("profile") if isinstance(locator, YamlLocator) else None
            document = Document(document.number, data["profile"], locator=inner)
        yield Answers(
            source,
            document.number,
            first.run_document(source, document),
            second.run_document(source, document),
        )


def compare(old: str, new: str, inputs: list[str]) -> DiffReport:
    if not inputs:
        raise UsageError("give the cases to compare with --cases DIR")
    before, after = open_pathway(old), open_pathway(new)
    report = DiffReport(old, new, before.version, after.version, before=before, after=after)
    for source, number, a, b in answers(before, after, inputs):
        case_id = a.id or b.id
        if a.recommendation is None or b.recommendation is None:
            a_error, b_error = _error(a), _error(b)
            if a_error == b_error:
                report.cases.append(CaseDiff(source, number, case_id, error=a_error))
            else:
                text = f"old: {a_error or 'accepted'}; new: {b_error or 'accepted'}"
                change = Change(
                    "validity",
                    "",
                    "rejected" if a_error else "accepted",
                    "rejected" if b_error else "accepted",
                    text,
                )
                report.cases.append(CaseDiff(source, number, case_id, (change,)))
            continue
        report.cases.append(
            CaseDiff(source, number, case_id, tuple(changes(a.recommendation, b.recommendation)))
        )
    return report


def _documents(sources: list[Source]) -> Iterator[tuple[str, Document]]:
    for source in sources:
        if source.problem is not None:
            yield source.label, Document(0, problems=(source.problem,))
            continue
        try:
            raw = loading.read_file(source.path) if source.path else b""
        except loading.LoadError as exc:
            yield source.label, Document(0, problems=(exc.problem(),))
            continue
        for document in loading.iter_documents(raw):
            yield source.label, document


def _error(result: CaseResult) -> str | None:
    if not result.problems:
        return None
    first = result.problems[0]
    return f"{first.pointer}: {first.message}" if first.pointer else first.message


class Change(NamedTuple):
    """One way a case's answer changed, structured: what, for which therapy, old and new."""

    kind: str  # refractory | top | option_added | option_removed | rank | tier | evidence |
    # score | caveat_added | caveat_removed | excluded | unexcluded | alert_added | alert_removed
    therapy: str  # option key, therapy id or alert code ('' for refractory)
    old: Any
    new: Any
    text: str

    def data(self) -> dict[str, Any]:
        return {"kind": self.kind, "therapy": self.therapy, "old": self.old, "new": self.new}


def changes(a: Recommendation, b: Recommendation) -> list[Change]:
    """What changed from ``a`` to ``b``, most important first."""
    out: list[Change] = []
    if a.refractory != b.refractory:
        out.append(
            Change(
                "refractory",
                "",
                a.refractory,
                b.refractory,
                f"refractory: {a.refractory} -> {b.refractory}",
            )
        )
    top_a = a.options[0].therapy if a.options else None
    top_b = b.options[0].therapy if b.options else None
    if top_a != top_b:
        out.append(
            Change("top", "", top_a, top_b, f"top option: {top_a or 'none'} -> {top_b or 'none'}")
        )
    old = {o.therapy: o for o in a.options}
    new = {o.therapy: o for o in b.options}
    for key, o in new.items():
        if key not in old:
            out.append(
                Change(
                    "option_added",
                    key,
                    None,
                    o.rank,
                    f"option added: {key} (rank {o.rank}, {o.tier}, evidence {o.evidence})",
                )
            )
    for key, o in old.items():
        if key not in new:
            out.append(
                Change(
                    "option_removed",
                    key,
                    o.rank,
                    None,
                    f"option removed: {key} (was rank {o.rank}, {o.tier})",
                )
            )
    for key in (k for k in new if k in old):
        x, y = old[key], new[key]
        for kind, before, after in (
            ("rank", x.rank, y.rank),
            ("tier", x.tier, y.tier),
            ("evidence", x.evidence, y.evidence),
            ("score", x.score, y.score),
        ):
            if before != after:
                shown = f"{before:g} -> {after:g}" if kind == "score" else f"{before} -> {after}"
                out.append(Change(kind, key, before, after, f"{key}: {kind} {shown}"))
        codes_x = dict(zip(x.caveats, x.caveat_codes, strict=False))
        codes_y = dict(zip(y.caveats, y.caveat_codes, strict=False))
        for text in y.caveats:
            if text not in x.caveats:
                out.append(
                    Change(
                        "caveat_added",
                        key,
                        None,
                        codes_y.get(text, text),
                        f"{key}: caveat added: {text}",
                    )
                )
        for text in x.caveats:
            if text not in y.caveats:
                out.append(
                    Change(
                        "caveat_removed",
                        key,
                        codes_x.get(text, text),
                        None,
                        f"{key}: caveat removed: {text}",
                    )
                )
    ex_a = {e.therapy: e for e in a.excluded}
    ex_b = {e.therapy: e for e in b.excluded}
    for tid, e in ex_b.items():
        if tid not in ex_a:
            out.append(
                Change(
                    "excluded",
                    tid,
                    None,
                    e.codes[0] if e.codes else e.reason,
                    f"now excluded: {tid} ({e.reason})",
                )
            )
    for tid, e in ex_a.items():
        if tid not in ex_b:
            out.append(
                Change(
                    "unexcluded",
                    tid,
                    e.codes[0] if e.codes else e.reason,
                    None,
                    f"no longer excluded: {tid}",
                )
            )
    al_a = [x.code for x in a.alerts]
    al_b = [x.code for x in b.alerts]
    out += [Change("alert_added", c, None, c, f"alert added: {c}") for c in al_b if c not in al_a]
    out += [
        Change("alert_removed", c, c, None, f"alert removed: {c}") for c in al_a if c not in al_b
    ]
    return out


def differences(a: Recommendation, b: Recommendation) -> list[str]:
    """What changed from ``a`` to ``b``, in words, most important first."""
    return [change.text for change in changes(a, b)]
