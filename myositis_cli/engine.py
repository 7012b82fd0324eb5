"""The engine: ``suggest(pathway, profile) -> Recommendation``.

Pure and deterministic. It reads as its stages, each a function whose
arguments and result say what it reads and writes (spec/pathway.md):

1. ``walk``: enter every node of the tree whose condition is true; the
   options of entered nodes accumulate (weights add up).
2. ``rule_out``: history rules (a therapy stopped for intolerance is
   excluded; one that failed after an adequate trial is not offered again
   as a new start) and the safety rules of every therapy of the catalogue
   (a contraindication that holds excludes it; one that cannot be decided is
   kept as undecided).
3. ``ranking.rank``: options from the suggestions, with cautions, caps and
   scores; sorted by tier, then score, then catalogue order.
4. ``take_stock``: each therapy the patient takes now, once: continue it, or
   review it and why.
5. ``raise_alerts``: alerts, critical first; routine notices are not shown
   beside a critical alert (``--explain`` keeps them); when nothing is left
   to offer, the pathway's empty answer says why.
6. ``gather_checks``: every undecided fact, asked once, with every option it
   could change.

Every number that moves a rank comes from the pathway and is written to the
trace. No clinical fact lives here.
"""

from __future__ import annotations

from typing import NamedTuple

from . import ranking
from .conditions import EMPTY, Condition, Context, HistoryItem, Result
from .pathway import (
    ALERT_LEVELS,
    CURRENT_CONTRAINDICATED,
    AlertRule,
    Node,
    Pathway,
    SafetyRule,
)
from .plan import CapPlan, Suggestion
from .profile import Profile
from .ranking import Ranked, months_words
from .results import Alert, Check, Exclusion, Recommendation, Taking, TraceStep


def suggest(pathway: Pathway, profile: Profile, *, trace: bool = True) -> Recommendation:
    """Ranked next-line options for one profile. Never raises for a valid profile."""
    tracer = Trace(trace)
    ctx = context_for(pathway, profile)
    current = tuple(t for t in pathway.therapies if ctx.current[t][0] is True)
    walked = walk(pathway, ctx, tracer)
    ruled = rule_out(pathway, profile, ctx, tracer)
    ranked = ranking.rank(pathway, ctx, walked.suggestions, walked.caps, ruled, current, tracer)
    taking = take_stock(pathway, profile, ctx, ruled, current, tracer)
    raised = raise_alerts(pathway, ctx, ruled.excluded, current, ranked, tracer)
    checks = gather_checks(pathway, ranked, raised)
    refractory: bool | None = None
    missing = walked.missing | ruled.missing | ranked.missing | raised.missing
    if "refractory" in pathway.facts:
        refractory, refractory_missing = ctx.fact("refractory")
        missing |= refractory_missing
    names = pathway.name_of
    codes, refs = ruled.codes, ruled.refs
    return Recommendation(
        id=profile.id,
        subtype=profile.subtype,
        refractory=refractory,
        alerts=raised.alerts,
        options=ranked.options,
        excluded=tuple(
            [
                Exclusion(
                    tid,
                    names(tid),
                    reasons[0][1],
                    tuple([r for _, r in reasons]),
                    tuple([rule for rule, _ in reasons]),
                    tuple([codes[(tid, rule)] for rule, _ in reasons]),
                    tuple(
                        dict.fromkeys([r for rule, _ in reasons for r in refs.get((tid, rule), ())])
                    ),
                )
                for tid, reasons in ruled.excluded.items()
            ]
        ),
        withheld=ranked.withheld,
        missing=tuple(ranking.order_missing(pathway, missing)),
        current=current,
        pathway_id=pathway.id,
        pathway_version=pathway.version,
        disclaimer=pathway.metadata.disclaimer,
        trace=tuple(tracer.steps),
        reached=frozenset(walked.reached | ruled.reached | ranked.reached | raised.reached),
        checks=checks,
        taking=taking,
        suppressed=raised.suppressed,
    )


class Trace:
    """The walk as --explain shows it. Callers check ``on`` before formatting a
    message, so nothing is formatted when nobody will read it."""

    __slots__ = ("on", "steps")

    def __init__(self, on: bool) -> None:
        self.on = on
        self.steps: list[TraceStep] = []

    def step(self, phase: str, subject: str, message: str) -> None:
        self.steps.append(TraceStep(phase, subject, message))


