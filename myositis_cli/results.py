"""The values that cross from the engine to the renderers, and the exit-code rule.

A ``CaseResult`` is one input document's outcome: a ``Recommendation`` or the
problems that stopped it. ``record`` gives the JSON record of
spec/behaviour.md; its keys are the contract.
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

from .errors import EXIT_FINDINGS, EXIT_OK
from .problems import Problem

if TYPE_CHECKING:
    from .pathway import Pathway


class Alert(NamedTuple):
    """Something the clinician must see first; ``level`` is critical, warning or info."""

    level: str
    code: str
    message: str
    references: tuple[str, ...] = ()
    summary: str = ""  # one short line for the compact view (the message otherwise)
    reference_ids: tuple[str, ...] = ()


class Basis(NamedTuple):
    """One contribution to an option's rank (recorded when the walk is traced)."""

    kind: str  # weight | evidence | caution | cap | tier
    subject: str  # node id, evidence level, rule key
    amount: float  # points added or taken away (0 for caps)
    text: str


class Option(NamedTuple):
    """A ranked next-line option: one therapy, or a combination started together."""

    rank: int
    therapy: str  # member ids joined by '+', catalogue order
    therapies: tuple[str, ...]  # what to start
    name: str
    tier: str
    evidence: str
    score: float
    reasons: tuple[str, ...]
    caveats: tuple[str, ...]
    references: tuple[str, ...]
    continued: tuple[str, ...] = ()  # current therapies this option goes alongside
    missing: tuple[str, ...] = ()  # absent fields a safety rule of this option needed
    sources: tuple[str, ...] = ()  # short labels of the references, for tables
    short_name: str = ""  # for the compact view
    basis: tuple[Basis, ...] = ()  # how the score and tier came about (when traced)
    reference_ids: tuple[str, ...] = ()
    caveat_codes: tuple[str, ...] = ()  # one per caveat: its safety rule, standing caveat or cap


class Exclusion(NamedTuple):
    """A therapy that a history or safety rule rules out for this patient."""

    therapy: str
    name: str
    reason: str
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    codes: tuple[str, ...] = ()  # stable: the rule key, or history.failure / history.intolerance
    reference_ids: tuple[str, ...] = ()


class Withheld(NamedTuple):
    """An option the walk suggested but that was left out, and why."""

    therapy: str
    therapies: tuple[str, ...]
    reason: str


class Check(NamedTuple):
    """An undecided fact, asked once: what to check and every option it could change."""

    code: str  # the pathway's check id (or the field's dotted path)
    field: str  # JSON pointer of the profile field
    ask: str
    therapies: tuple[str, ...]  # therapies of the offered options it affects
    options: tuple[str, ...]  # the options it affects (keys)
    reasons: tuple[str, ...]  # the rules it decides, in the pathway's words
    references: tuple[str, ...] = ()
    label: str = ""  # a short label for the compact view
    names: tuple[str, ...] = ()  # the affected therapies' short names, for the compact view
    reference_ids: tuple[str, ...] = ()


class Taking(NamedTuple):
    """A therapy the patient takes now, once: continue it, or review it and why."""

    therapy: str
    name: str
    outcome: str | None
    months: float | None
    advice: str  # continue | review
    reason: str
    code: str  # taking.working, taking.failed, ... or the contraindication's rule key


class TraceStep(NamedTuple):
    """One step of the walk, for --explain."""

    phase: str  # walk | history | safety | option | rank | alert
    subject: str
    message: str


class Recommendation(NamedTuple):
    id: str
    subtype: str
    refractory: bool | None
    alerts: tuple[Alert, ...]
    options: tuple[Option, ...]
    excluded: tuple[Exclusion, ...]
    withheld: tuple[Withheld, ...]
    missing: tuple[str, ...]
    current: tuple[str, ...]
    pathway_id: str
    pathway_version: str
    disclaimer: str
    trace: tuple[TraceStep, ...] = ()
    reached: frozenset[str] = frozenset()  # node:ID, rule:THERAPY.ID, alert:CODE - for coverage
    checks: tuple[Check, ...] = ()
    taking: tuple[Taking, ...] = ()
    suppressed: tuple[Alert, ...] = ()  # routine notices not shown beside a critical alert


class CaseResult(NamedTuple):
    """The outcome of one input document."""

    source: str
    document: int
    id: str | None
    recommendation: Recommendation | None = None
    problems: tuple[Problem, ...] = ()
    classification: Any = None  # a criteria.Classification, from ``myositis classify``

    @property
    def ok(self) -> bool:
        """No problems (``validate`` gives ok results without a recommendation)."""
        return not self.problems

    @property
    def status(self) -> str:
        return "ok" if self.ok else "error"


def exit_code(failed: int) -> int:
    """0 when every case was processed, 1 when at least one was rejected.

    Results are streamed, so the rule is on the count of failed cases.
    """
    return EXIT_OK if failed == 0 else EXIT_FINDINGS


REFERENCES_EACH = "each"  # every record carries the citations it cites: self-contained
REFERENCES_ONCE = "once"  # the citations are written once per output, before the records


