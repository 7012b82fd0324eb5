"""Ranking: the suggestions of the walk become ranked options.

For each option suggested by the nodes entered (a therapy, or a combination
started together):

- a therapy the patient already takes is continued, not started; an option
  with nothing new to start, or that would start an excluded therapy, is
  withheld with its reason;
- evidence is the best level any suggestion states, or the therapy's own in
  this context; the score is the sum of the suggesting nodes' weights, plus
  the evidence bonus, minus the penalties of the cautions that hold;
- the tier is "preferred" at ``preferred_at`` or above, else "consider",
  lowered by the catalogue's fixed tier, the policy, ``max_tier`` and the
  caps of the nodes entered;
- options sort by tier, then score, then catalogue order, so the output is
  deterministic and a discouraged option never ranks above another.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

from .conditions import Context
from .pathway import EVIDENCE_LEVELS, TIERS, OptionSpec, Pathway, SafetyRule
from .plan import CapPlan, Plan, Suggestion
from .results import Basis, Option, Withheld

if TYPE_CHECKING:
    from .engine import RuledOut, Trace


class Undecided(NamedTuple):
    """A safety rule of an offered option that the profile cannot decide."""

    option: str  # the option's key
    therapy: str
    rule: SafetyRule
    absent: frozenset[str]  # the fields that would decide it


class Ranked(NamedTuple):
    options: tuple[Option, ...]
    withheld: tuple[Withheld, ...]
    undecided: tuple[Undecided, ...]  # what each offered option still needs to know
    missing: frozenset[str]
    reached: frozenset[str]
    left_out: tuple[str, ...] = ()  # each suggestion not offered, and why, in words


class _Draft:
    """An option being assembled from the suggestions of the nodes entered."""

    __slots__ = (
        "basis",
        "caveat_codes",
        "caveats",
        "continued",
        "evidence",
        "evidence_refs",
        "key",
        "max_tier",
        "missing",
        "order",
        "penalty",
        "reasons",
        "references",
        "score",
        "therapies",
        "undecided",
        "weight",
    )

    def __init__(
        self,
        key: str,
        therapies: tuple[str, ...],
        continued: tuple[str, ...],
        order: tuple[int, ...],
    ) -> None:
        self.key = key
        self.therapies = therapies
        self.continued = continued
        self.order = order
        self.weight = 0.0
        self.evidence = "D"
        self.evidence_refs: tuple[str, ...] = ()
        self.reasons: list[str] = []
        self.caveats: list[str] = []
        self.caveat_codes: list[str] = []  # beside caveats: the rule or standing caveat's id
        self.references: list[str] = []
        self.penalty = 0.0
        self.max_tier = 0  # index into TIERS
        self.missing: set[str] = set()
        self.score = 0.0
        self.undecided: list[tuple[str, SafetyRule, frozenset[str]]] = []
        self.basis: list[Basis] = []


def rank(
    pathway: Pathway,
    ctx: Context,
    suggestions: tuple[Suggestion, ...],
    caps: tuple[CapPlan, ...],
    ruled: RuledOut,
    current: tuple[str, ...],
    trace: Trace,
) -> Ranked:
    """Ranked options and withheld suggestions, from what the walk suggested."""
    p = pathway
    plan = p.plan
    excluded = ruled.excluded
    grouped: dict[str, list[Suggestion]] = {}
    for s in suggestions:
        grouped.setdefault(s.spec.key, []).append(s)
    drafts: dict[str, _Draft] = {}
    withheld: dict[str, Withheld] = {}
    missing: set[str] = set()
    reached: set[str] = set()
    left_out: dict[str, str] = {}
    for key, group in grouped.items():
        members = group[0].spec.therapies
        if current:
            to_start = tuple([t for t in members if t not in current])
            continued = tuple([t for t in members if t in current])
        else:
            to_start, continued = members, ()
        if not to_start:  # all taken now: said once, under what the patient takes
            reason = p.messages["already_current"].format(
                names=join_words(p.name_of(t) for t in continued)
            )
            left_out[key] = f"{plan.names(members)[0]}: {reason}"
            if trace.on:
                trace.step("option", key, f"not offered: {reason}")
            continue
        blocked = [t for t in to_start if t in excluded] if excluded else None
        if blocked:
            if len(members) > 1:
                tid = blocked[0]
                reason = p.messages["member_excluded"].format(
                    name=p.name_of(tid), reason=excluded[tid][0][1]
                )
                withheld[key] = Withheld(key, members, reason)
                left_out[key] = f"{plan.names(members)[0]}: {reason}"
                if trace.on:
                    trace.step("option", key, f"withheld: {reason}")
            else:
                left_out[key] = f"{plan.names(members)[0]}: {excluded[blocked[0]][0][1]}"
                if trace.on:
                    trace.step("option", key, "not offered: excluded")
            continue
        draft = _draft(
            p, plan, ctx, group, to_start, continued, caps, ruled, missing, reached, trace
        )
        existing = drafts.get(draft.key)
        if existing is None or draft.score > existing.score:
            if existing is not None:
                _merge_text(draft, existing)
            drafts[draft.key] = draft
        else:
            _merge_text(existing, draft)
    ordered = sorted(drafts.values(), key=lambda d: (d.max_tier, -d.score, d.order))
    undecided = tuple(
        [Undecided(d.key, tid, rule, absent) for d in ordered for tid, rule, absent in d.undecided]
    )
    options = []
    for position, d in enumerate(ordered, start=1):
        ref_ids = tuple(dict.fromkeys(d.references))
        if len(d.caveats) == len(set(d.caveats)):
            caveat_texts = tuple(d.caveats)
            caveat_codes = tuple(d.caveat_codes)
        else:  # a caveat said twice: shown once, with its first code
            caveats = dict(zip(reversed(d.caveats), reversed(d.caveat_codes), strict=True))
            caveat_texts = tuple(dict.fromkeys(d.caveats))  # first occurrence
            caveat_codes = tuple(caveats[c] for c in caveat_texts)
        name, short_name = plan.names(d.therapies)
        ref_labels, ref_shorts = plan.cited(ref_ids)
        options.append(
            Option(
                position,
                d.key,
                d.therapies,
                name,
                TIERS[d.max_tier],
                d.evidence,
                round(d.score, 2),
                tuple(dict.fromkeys(d.reasons)),
                caveat_texts,
                ref_labels,
                d.continued,
                tuple(order_missing(p, d.missing)) if d.missing else (),
                ref_shorts,
                short_name,
                tuple(d.basis),
                ref_ids,
                caveat_codes,
            )
        )
        if trace.on:
            trace.step("rank", d.key, f"#{position} {TIERS[d.max_tier]} score {d.score:g}")
    ordered_withheld = tuple(withheld[k] for k in grouped if k in withheld) if withheld else ()
    return Ranked(
        tuple(options),
        ordered_withheld,
        undecided,
        frozenset(missing),
        frozenset(reached),
        tuple(left_out.values()),
    )


def _draft(
    p: Pathway,
    plan: Plan,
    ctx: Context,
    group: list[Suggestion],
    to_start: tuple[str, ...],
    continued: tuple[str, ...],
    caps: tuple[CapPlan, ...],
    ruled: RuledOut,
    missing: set[str],
    reached: set[str],
    trace: Trace,
) -> _Draft:
    key = "+".join(to_start) if len(to_start) > 1 else to_start[0]
    therapies = plan.therapies
    d = _Draft(key, to_start, continued, tuple([therapies[t].order for t in to_start]))
    # evidence: the best level any suggestion states, or the therapy's own in this context
    best, d.evidence_refs = 4, ()
    for s in group:
        if 0 <= s.evidence < best:
            best, d.evidence_refs = s.evidence, s.spec.references
    first = group[0].spec
    if len(first.therapies) == 1:
        level, refs = therapy_evidence(p, ctx, first.therapies[0])
        if plan.evidence_rank[level] < best:
            best, d.evidence_refs = plan.evidence_rank[level], refs
    d.evidence = EVIDENCE_LEVELS[best]
    max_tier = 0
    for s in group:
        spec = s.spec
        d.weight += spec.weight
        d.reasons.append(
            reason_for(p, ctx, spec) if spec.reasons_for or spec.studied_in else spec.reason
        )
        if trace.on:
            d.basis.append(Basis("weight", s.node.id, spec.weight, s.node.title))
        if spec.caveats:
            d.caveats.extend(spec.caveats)
            d.caveat_codes.extend(s.caveat_codes)
        d.references.extend(spec.references)
        if spec.max_tier:
            if s.max_tier > max_tier:
                max_tier = s.max_tier
            if trace.on:
                d.basis.append(
                    Basis("cap", s.node.id, 0, f"at most {spec.max_tier} in {s.node.title}")
                )
    d.references.extend(d.evidence_refs)
    if continued:
        d.reasons.append(
            p.messages["continue_current"].format(names=join_words(p.name_of(t) for t in continued))
        )
    bonus = p.evidence_bonus[d.evidence]
    if trace.on:
        d.basis.append(Basis("evidence", d.evidence, bonus, f"evidence level {d.evidence}"))
    combination = len(to_start) > 1
    undecided_rules = ruled.undecided
    caution_tier = plan.caution_tier
    for tid in to_start:
        therapy = p.therapies[tid]
        fixed = therapies[tid]
        label = fixed.label if combination else ""
        d.caveats.extend(fixed.labelled if combination else fixed.caveats)
        d.caveat_codes.extend(fixed.codes)
        if fixed.max_tier > max_tier:
            max_tier = fixed.max_tier
        if therapy.tier and trace.on:
            d.basis.append(Basis("cap", tid, 0, f"{therapy.name} is always {therapy.tier}"))
        for rule, absent in undecided_rules.get(tid, ()):
            # asked once, in the record's checks, not repeated under each option
            d.undecided.append((tid, rule, absent))
            d.missing.update(absent)
        for rule in therapy.cautions:
            value, absent = rule.when.evaluate(ctx)
            if absent:
                missing.update(absent)
            if value is True:
                reached.add(f"rule:{rule.key}")
                d.penalty += rule.penalty
                d.caveats.append(label + rule.text)
                d.caveat_codes.append(rule.key)
                d.references.extend(rule.references)
                if rule.max_tier:
                    rule_tier = caution_tier[rule.key]
                    if rule_tier > max_tier:
                        max_tier = rule_tier
                if trace.on:
                    d.basis.append(Basis("caution", rule.key, -rule.penalty, rule.text))
                    if rule.max_tier:
                        d.basis.append(Basis("cap", rule.key, 0, f"at most {rule.max_tier}"))
                    capped = f"; at most {rule.max_tier}" if rule.max_tier else ""
                    trace.step(
                        "safety",
                        key,
                        f"caution {rule.key}: -{rule.penalty:g}{capped}, {rule.text}",
                    )
            elif value is None:
                d.undecided.append((tid, rule, absent))
                d.missing.update(absent)
                if trace.on:
                    trace.step(
                        "safety",
                        key,
                        f"caution {rule.key} cannot be decided: {rule.when.words()} is unknown",
                    )
    for c in caps:
        cap = c.cap
        if cap.therapies is None or any(t in cap.therapies for t in to_start):
            if c.max_tier > max_tier:
                max_tier = c.max_tier
            d.caveats.append(cap.caveat)
            d.caveat_codes.append(c.code)
            d.references.extend(cap.references)
            if trace.on:
                d.basis.append(Basis("cap", c.node.id, 0, f"at most {cap.max_tier}: {cap.caveat}"))
    d.score = d.weight + bonus - d.penalty
    score_tier = 0 if d.score >= p.preferred_at else 1
    d.max_tier = max(max_tier, score_tier)
    if trace.on:
        verdict = "reaches" if score_tier == 0 else "is below"
        d.basis.append(
            Basis(
                "tier",
                "score",
                d.score,
                f"score {d.score:g} {verdict} {p.preferred_at:g} (preferred)",
            )
        )
        trace.step(
            "option",
            key,
            f"score {d.weight:g} (weights) {bonus:+g} (evidence {d.evidence}) -{d.penalty:g} (cautions) = {d.score:g}"
            f"; tier {TIERS[d.max_tier]} (preferred at {p.preferred_at:g})",
        )
    return d


def reason_for(p: Pathway, ctx: Context, spec: OptionSpec) -> str:
    """The option's reason for this patient: the narrower population's if one holds,
    marked as extrapolated when the patient is outside the population studied."""
    reason = spec.reason
    for when, narrower in spec.reasons_for:
        if when.evaluate(ctx)[0] is True:
            reason = narrower
            break
    if spec.studied_in is not None and spec.studied_in.when.evaluate(ctx)[0] is not True:
        template = p.messages.get("extrapolated", "{reason} ({note})")
        reason = template.format(reason=reason, note=spec.studied_in.note)
    return reason


def therapy_evidence(p: Pathway, ctx: Context, tid: str) -> tuple[str, tuple[str, ...]]:
    """A therapy's evidence level and references for this patient (first context that holds)."""
    therapy = p.therapies[tid]
    for context in therapy.evidence_in_context:
        value, _ = context.when.evaluate(ctx)
        if value is True:
            return context.evidence, context.references
    return therapy.evidence, therapy.references