def evaluate(condition: Condition, ctx: Context, missing: set[str]) -> Result:
    """Evaluate, collecting the absent fields that could change the answer into ``missing``."""
    value, absent = condition.evaluate(ctx)
    if absent:
        missing.update(absent)
    return value, absent


# ---------------------------------------------------------------------- context


def context_for(pathway: Pathway, profile: Profile) -> Context:
    """What conditions read for this patient, with what the patient takes now."""
    rules = pathway.history_rules
    ctx = Context(
        profile.values,
        profile.history,
        profile.has_history,
        pathway.fact_conditions,
        rules.adequate_trial_months,
        rules.unknown_months_adequate,
        adequate_by_therapy=pathway.adequate_by_therapy,
    )
    ctx.failure = pathway.failure_rules
    ctx.current = _current_therapies(pathway, profile, ctx)
    return ctx


def _current_therapies(pathway: Pathway, profile: Profile, ctx: Context) -> dict[str, Result]:
    by_history: set[str] = {item.therapy for item in profile.history if item.current}
    current: dict[str, Result] = {}
    no_history = frozenset() if profile.has_history else frozenset({"/history"})
    for tid, therapy in pathway.therapies.items():
        if tid in by_history:
            current[tid] = (True, EMPTY)
        elif therapy.current_when is not None:
            value, missing = therapy.current_when.evaluate(ctx)
            current[tid] = (value, missing | no_history)
        else:
            current[tid] = (False, no_history)
    return current


# ---------------------------------------------------------------------- 1. walk


class Walked(NamedTuple):
    """What the walk found: the options suggested and the caps of the nodes entered."""

    entered: tuple[Node, ...]
    suggestions: tuple[Suggestion, ...]
    caps: tuple[CapPlan, ...]
    missing: frozenset[str]
    reached: frozenset[str]


def walk(pathway: Pathway, ctx: Context, trace: Trace) -> Walked:
    """Enter every node whose condition is true, depth first, children in order."""
    plan = pathway.plan
    entered: list[Node] = []
    suggestions: list[Suggestion] = []
    caps: list[CapPlan] = []
    missing: set[str] = set()
    stack = [pathway.tree]
    while stack:
        node = stack.pop()
        value, absent = node.when.evaluate(ctx)
        if absent:
            missing.update(absent)
        if value is not True:
            if trace.on:
                state = "unknown" if value is None else "false"
                extra = f" (not recorded: {', '.join(sorted(absent))})" if absent else ""
                trace.step(
                    "walk",
                    node.id,
                    f"skipped '{node.title}': {node.when.words()} is {state}{extra}",
                )
            continue
        entered.append(node)
        suggestions.extend(plan.suggestions[node.id])
        caps.extend(plan.caps[id(node)])
        if trace.on:
            why = "root" if not node.has_condition else node.when.words()
            trace.step("walk", node.id, f"entered '{node.title}': {why}")
            for spec in node.options:
                trace.step("walk", spec.key, f"{spec.weight:+g} from {node.id}: {spec.reason}")
            for cap in node.caps:
                which = "all options" if cap.therapies is None else ", ".join(sorted(cap.therapies))
                trace.step("walk", node.id, f"caps {which} at {cap.max_tier}: {cap.caveat}")
        if node.children:
            stack.extend(reversed(node.children))
    return Walked(
        tuple(entered),
        tuple(suggestions),
        tuple(caps),
        frozenset(missing),
        frozenset([f"node:{node.id}" for node in entered]),
    )


# ---------------------------------------------------------------------- 2. history and safety


Reasons = dict[str, list[tuple[str, str]]]  # therapy -> (rule id, reason), in order
Undecided = dict[str, list[tuple[SafetyRule, frozenset[str]]]]


class RuledOut(NamedTuple):
    """Every therapy ruled out for this patient, and contraindications not decided."""

    excluded: Reasons  # catalogue order
    undecided: Undecided
    missing: frozenset[str]
    reached: frozenset[str]
    codes: dict[tuple[str, str], str]  # (therapy, rule id) -> stable code
    refs: dict[tuple[str, str], tuple[str, ...]]  # (therapy, rule id) -> reference ids