def record(
    result: CaseResult,
    pathway: Pathway,
    *,
    explain: bool = False,
    top: int | None = None,
    references: str = REFERENCES_EACH,
) -> dict[str, Any]:
    """The JSON record of one case (spec/behaviour.md); insertion order is the key order.

    Every record, error records too, names the tool and the exact pathway
    (``provenance``). Options, alerts, checks and exclusions cite references
    by id; with ``references="each"`` the record ends with a ``references``
    map (id -> citation text) of what it cites, with ``"once"`` the output's
    header carries the map for every reference.
    """
    out: dict[str, Any] = {
        "source": result.source,
        "document": result.document,
        "id": result.id,
        "status": result.status,
    }
    out.update(pathway.provenance)
    rec = result.recommendation
    if result.problems:
        first = result.problems[0]
        out["error"] = problem_record(first)
        if len(result.problems) > 1:
            out["errors"] = [problem_record(p) for p in result.problems]
        return out
    if rec is None:  # validated only
        return out
    options = rec.options if top is None else rec.options[:top]
    cited: list[tuple[str, ...]] = []  # every list of ids cited, in record order
    out["subtype"] = rec.subtype
    out["refractory"] = rec.refractory
    out["alerts"] = [
        {
            "level": a.level,
            "code": a.code,
            "message": a.message,
            "references": _cite(a.reference_ids, cited),
        }
        for a in rec.alerts
    ]
    out["options"] = [
        {
            "rank": o.rank,
            "therapy": o.therapy,
            "therapies": list(o.therapies),
            "name": o.name,
            "tier": o.tier,
            "evidence": o.evidence,
            "score": o.score,
            "reasons": list(o.reasons),
            "caveats": list(o.caveats),
            "caveat_codes": list(o.caveat_codes),
            "references": _cite(o.reference_ids, cited),
            "continued": list(o.continued),
            "missing": list(o.missing),
        }
        for o in options
    ]
    out["excluded"] = [
        {
            "therapy": e.therapy,
            "name": e.name,
            "reason": e.reason,
            "reasons": list(e.reasons),
            "rules": list(e.rules),
            "codes": list(e.codes),
            "references": _cite(e.reference_ids, cited),
        }
        for e in rec.excluded
    ]
    out["withheld"] = [
        {"therapy": w.therapy, "therapies": list(w.therapies), "reason": w.reason}
        for w in rec.withheld
    ]
    out["checks"] = [
        {
            "code": c.code,
            "field": c.field,
            "ask": c.ask,
            "therapies": list(c.therapies),
            "options": list(c.options),
            "reasons": list(c.reasons),
            "references": _cite(c.reference_ids, cited),
        }
        for c in rec.checks
    ]
    out["taking"] = [
        {
            "therapy": t.therapy,
            "name": t.name,
            "outcome": t.outcome,
            "months": t.months,
            "advice": t.advice,
            "reason": t.reason,
            "code": t.code,
        }
        for t in rec.taking
    ]
    out["missing"] = list(rec.missing)
    out["current"] = list(rec.current)
    out["disclaimer"] = rec.disclaimer
    if explain:
        out["trace"] = [
            {"phase": s.phase, "subject": s.subject, "message": s.message} for s in rec.trace
        ]
    if references == REFERENCES_EACH:
        labels = pathway.labels
        out["references"] = {rid: labels[rid] for rid in dict.fromkeys(chain.from_iterable(cited))}
    return out


_SQL_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


def record_columns() -> dict[str, str]:
    """Every top-level key a record can have, with a SQL type (DuckDB's names), from the
    published record schema: readers that infer columns from a sample miss a key seen
    only late (a rare error record); given these columns they never do."""
    from . import resources

    defs = resources.schema("record")["$defs"]
    typed = {**defs["common"]["properties"]}
    out: dict[str, str] = {}
    for kind in ("ok", "error", "validated"):
        for key, spec in defs[kind]["properties"].items():
            spec = typed.get(key, spec) if spec is True else spec
            kinds = spec.get("type", "object") if isinstance(spec, dict) else "object"
            plain = [k for k in ([kinds] if isinstance(kinds, str) else kinds) if k != "null"]
            sql = _SQL_TYPES.get(plain[0], "JSON") if len(plain) == 1 else "JSON"
            if "const" in spec or "enum" in spec:
                sql = "VARCHAR"
            out.setdefault(key, sql)
    first = ("source", "document", "id", "status", "tool", "pathway")
    return {key: out[key] for key in (*first, *(k for k in out if k not in first))}


def _cite(ids: tuple[str, ...], cited: list[tuple[str, ...]]) -> list[str]:
    cited.append(ids)
    return list(ids)


def header(pathway: Pathway) -> dict[str, Any]:
    """What ``--references once`` writes before the records: provenance and every citation,
    as text (``references``, the same map a record carries) and field by field."""
    return {
        **pathway.provenance,
        "references": pathway.labels,
        "reference_details": pathway.citations,
    }


def problem_record(problem: Problem) -> dict[str, Any]:
    return {
        "kind": problem.kind,
        "message": problem.message,
        "path": problem.pointer,
        "line": problem.line,
        "column": problem.column,
    }
