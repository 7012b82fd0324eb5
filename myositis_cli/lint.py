"""``myositis pathway check``: lint a pathway the way code is linted in CI.

Every finding names its rule, severity, location (file:line:column, JSON
pointer) and subject (node, therapy, alert or reference id). The rules, their
severities and what each checks are defined once, in ``RULES`` below; the
README's table and ``--select``/``--ignore`` read it, and a test proves each
rule fires.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any, NamedTuple

from .conditions import (
    ABSENT,
    NOT_KNOWN,
    OPERATORS,
    All,
    Always,
    AnyOf,
    Condition,
    Context,
    CurrentTherapy,
    FactRef,
    FieldSpec,
    HistoryMatch,
    Leaf,
    Not,
    Present,
)
from .errors import PathwayError
from .pathway import Node, Pathway, compile_pathway, read_pathway_document
from .problems import Problem


class Rule(NamedTuple):
    severity: str  # error | warning
    summary: str


RULES: dict[str, Rule] = {
    "yaml": Rule("error", "the file does not parse as safe YAML"),
    "schema": Rule("error", "the file breaks schemas/pathway.schema.json (or the table's schema)"),
    "unknown-field": Rule("error", "a condition names a profile field that does not exist"),
    "unknown-operator": Rule("error", "a condition uses an operator or form that does not exist"),
    "bad-value": Rule("error", "a condition compares a field with a value it cannot take"),
    "bad-condition": Rule(
        "error", "a condition is malformed (a form that must stand alone, an empty list...)"
    ),
    "unknown-fact": Rule("error", "a condition names a fact the pathway does not define"),
    "unknown-therapy": Rule("error", "an option or test names a therapy not in the catalogue"),
    "unknown-reference": Rule("error", "a citation id that is not in the pathway's references"),
    "duplicate-id": Rule("error", "two nodes, rules, caveats or alerts share an id"),
    "duplicate-alias": Rule("error", "one alias names two therapies"),
    "fact-cycle": Rule("error", "facts that are defined through each other"),
    "bad-message": Rule("error", "a message template uses a placeholder the engine does not fill"),
    "unreachable-node": Rule(
        "error",
        "no profile the schema allows can enter the node: its condition never holds, or contradicts an ancestor's",
    ),
    "never-true": Rule(
        "warning", "a safety rule, alert or context-evidence condition that can never hold"
    ),
    "reachability-skipped": Rule(
        "warning",
        "a condition too complex to analyse within the budget: assumed reachable, and named",
    ),
    "option-evidence": Rule(
        "error", "an option without an evidence level, a reference or a reason"
    ),
    "policy-discouraged": Rule(
        "error",
        "a therapy the policy always discourages is not discouraged everywhere, or an evidence-D therapy is not in the policy",
    ),
    "policy-caveat": Rule("error", "a therapy lacks a standing caveat the policy requires"),
    "reason-subtype": Rule(
        "warning", "an option's reason names a subtype although its node admits others"
    ),
    "check-wording": Rule(
        "warning", "a field a safety rule may leave undecided has no entry in checks"
    ),
    "unused-check": Rule("warning", "a checks entry for a field no rule or alert asks for"),
    "review-due": Rule("warning", "last_reviewed is older than the review interval"),
    "unused-reference": Rule("warning", "a reference defined and never cited"),
    "unused-fact": Rule("warning", "a fact defined and never used"),
    "case-invalid": Rule("error", "a golden case file that does not validate"),
    "version-unchanged": Rule(
        "error", "with --base REV: the content changed and pathway.version did not rise"
    ),
    "criteria-missing": Rule("error", "classification_criteria names a table that cannot be read"),
    "criteria-decimal": Rule(
        "error", "a classification weight or cutoff with more than one decimal"
    ),
    "criteria-cutoffs": Rule(
        "error", "classification cutoffs that do not rise: possible < probable < definite"
    ),
    "criteria-field": Rule(
        "error", "a classification item with no profile field, or a field with no item"
    ),
    "criteria-duplicate": Rule("error", "a classification item id that appears twice"),
    "criteria-bands": Rule("error", "age bands that overlap or do not ascend"),
    "criteria-skin-rule": Rule("error", "the skin-or-biopsy rule lacks skin or biopsy items"),
}


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # error | warning
    message: str
    source: str
    line: int | None = None
    column: int | None = None
    pointer: str = ""
    subject: str = ""


def check(
    source: str,
    *,
    cases_dir: str | None = None,
    max_age_days: int | None = None,
    today: dt.date | None = None,
    base: str | None = None,
) -> list[Finding]:
    """Every finding for one pathway file (and its golden cases); with ``base`` (a git
    revision) also whether the content changed without the version rising."""
    try:
        data, locator = read_pathway_document(source)
    except PathwayError as exc:
        return [_finding(source, p, "error") for p in exc.problems]
    pathway, problems = compile_pathway(data, source, locator)
    findings = [_finding(source, p, "error") for p in problems]
    if pathway is None:
        return findings
    extra: list[tuple[str, str, str, str, str]] = []  # rule, severity, message, pointer, subject
    if not any(p.rule == "fact-cycle" for p in problems):  # inlining cyclic facts never ends
        extra += _reachability(pathway)
    extra += _evidence(pathway)
    extra += _reason_subtypes(pathway)
    extra += _check_wording(pathway)
    extra += _policy(pathway)
    extra += _review(pathway, max_age_days, today or dt.date.today())
    extra += _unused(pathway)
    for rule, severity, message, pointer, subject in extra:
        located = Problem("pathway", message, pointer, rule=rule).located(locator, key=True)
        findings.append(
            Finding(rule, severity, message, source, located.line, located.column, pointer, subject)
        )
    findings += _cases(pathway, cases_dir)
    findings += _criteria(pathway)
    if base is not None:
        findings += _version(pathway, base, locator)
    return sorted(findings, key=lambda f: (f.source, f.line or 0, f.column or 0, f.rule))


def _version(pathway: Pathway, base: str, locator: Any) -> list[Finding]:
    """``version-unchanged``: the file at ``base`` differs in content, the version does not rise."""
    import subprocess

    from .edits import version_problem
    from .errors import UsageError
    from .impact import open_pathway

    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        top = ""
    if not top:
        raise UsageError("--base needs a git repository")
    relative = os.path.relpath(os.path.abspath(pathway.source), top)
    try:
        before = open_pathway(f"{base}:{relative}")
    except UsageError as exc:
        if "does not exist" in exc.message or "exists on disk, but not in" in exc.message:
            return []  # a new pathway: nothing to compare with
        raise
    message = version_problem(before, pathway)
    if message is None:
        return []
    located = Problem("pathway", message, "/pathway/version").located(locator)
    return [
        Finding(
            "version-unchanged",
            "error",
            message,
            pathway.source,
            located.line,
            located.column,
            "/pathway/version",
            pathway.id,
        )
    ]


def _criteria(pathway: Pathway) -> list[Finding]:
    """The classification table the pathway names: its schema and the criteria-* rules."""
    from pathlib import Path

    from . import loading
    from .criteria import compile_criteria

    name = pathway.criteria_file
    if not name:
        return []
    path = str(Path(pathway.source).parent / name)
    try:
        raw = loading.read_file(path)
    except loading.LoadError as exc:
        message = f"classification_criteria names {name}, which cannot be read: {exc.message}"
        return [
            Finding(
                "criteria-missing",
                "error",
                message,
                pathway.source,
                pointer="/classification_criteria",
            )
        ]
    _, problems = compile_criteria(raw, path)
    return [_finding(path, p, "error") for p in problems]


def _finding(source: str, problem: Problem, severity: str) -> Finding:
    return Finding(
        problem.rule or problem.kind,
        severity,
        problem.message,
        source,
        problem.line,
        problem.column,
        problem.pointer,
    )


# ----------------------------------------------------------------------------
# Reachability: is there any profile for which a condition is true?


class _TooComplex(Exception):
    pass


REACHABILITY_BUDGET = 200_000  # DNF terms built per question, so no pathway takes long
_MEMO_LIMIT = 5_000
Literal = tuple[Condition, bool]
Term = tuple[Literal, ...]


class Satisfiability:
    """Decides whether some profile makes a condition true.

    The condition is put in disjunctive normal form over its leaves (facts
    inlined, negations pushed to the leaves, which Kleene logic allows), and
    each term is checked field by field against the values the profile
    schema allows, absence included. History and current-therapy tests are
    treated as free yes/no atoms. The answer errs towards "satisfiable": a
    node is reported unreachable only when it truly is.
    """

    def __init__(self, pathway: Pathway) -> None:
        self.pathway = pathway
        # keyed by id(), so each entry keeps its condition alive: a freed
        # condition's id can be reused by another one
        self._memo: dict[tuple[int, bool], tuple[Condition, list[Term]]] = {}
        self._spent = 0
        self._ctx = Context(
            {},
            (),
            False,
            {},
            pathway.history_rules.adequate_trial_months,
            pathway.history_rules.unknown_months_adequate,
        )

    def satisfiable(self, conditions: Iterable[Condition]) -> bool | None:
        """True or False, or None when the question is past the budget."""
        self._spent = 0
        if len(self._memo) > _MEMO_LIMIT:  # bounded memory, whatever the pathway's size
            self._memo.clear()
        try:
            terms = self._dnf(All(tuple(conditions)), True)
            return any(self._consistent(term) for term in terms)
        except _TooComplex:
            return None

    def _spend(self, terms: int) -> None:
        self._spent += terms
        if self._spent > REACHABILITY_BUDGET:
            raise _TooComplex

    def _dnf(self, cond: Condition, positive: bool) -> list[Term]:
        key = (id(cond), positive)
        hit = self._memo.get(key)
        if hit is not None and hit[0] is cond:
            return hit[1]
        if isinstance(cond, Always):
            result: list[Term] = [()] if positive else []
        elif isinstance(cond, (All, AnyOf)):
            conjunctive = isinstance(cond, All) == positive
            parts = [self._dnf(item, positive) for item in cond.items]
            result = self._product(parts) if conjunctive else [t for p in parts for t in p]
        elif isinstance(cond, Not):
            result = self._dnf(cond.item, not positive)
        elif isinstance(cond, FactRef):
            result = self._dnf(self.pathway.facts[cond.name].when, positive)
        else:
            result = [((cond, positive),)]
        self._spend(len(result))
        self._memo[key] = (cond, result)
        return result

    def _product(self, parts: list[list[Term]]) -> list[Term]:
        terms: list[Term] = [()]
        for part in parts:
            self._spend(len(terms) * len(part))  # before building them
            terms = [a + b for a, b in product(terms, part) if not _clash(a + b)]
        return terms

    def _consistent(self, term: Term) -> bool:
        by_field: dict[str, list[Literal]] = {}
        atoms: dict[str, bool] = {}
        for cond, want in term:
            if isinstance(cond, (Leaf, Present)):
                by_field.setdefault(cond.field, []).append((cond, want))
            elif isinstance(cond, (HistoryMatch, CurrentTherapy)):
                key = cond.words()
                if atoms.setdefault(key, want) != want:
                    return False
        return all(self._field_ok(self.pathway.fields[f], lits) for f, lits in by_field.items())

    def _field_ok(self, spec: FieldSpec, literals: list[Literal]) -> bool:
        for value in self._candidates(spec, literals):
            if all(self._holds(cond, want, spec, value) for cond, want in literals):
                return True
        return False

    def _holds(self, cond: Condition, want: bool, spec: FieldSpec, value: Any) -> bool:
        if (
            value is ABSENT
            and isinstance(cond, Leaf)
            and cond.not_asked_when is not None
            and not want
        ):
            return True  # may be "not asked" through another field: assume it can be
        self._ctx.values = {} if value is ABSENT else {spec.path: value}
        result, _ = cond.evaluate(self._ctx)
        return result is want

    def _candidates(self, spec: FieldSpec, literals: list[Literal]) -> Iterator[Any]:
        yield ABSENT
        operands = [c.operand for c, _ in literals if isinstance(c, Leaf)]
        if spec.kind == "enum":
            yield from (v for v in spec.values if v != NOT_KNOWN)
        elif spec.kind == "boolean":
            yield from (True, False)
        elif spec.kind in ("number", "integer"):
            yield from _numbers(spec, operands)
        elif spec.kind == "list":
            yield from _sets(literals)
        elif spec.kind in ("object", "history"):
            yield {}
        else:
            for operand in operands:
                yield from (operand if isinstance(operand, frozenset) else [operand])
            yield "\x00another value"


def _clash(term: Term) -> bool:
    seen: dict[int, bool] = {}
    return any(seen.setdefault(id(cond), want) != want for cond, want in term)


def _numbers(spec: FieldSpec, operands: list[Any]) -> Iterator[float]:
    points = {spec.minimum, spec.maximum}
    for c in operands:
        if isinstance(c, (int, float)):
            points |= {c - 1, c, c + 1} if spec.kind == "integer" else {c - 0.5, c, c + 0.5}
    low = spec.minimum if spec.minimum is not None else float("-inf")
    high = spec.maximum if spec.maximum is not None else float("inf")
    yield from sorted(p for p in points if p is not None and low <= p <= high)


def _sets(literals: list[Literal]) -> Iterator[list[Any]]:
    required: set[Any] = set()
    forbidden: set[Any] = set()
    any_of: list[frozenset[Any]] = []
    for cond, want in literals:
        if not isinstance(cond, Leaf):
            continue
        values = cond.operand if isinstance(cond.operand, frozenset) else frozenset({cond.operand})
        if cond.op.name == "contains":
            (required if want else forbidden).update(values)
        elif cond.op.name == "contains_any":
            if want:
                any_of.append(values)
            else:
                forbidden.update(values)
    chosen = set(required)
    for group in any_of:
        if not group & chosen:
            pick = sorted(group - forbidden, key=str)
            if pick:
                chosen.add(pick[0])
    yield sorted(chosen, key=str)
    yield []


def unreachable_nodes(pathway: Pathway) -> set[str]:
    """Ids of the nodes no profile can enter (and their descendants), for ``pathway doc``."""
    found: set[str] = set()
    nodes = pathway.nodes()
    for rule, _, _, _, subject in _reachability(pathway):
        if rule == "unreachable-node" and subject in nodes:
            found.update(n.id for n in nodes[subject].walk())
    return found


def _reachability(pathway: Pathway) -> list[tuple[str, str, str, str, str]]:
    sat = Satisfiability(pathway)
    found: list[tuple[str, str, str, str, str]] = []

    def skipped(what: str, pointer: str, subject: str) -> None:
        found.append(
            (
                "reachability-skipped",
                "warning",
                f"{what} is too complex to check within the budget of "
                f"{REACHABILITY_BUDGET:,} terms; assumed reachable",
                pointer,
                subject,
            )
        )

    def visit(node: Node, ancestors: list[Node]) -> None:
        path = [a.when for a in ancestors] + [node.when]
        answer = sat.satisfiable(path)
        if answer is None:
            skipped(f"node '{node.id}'", f"{node.pointer}/when", node.id)
        elif not answer:
            below = sum(1 for _ in node.walk()) - 1
            tail = f" (nor its {below} descendant node(s))" if below else ""
            if sat.satisfiable([node.when]) is False:
                message = f"node '{node.id}' can never be entered: {node.when.words()} can never hold{tail}"
            else:
                blocker = next(
                    (
                        a
                        for a in reversed(ancestors)
                        if sat.satisfiable([a.when, node.when]) is False
                    ),
                    ancestors[-1],
                )
                message = (
                    f"node '{node.id}' can never be entered: its condition contradicts "
                    f"its ancestor '{blocker.id}'{tail}"
                )
            found.append(("unreachable-node", "error", message, f"{node.pointer}/when", node.id))
            return
        for child in node.children:
            visit(child, [*ancestors, node])

    visit(pathway.tree, [])
    for rule in pathway.safety_rules():
        answer = sat.satisfiable([rule.when])
        if answer is None:
            skipped(f"{rule.kind} {rule.key}", f"{rule.pointer}/when", rule.key)
        elif not answer:
            found.append(
                (
                    "never-true",
                    "warning",
                    f"{rule.kind} {rule.key} can never apply: {rule.when.words()}",
                    f"{rule.pointer}/when",
                    rule.key,
                )
            )
    for alert in pathway.alerts:
        answer = sat.satisfiable([alert.when])
        if answer is None:
            skipped(f"alert {alert.code}", f"{alert.pointer}/when", alert.code)
        elif not answer:
            found.append(
                (
                    "never-true",
                    "warning",
                    f"alert {alert.code} can never be raised: {alert.when.words()}",
                    f"{alert.pointer}/when",
                    alert.code,
                )
            )
    for therapy in pathway.therapies.values():
        for i, context in enumerate(therapy.evidence_in_context):
            answer = sat.satisfiable([context.when])
            pointer = f"{therapy.pointer}/evidence_in_context/{i}/when"
            if answer is None:
                skipped(f"{therapy.id}: evidence in context {i}", pointer, therapy.id)
            elif not answer:
                found.append(
                    (
                        "never-true",
                        "warning",
                        f"{therapy.id}: evidence in context {i} can never apply",
                        pointer,
                        therapy.id,
                    )
                )
    return found


# ----------------------------------------------------------------------------
# Reasons that fit the patient; checks that are worded.

_DM_FAMILY = frozenset(
    {"dermatomyositis", "amyopathic_dermatomyositis", "juvenile_dermatomyositis"}
)
SUBTYPE_WORDS: tuple[tuple[re.Pattern[str], frozenset[str]], ...] = (
    (re.compile(r"\bpolymyositis\b|\bPM\b"), frozenset({"polymyositis"})),
    (re.compile(r"(?<!non-)\bdermatomyositis\b|(?<!non-)\b(DM|JDM)\b"), _DM_FAMILY),
    (re.compile(r"\bamyopathic\b", re.I), frozenset({"amyopathic_dermatomyositis"})),
    (re.compile(r"\bantisynthetase syndrome\b", re.I), frozenset({"antisynthetase_syndrome"})),
    (
        re.compile(r"\bIMNM\b|\bnecroti[sz]ing myopathy\b", re.I),
        frozenset({"immune_mediated_necrotizing_myopathy"}),
    ),
    (re.compile(r"\boverlap myositis\b", re.I), frozenset({"overlap_myositis"})),
    (re.compile(r"\binclusion body myositis\b|\bIBM\b"), frozenset({"inclusion_body_myositis"})),
)
"""Words that name a subtype, and the subtypes they name (the reason-subtype rule)."""


def named_subtypes(text: str) -> frozenset[str]:
    found: set[str] = set()
    for pattern, subtypes in SUBTYPE_WORDS:
        if pattern.search(text):
            found |= subtypes
    return frozenset(found)


def _reason_subtypes(pathway: Pathway) -> list[tuple[str, str, str, str, str]]:
    spec = pathway.fields["diagnosis.subtype"]
    equals = OPERATORS["equals"]
    is_subtype = {value: Leaf(spec, equals, value, None, None) for value in spec.values}
    sat = Satisfiability(pathway)
    found: list[tuple[str, str, str, str, str]] = []

    def allowed(path: list[Condition]) -> frozenset[str]:
        return frozenset(
            value
            for value, leaf in is_subtype.items()
            if sat.satisfiable([*path, leaf]) is not False
        )

    def visit(node: Node, path: list[Condition]) -> None:
        here = [*path, node.when]
        for option in node.options:
            texts = [(option.reason, here, f"{option.pointer}/reason")]
            texts += [
                (text, [*here, when], f"{option.pointer}/reasons_for/{i}/reason")
                for i, (when, text) in enumerate(option.reasons_for)
            ]
            for text, conditions, pointer in texts:
                named = named_subtypes(text)
                if not named:
                    continue
                others = allowed(conditions) - named
                if others:
                    words = ", ".join(sorted(o.replace("_", " ") for o in others))
                    found.append(
                        (
                            "reason-subtype",
                            "warning",
                            f"the reason for {option.key} in node {node.id} names "
                            f"{', '.join(sorted(n.replace('_', ' ') for n in named))}, but the node "
                            f"also admits {words}: condition it with reasons_for, or word it for all",
                            pointer,
                            node.id,
                        )
                    )
        for child in node.children:
            visit(child, here)

    visit(pathway.tree, [])
    return found


def _undecidable_fields(condition: Condition, pathway: Pathway, seen: set[str]) -> set[str]:
    """Fields whose absence can leave this condition undecided (facts followed)."""
    fields: set[str] = set()
    for item in condition.walk():
        if isinstance(item, FactRef) and item.name not in seen:
            seen.add(item.name)
            fields |= _undecidable_fields(pathway.facts[item.name].when, pathway, seen)
        elif isinstance(item, Leaf) and item.ask and item.if_absent is None:
            fields.add(item.spec.pointer)
    return fields


_REQUIRED = frozenset({"/id", "/age", "/diagnosis", "/diagnosis/subtype"})


def _check_wording(pathway: Pathway) -> list[tuple[str, str, str, str, str]]:
    asked: set[str] = set()
    for rule in pathway.safety_rules():
        asked |= _undecidable_fields(rule.when, pathway, set())
    for alert in pathway.alerts:
        if alert.check_if_unknown:
            asked |= _undecidable_fields(alert.when, pathway, set())
    asked -= _REQUIRED  # a required field is never absent
    found: list[tuple[str, str, str, str, str]] = []
    titles = pathway.field_titles
    first_rule: dict[str, str] = {}
    for rule in pathway.safety_rules():
        for pointer in _undecidable_fields(rule.when, pathway, set()):
            first_rule.setdefault(pointer, rule.pointer)
    for pointer in sorted(asked - set(pathway.checks), key=lambda p: pathway.field_order.get(p, 0)):
        found.append(
            (
                "check-wording",
                "warning",
                f"{titles.get(pointer, pointer)} can be undecided but has no entry in checks: "
                f"it would be asked as '{titles.get(pointer, pointer)}: not recorded'",
                first_rule.get(pointer, "/checks"),
                pointer,
            )
        )
    for pointer, check in pathway.checks.items():
        if pointer not in asked:
            found.append(
                (
                    "unused-check",
                    "warning",
                    f"check '{check.id}' words {pointer}, which no safety rule or asking alert leaves undecided",
                    f"/checks/{check.order}",
                    check.id,
                )
            )
    return found


# ----------------------------------------------------------------------------
# Evidence, policy, review date, unused definitions.


def _evidence(pathway: Pathway) -> list[tuple[str, str, str, str, str]]:
    found = []
    for therapy in pathway.therapies.values():
        if not therapy.references:
            found.append(
                (
                    "option-evidence",
                    "error",
                    f"therapy {therapy.id} cites no reference",
                    f"{therapy.pointer}/references",
                    therapy.id,
                )
            )
    for node in pathway.tree.walk():
        for spec in node.options:
            single = pathway.therapies[spec.therapies[0]] if len(spec.therapies) == 1 else None
            evidence = spec.evidence or (single.evidence if single else None)
            references = spec.references or (single.references if single else ())
            missing = [
                what
                for what, ok in (
                    ("an evidence level", evidence),
                    ("a reference", references),
                    ("a reason", spec.reason.strip()),
                )
                if not ok
            ]
            if missing:
                found.append(
                    (
                        "option-evidence",
                        "error",
                        f"option {spec.key} in node {node.id} has no {' or '.join(missing)}",
                        spec.pointer,
                        node.id,
                    )
                )
    return found


def _policy(pathway: Pathway) -> list[tuple[str, str, str, str, str]]:
    found = []
    for tid in sorted(pathway.always_discouraged):
        therapy = pathway.therapies.get(tid)
        if therapy is not None and therapy.tier != "discouraged":
            found.append(
                (
                    "policy-discouraged",
                    "error",
                    f"{tid} is always discouraged by the policy but its catalogue tier is {therapy.tier or 'not set'}",
                    therapy.pointer,
                    tid,
                )
            )
    for therapy in pathway.therapies.values():
        if therapy.evidence == "D" and therapy.id not in pathway.always_discouraged:
            found.append(
                (
                    "policy-discouraged",
                    "error",
                    f"{therapy.id} has evidence D (results not encouraging) but is not in policy.always_discouraged",
                    f"{therapy.pointer}/evidence",
                    therapy.id,
                )
            )
    for node in pathway.tree.walk():
        for spec in node.options:
            for tid in spec.therapies:
                if tid in pathway.always_discouraged and spec.max_tier not in (None, "discouraged"):
                    found.append(
                        (
                            "policy-discouraged",
                            "error",
                            f"option {spec.key} in node {node.id} claims max_tier {spec.max_tier}, "
                            f"but {tid} is always discouraged",
                            f"{spec.pointer}/max_tier",
                            node.id,
                        )
                    )
    for tid, code, _pointer in pathway.required_caveats:
        therapy = pathway.therapies.get(tid)
        if therapy is not None and all(c.code != code for c in therapy.caveats):
            found.append(
                (
                    "policy-caveat",
                    "error",
                    f"{tid} must carry the standing caveat '{code}'",
                    f"{therapy.pointer}/caveats",
                    tid,
                )
            )
    return found


def _review(
    pathway: Pathway, max_age_days: int | None, today: dt.date
) -> list[tuple[str, str, str, str, str]]:
    meta = pathway.metadata
    try:
        reviewed = dt.date.fromisoformat(meta.last_reviewed)
    except ValueError:
        return [
            (
                "review-due",
                "error",
                f"last_reviewed '{meta.last_reviewed}' is not a date",
                "/pathway/last_reviewed",
                meta.id,
            )
        ]
    limit = max_age_days or meta.review_interval_days or 365
    age = (today - reviewed).days
    if age > limit:
        return [
            (
                "review-due",
                "warning",
                f"last reviewed {meta.last_reviewed}, {age} days ago (review interval {limit} days)",
                "/pathway/last_reviewed",
                meta.id,
            )
        ]
    return []


def _unused(pathway: Pathway) -> list[tuple[str, str, str, str, str]]:
    data = pathway.data
    cited: set[str] = set(pathway.metadata.sources)

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "references" and isinstance(value, list):
                    cited.update(v for v in value if isinstance(v, str))
                elif key != "references":
                    collect(value)
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect({k: v for k, v in data.items() if k != "references"})
    found = [
        (
            "unused-reference",
            "warning",
            f"reference '{rid}' is never cited",
            f"/references/{rid}",
            rid,
        )
        for rid in pathway.references
        if rid not in cited
    ]
    used: set[str] = set()
    conditions: list[Condition] = [fact.when for fact in pathway.facts.values()]
    conditions += [node.when for node in pathway.tree.walk()]
    conditions += [rule.when for rule in pathway.safety_rules()]
    conditions += [alert.when for alert in pathway.alerts]
    for therapy in pathway.therapies.values():
        conditions += [c.when for c in therapy.evidence_in_context]
        if therapy.current_when is not None:
            conditions.append(therapy.current_when)
    for cond in conditions:
        used.update(c.name for c in cond.walk() if isinstance(c, FactRef))
    used.add("refractory")  # the engine reports it in every record
    found += [
        ("unused-fact", "warning", f"fact '{name}' is never used", f"/facts/{name}", name)
        for name in pathway.facts
        if name not in used
    ]
    return found


def _cases(pathway: Pathway, cases_dir: str | None) -> list[Finding]:
    from .golden import case_files, default_cases_dir, load_case
    from .pipeline import Pipeline

    directory = cases_dir or default_cases_dir(pathway)
    if not os.path.isdir(directory):
        return []
    findings = []
    pipeline = Pipeline(pathway)
    for path in case_files(directory):
        _, problems = load_case(path, pipeline)
        for p in problems:
            findings.append(
                Finding("case-invalid", "error", p.message, path, p.line, p.column, p.pointer)
            )
    return findings