def rule_out(pathway: Pathway, profile: Profile, ctx: Context, trace: Trace) -> RuledOut:
    """History rules, then every contraindication of the catalogue."""
    excluded: Reasons = {}
    missing: set[str] = set()
    reached: set[str] = set()
    codes: dict[tuple[str, str], str] = {}
    refs: dict[tuple[str, str], tuple[str, ...]] = {}
    for item in profile.history:
        reason = _history_reason(pathway, item, missing)
        if reason is not None:
            rule_id, text = reason
            excluded.setdefault(item.therapy, []).append((rule_id, text))
            kind = (
                "intolerance"
                if item.outcome in pathway.history_rules.intolerance_outcomes
                else "failure"
            )
            codes[(item.therapy, rule_id)] = f"history.{kind}"
            if trace.on:
                trace.step("history", item.therapy, f"excluded: {text}")
    undecided: Undecided = {}
    for therapy in pathway.therapies.values():
        for rule in therapy.contraindications:
            value, absent = rule.when.evaluate(ctx)
            if absent:
                missing.update(absent)
            if value is True:
                reached.add(f"rule:{rule.key}")
                excluded.setdefault(therapy.id, []).append((rule.key, rule.text))
                codes[(therapy.id, rule.key)] = rule.key
                refs[(therapy.id, rule.key)] = rule.references
                if trace.on:
                    trace.step(
                        "safety",
                        therapy.id,
                        f"excluded by {rule.key}: {rule.text} ({rule.when.words()})",
                    )
            elif value is None:
                undecided.setdefault(therapy.id, []).append((rule, absent))
                if trace.on:
                    trace.step(
                        "safety",
                        therapy.id,
                        f"{rule.key} cannot be decided: {rule.when.words()} is unknown",
                    )
    ordered = {tid: excluded[tid] for tid in pathway.therapies if tid in excluded}
    return RuledOut(ordered, undecided, frozenset(missing), frozenset(reached), codes, refs)


def _history_reason(
    pathway: Pathway, item: HistoryItem, missing: set[str]
) -> tuple[str, str] | None:
    rules = pathway.history_rules
    messages = pathway.messages
    months = months_words(item.months)
    if item.outcome in rules.intolerance_outcomes:
        after = f" after {months}" if item.months is not None else ""
        return f"history/{item.position}", messages["intolerance"].format(after=after)
    if item.outcome in rules.failure_outcomes and item.therapy not in rules.failure_exempt:
        therapy = pathway.therapies[item.therapy]
        if therapy.retreat_on_partial and item.outcome == "partial_response":
            return None  # a course-based therapy that partly worked: re-treatment, not failure
        if item.months is None:
            if not rules.unknown_months_adequate:
                return None
            missing.add(f"/history/{item.position}/months")
            months = "a trial of unrecorded length"
        elif item.months < pathway.adequate_months(item.therapy):
            return None
        outcome = (item.outcome or "").replace("_", " ")
        return f"history/{item.position}", messages["failure"].format(
            outcome=outcome, months=months
        )
    return None


# ---------------------------------------------------------------------- 4. what is taken now


_TAKING_DEFAULTS = {
    "taking_working": "{outcome}: continue and review",
    "taking_contraindicated": "review: {reason}",
    "taking_failed": "review: {outcome} after {months}",
    "taking_window": "continue: {months} is inside its adequate trial ({adequate})",
    "taking_retreat": "continue: {outcome} after {months}",
    "taking_continue": "continue",
}