_KEYS_LIMIT = 4096  # pointers whose sort key is remembered per pathway (fields, history slots)


def order_missing(p: Pathway, pointers: Iterable[str]) -> list[str]:
    """Absent fields in profile-schema order (history entries by position).

    Each pointer's sort key is computed once per pathway: the pointers are a
    small fixed set (the profile's fields and history slots), while the sets
    they form are many, so remembering sets would grow with the batch.
    """
    chosen = pointers if isinstance(pointers, (set, frozenset)) else set(pointers)
    if len(chosen) < 2:  # most rules need one field: nothing to sort
        return list(chosen)
    keys = p.missing_keys
    try:  # every pointer seen before: sorted by its remembered key, in C
        return sorted(chosen, key=keys.__getitem__)
    except KeyError:
        pass
    order = p.field_order
    last = len(order)

    def key(pointer: str) -> tuple[int, int, str]:
        known = keys.get(pointer)
        if known is None:
            position = order.get(pointer)
            if position is not None:
                known = (position, -1, "")
            else:  # inside a list: its section's place, then the entry's number
                parts = pointer.split("/")
                slot = parts[2] if len(parts) > 2 else ""
                number = int(slot) if slot.isdecimal() and slot.isascii() else -1
                known = (order.get("/" + parts[1], last), number, pointer)
            if len(keys) < _KEYS_LIMIT:
                keys[pointer] = known
        return known

    return sorted(chosen, key=key)


def _merge_text(into: _Draft, other: _Draft) -> None:
    into.reasons.extend(r for r in other.reasons if r not in into.reasons)
    into.references.extend(other.references)


def join_words(names: Iterable[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def months_words(months: float | None) -> str:
    if months is None:
        return "unrecorded time"
    value = int(months) if float(months).is_integer() else months
    return f"{value} month" + ("" if value == 1 else "s")
