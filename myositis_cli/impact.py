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
from typing import NamedTuple

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
    changes: tuple[str, ...] = ()
    error: str | None = None


@dataclass
class DiffReport:
    old: str
    new: str
    old_version: str
    new_version: str
    cases: list[CaseDiff] = field(default_factory=list)

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
        return sum(1 for c in self.cases if any(x.startswith("top option") for x in c.changes))


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
    report = DiffReport(old, new, before.version, after.version)
    for source, number, a, b in answers(before, after, inputs):
        case_id = a.id
        if a.recommendation is None or b.recommendation is None:
            a_error, b_error = _error(a), _error(b)
            if a_error == b_error:
                report.cases.append(CaseDiff(source, number, case_id, error=a_error))
            else:
                report.cases.append(
                    CaseDiff(
                        source,
                        number,
                        case_id,
                        (f"old: {a_error or 'accepted'}; new: {b_error or 'accepted'}",),
                    )
                )
            continue
        report.cases.append(
            CaseDiff(
                source, number, case_id, tuple(differences(a.recommendation, b.recommendation))
            )
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


def differences(a: Recommendation, b: Recommendation) -> list[str]:
    """What changed from ``a`` to ``b``, in words, most important first."""
    changes: list[str] = []
    if a.refractory != b.refractory:
        changes.append(f"refractory: {a.refractory} -> {b.refractory}")
    top_a = a.options[0].therapy if a.options else "none"
    top_b = b.options[0].therapy if b.options else "none"
    if top_a != top_b:
        changes.append(f"top option: {top_a} -> {top_b}")
    old = {o.therapy: o for o in a.options}
    new = {o.therapy: o for o in b.options}
    for key, o in new.items():
        if key not in old:
            changes.append(f"option added: {key} (rank {o.rank}, {o.tier}, evidence {o.evidence})")
    for key, o in old.items():
        if key not in new:
            changes.append(f"option removed: {key} (was rank {o.rank}, {o.tier})")
    for key in (k for k in new if k in old):
        x, y = old[key], new[key]
        parts = []
        if x.rank != y.rank:
            parts.append(f"rank {x.rank} -> {y.rank}")
        if x.tier != y.tier:
            parts.append(f"tier {x.tier} -> {y.tier}")
        if x.evidence != y.evidence:
            parts.append(f"evidence {x.evidence} -> {y.evidence}")
        if x.score != y.score:
            parts.append(f"score {x.score:g} -> {y.score:g}")
        added = [c for c in y.caveats if c not in x.caveats]
        removed = [c for c in x.caveats if c not in y.caveats]
        if added:
            parts.append("caveat added: " + " | ".join(added))
        if removed:
            parts.append("caveat removed: " + " | ".join(removed))
        if parts:
            changes.append(f"{key}: " + "; ".join(parts))
    ex_a = {e.therapy: e.reason for e in a.excluded}
    ex_b = {e.therapy: e.reason for e in b.excluded}
    changes += [f"now excluded: {t} ({r})" for t, r in ex_b.items() if t not in ex_a]
    changes += [f"no longer excluded: {t}" for t in ex_a if t not in ex_b]
    al_a = [x.code for x in a.alerts]
    al_b = [x.code for x in b.alerts]
    changes += [f"alert added: {c}" for c in al_b if c not in al_a]
    changes += [f"alert removed: {c}" for c in al_a if c not in al_b]
    return changes