def take_stock(
    pathway: Pathway,
    profile: Profile,
    ctx: Context,
    ruled: RuledOut,
    current: tuple[str, ...],
    trace: Trace,
) -> tuple[Taking, ...]:
    """Each therapy the patient takes now, once: "continue", or "review because ..."."""
    rules = pathway.history_rules
    taking = []
    for tid in current:
        entries = [item for item in profile.history if item.therapy == tid]
        entry = next((e for e in reversed(entries) if e.current), entries[-1] if entries else None)
        outcome = entry.outcome if entry else None
        months = entry.months if entry else None
        words = {
            "outcome": (outcome or "no response recorded").replace("_", " "),
            "months": months_words(months),
            "adequate": pathway.therapies[tid].adequate_basis
            or months_words(pathway.adequate_months(tid)),
        }
        reasons = ruled.excluded.get(tid, [])
        contraindicated = [(rule, r) for rule, r in reasons if not rule.startswith("history/")]
        failed = [(rule, r) for rule, r in reasons if rule.startswith("history/")]
        therapy = pathway.therapies[tid]
        if contraindicated:
            advice, key, code = "review", "taking_contraindicated", contraindicated[0][0]
            words["reason"] = contraindicated[0][1]
        elif failed:
            advice, key, code = "review", "taking_failed", "taking.failed"
        elif (
            therapy.retreat_on_partial
            and outcome == "partial_response"
            and months is not None
            and months >= pathway.adequate_months(tid)
        ):
            advice, key, code = "continue", "taking_retreat", "taking.retreat"
        elif (
            outcome in rules.failure_outcomes
            and months is not None
            and months < pathway.adequate_months(tid)
            and tid not in rules.failure_exempt
        ):
            advice, key, code = "continue", "taking_window", "taking.window"
        elif outcome == "good_response":
            advice, key, code = "continue", "taking_working", "taking.working"
        else:
            advice, key, code = "continue", "taking_continue", "taking.continue"
        template = pathway.messages.get(key, _TAKING_DEFAULTS[key])
        reason = template.format(**words)
        taking.append(Taking(tid, pathway.name_of(tid), outcome, months, advice, reason, code))
        if trace.on:
            trace.step("taking", tid, f"{advice}: {reason}")
    return tuple(taking)


# ---------------------------------------------------------------------- 5. alerts


class Raised(NamedTuple):
    alerts: tuple[Alert, ...]
    suppressed: tuple[Alert, ...]  # not shown beside a critical alert
    unknown: tuple[tuple[AlertRule, frozenset[str]], ...]  # undecided alerts that ask
    missing: frozenset[str]
    reached: frozenset[str]


def raise_alerts(
    pathway: Pathway,
    ctx: Context,
    excluded: Reasons,
    current: tuple[str, ...],
    ranked: Ranked,
    trace: Trace,
) -> Raised:
    """Every alert whose condition holds, a warning for a current therapy now
    contraindicated, and the empty answer; critical first, then pathway order.
    Under a critical alert, routine notices are held back (kept in the trace)."""
    raised: list[tuple[int, int, Alert, bool]] = []  # level, order, alert, yields
    missing: set[str] = set()
    reached: set[str] = set()
    unknown: list[tuple[AlertRule, frozenset[str]]] = []
    history_tests = pathway.alert_history_tests
    for order, (rule, fixed) in enumerate(zip(pathway.alerts, pathway.plan.alerts, strict=True)):
        value, absent = rule.when.evaluate(ctx)
        if absent:
            missing.update(absent)
        if value is not True:
            if value is None and rule.check_if_unknown:
                unknown.append((rule, absent))
            continue
        reached.add(f"alert:{rule.code}")
        message = rule.message
        if history_tests[rule.code]:
            message += _history_details(pathway, ctx, rule.code)
        for when, text in rule.details:
            if when.evaluate(ctx)[0] is True:
                message += " " + text
        alert = Alert(rule.level, rule.code, message, fixed.labels, rule.summary, rule.references)
        raised.append((fixed.level, order, alert, rule.yields_to_critical))
        if trace.on:
            trace.step("alert", rule.code, f"{rule.level}: {rule.when.words()}")
    for tid in current:
        contraindicated = [
            r for rule, r in excluded.get(tid, ()) if not rule.startswith("history/")
        ]
        if contraindicated:
            message = pathway.messages["current_contraindicated"].format(
                name=pathway.name_of(tid), reason=contraindicated[0]
            )
            alert = Alert("warning", CURRENT_CONTRAINDICATED, message)
            raised.append((ALERT_LEVELS.index("warning"), len(pathway.alerts), alert, False))
            if trace.on:
                trace.step("alert", tid, message)
    empty = pathway.empty_answer
    if empty is not None and not ranked.options:
        why = (
            "; ".join(ranked.left_out)
            or "no branch of the pathway suggests an option for what is recorded"
        )
        refs = tuple(pathway.reference_label(r) for r in empty.references)
        alert = Alert(
            empty.level,
            empty.code,
            empty.message.format(why=why),
            refs,
            empty.summary,
            empty.references,
        )
        raised.append((ALERT_LEVELS.index(empty.level), len(pathway.alerts) + 1, alert, False))
        reached.add(f"alert:{empty.code}")
        if trace.on:
            trace.step("alert", empty.code, f"{empty.level}: nothing is left to offer ({why})")
    raised.sort(key=lambda r: (r[0], r[1]))
    critical = [a for _, _, a, _ in raised if a.level == "critical"]
    shown = [a for _, _, a, yields in raised if not (critical and yields)]
    held = [a for _, _, a, yields in raised if critical and yields]
    if trace.on:
        for alert in held:
            trace.step(
                "alert", alert.code, f"not shown beside the critical alert {critical[0].code}"
            )
    return Raised(tuple(shown), tuple(held), tuple(unknown), frozenset(missing), frozenset(reached))


def _history_details(pathway: Pathway, ctx: Context, code: str) -> str:
    """The history entries an alert's condition matched: `` (Rituximab (2 months))``."""
    entries: dict[int, HistoryItem] = {}
    for test in pathway.alert_history_tests[code]:
        for item in test.matching(ctx):
            entries[item.position] = item
    if not entries:
        return ""
    described = [
        f"{pathway.name_of(e.therapy)} ({months_words(e.months)})"
        if e.months is not None
        else pathway.name_of(e.therapy)
        for e in (entries[i] for i in sorted(entries))
    ]
    return " (" + ", ".join(described) + ")"


# ---------------------------------------------------------------------- 6. checks


def gather_checks(pathway: Pathway, ranked: Ranked, raised: Raised) -> tuple[Check, ...]:
    """Every undecided fact once, with every option it could change and why.

    Ordered by how many options a fact affects, then by the pathway's order
    of its ``checks`` (facts it does not word come after, in schema order).
    """
    if not ranked.undecided and not raised.unknown:
        return ()
    # pointer -> the options, therapies, reasons and references it could change
    table: dict[str, tuple[dict[str, None], dict[str, None], dict[str, None], dict[str, None]]]
    table = {}
    order_missing = ranking.order_missing
    for undecided in ranked.undecided:
        rule = undecided.rule
        absent = undecided.absent  # most rules need one field: nothing to order
        for pointer in absent if len(absent) < 2 else order_missing(pathway, absent):
            entry = table.get(pointer)
            if entry is None:
                entry = table[pointer] = ({}, {}, {}, {})
            entry[0][undecided.option] = None
            entry[1][undecided.therapy] = None
            entry[2][rule.text] = None
            for ref in rule.references:
                entry[3][ref] = None
    for alert, absent in raised.unknown:
        for pointer in absent if len(absent) < 2 else order_missing(pathway, absent):
            entry = table.get(pointer)
            if entry is None:
                entry = table[pointer] = ({}, {}, {}, {})
            entry[2][alert.check_if_unknown] = None
            for ref in alert.references:
                entry[3][ref] = None
    plan = pathway.plan
    order = pathway.field_order
    catalogue = pathway.catalogue_order

    def key(pointer: str) -> tuple[int, int, int]:
        return (
            -len(table[pointer][0]),
            plan.check(pointer).declared,
            order.get(pointer, len(order)),
        )

    out = []
    for pointer in sorted(table, key=key) if len(table) > 1 else table:
        options, therapies, reasons, references = table[pointer]
        fixed = plan.check(pointer)
        ordered = (
            tuple(sorted(therapies, key=lambda t: catalogue.get(t, 0)))
            if len(therapies) > 1
            else tuple(therapies)
        )
        if fixed.references:
            refs = dict.fromkeys(fixed.references)
            refs.update(references)
            ref_ids = tuple(refs)
        else:
            ref_ids = tuple(references)
        out.append(
            Check(
                fixed.code,
                pointer,
                fixed.ask,
                ordered,
                tuple(options),
                tuple(reasons),
                plan.cited(ref_ids)[0],
                fixed.label,
                tuple([plan.short_names[t] for t in ordered]),
                ref_ids,
            )
        )
    return tuple(out)
