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
from .pathway import EVIDENCE_LEVELS, TIERS, Cap, Node, OptionSpec, Pathway, SafetyRule
from .results import Basis, Option, Withheld

if TYPE_CHECKING:
    from .engine import RuledOut, Trace


class Suggestion(NamedTuple):
    """An option as one entered node suggested it."""

    node: Node
    spec: OptionSpec


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
    caps: tuple[tuple[Node, Cap], ...],
    ruled: RuledOut,
    current: tuple[str, ...],
    trace: Trace,
) -> Ranked:
    """Ranked options and withheld suggestions, from what the walk suggested."""
    p = pathway
    excluded = ruled.excluded
    grouped: dict[str, list[Suggestion]] = {}
    for s in suggestions:
        grouped.setdefault(s.spec.key, []).append(s)
    drafts: dict[str, _Draft] = {}
    withheld: dict[str, Withheld] = {}
    taking = set(current)
    missing: set[str] = set()
    reached: set[str] = set()
    left_out: dict[str, str] = {}
    for key, group in grouped.items():
        members = group[0].spec.therapies
        to_start = tuple(t for t in members if t not in taking)
        continued = tuple(t for t in members if t in taking)
        if not to_start:  # all taken now: said once, under what the patient takes
            reason = p.messages["already_current"].format(
                names=join_words(p.name_of(t) for t in continued)
            )
            left_out[key] = f"{_names(p, members)}: {reason}"
            if trace.on:
                trace.step("option", key, f"not offered: {reason}")
            continue
        blocked = [t for t in to_start if t in excluded]
        if blocked:
            if len(members) > 1:
                tid = blocked[0]
                reason = p.messages["member_excluded"].format(
                    name=p.name_of(tid), reason=excluded[tid][0][1]
                )
                withheld[key] = Withheld(key, members, reason)
                left_out[key] = f"{_names(p, members)}: {reason}"
                if trace.on:
                    trace.step("option", key, f"withheld: {reason}")
            else:
                left_out[key] = f"{_names(p, members)}: {excluded[blocked[0]][0][1]}"
                if trace.on:
                    trace.step("option", key, "not offered: excluded")
            continue
        draft = _draft(p, ctx, group, to_start, continued, caps, ruled, missing, reached, trace)
        existing = drafts.get(draft.key)
        if existing is None or draft.score > existing.score:
            if existing is not None:
                _merge_text(draft, existing)
            drafts[draft.key] = draft
        else:
            _merge_text(existing, draft)
    ordered = sorted(drafts.values(), key=lambda d: (d.max_tier, -d.score, d.order))
    undecided = tuple(
        Undecided(d.key, tid, rule, absent) for d in ordered for tid, rule, absent in d.undecided
    )
    options = []
    labels, shorts = p.labels, p.short_labels
    for position, d in enumerate(ordered, start=1):
        ref_ids = tuple(dict.fromkeys(d.references))
        caveats = dict(zip(reversed(d.caveats), reversed(d.caveat_codes), strict=True))
        caveat_texts = tuple(dict.fromkeys(d.caveats))  # first occurrence, first code
        options.append(
            Option(
                rank=position,
                therapy=d.key,
                therapies=d.therapies,
                name=" + ".join(p.name_of(t) for t in d.therapies),
                tier=TIERS[d.max_tier],
                evidence=d.evidence,
                score=round(d.score, 2),
                reasons=tuple(dict.fromkeys(d.reasons)),
                caveats=caveat_texts,
                caveat_codes=tuple(caveats[c] for c in caveat_texts),
                references=tuple(labels[r] for r in ref_ids),
                continued=d.continued,
                missing=tuple(order_missing(p, d.missing)),
                sources=tuple(shorts[r] for r in ref_ids),
                short_name=" + ".join(p.short_name_of(t) for t in d.therapies),
                basis=tuple(d.basis),
                reference_ids=ref_ids,
            )
        )
        if trace.on:
            trace.step("rank", d.key, f"#{position} {TIERS[d.max_tier]} score {d.score:g}")
    ordered_withheld = tuple(withheld[k] for k in grouped if k in withheld)
    return Ranked(
        tuple(options),
        ordered_withheld,
        undecided,
        frozenset(missing),
        frozenset(reached),
        tuple(left_out.values()),
    )


def _names(p: Pathway, members: tuple[str, ...]) -> str:
    return " + ".join(p.name_of(t) for t in members)


def _draft(
    p: Pathway,
    ctx: Context,
    group: list[Suggestion],
    to_start: tuple[str, ...],
    continued: tuple[str, ...],
    caps: tuple[tuple[Node, Cap], ...],
    ruled: RuledOut,
    missing: set[str],
    reached: set[str],
    trace: Trace,
) -> _Draft:
    key = "+".join(to_start)
    d = _Draft(key, to_start, continued, tuple(p.therapies[t].order for t in to_start))
    # evidence: the best level any suggestion states, or the therapy's own in this context
    candidates: list[tuple[str, tuple[str, ...]]] = [
        (s.spec.evidence, s.spec.references) for s in group if s.spec.evidence
    ]
    if len(group[0].spec.therapies) == 1:
        candidates.append(therapy_evidence(p, ctx, group[0].spec.therapies[0]))
    d.evidence, d.evidence_refs = min(candidates, key=lambda c: EVIDENCE_LEVELS.index(c[0]))
    for s in group:
        d.weight += s.spec.weight
        d.reasons.append(reason_for(p, ctx, s.spec))
        if trace.on:
            d.basis.append(Basis("weight", s.node.id, s.spec.weight, s.node.title))
        d.caveats.extend(s.spec.caveats)
        d.caveat_codes.extend(f"node.{s.node.id}" for _ in s.spec.caveats)
        d.references.extend(s.spec.references)
        if s.spec.max_tier:
            d.max_tier = max(d.max_tier, TIERS.index(s.spec.max_tier))
            if trace.on:
                d.basis.append(
                    Basis("cap", s.node.id, 0, f"at most {s.spec.max_tier} in {s.node.title}")
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
    for tid in to_start:
        therapy = p.therapies[tid]
        label = f"{therapy.name}: " if combination else ""
        d.caveats.extend(label + c.text for c in therapy.caveats)
        d.caveat_codes.extend(f"{tid}.{c.code}" for c in therapy.caveats)
        if therapy.tier:
            d.max_tier = max(d.max_tier, TIERS.index(therapy.tier))
            if trace.on:
                d.basis.append(Basis("cap", tid, 0, f"{therapy.name} is always {therapy.tier}"))
        if tid in p.always_discouraged:
            d.max_tier = max(d.max_tier, TIERS.index("discouraged"))
        for rule, absent in ruled.undecided.get(tid, ()):
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
                    d.max_tier = max(d.max_tier, TIERS.index(rule.max_tier))
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
    for node, cap in caps:
        if cap.therapies is None or any(t in cap.therapies for t in to_start):
            d.max_tier = max(d.max_tier, TIERS.index(cap.max_tier))
            d.caveats.append(cap.caveat)
            d.caveat_codes.append(f"cap.{node.id}")
            d.references.extend(cap.references)
            if trace.on:
                d.basis.append(Basis("cap", node.id, 0, f"at most {cap.max_tier}: {cap.caveat}"))
    d.score = d.weight + bonus - d.penalty
    score_tier = 0 if d.score >= p.preferred_at else 1
    d.max_tier = max(d.max_tier, score_tier)
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
    if trace.on:
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
    order = p.field_order
    last = len(order)

    def key(pointer: str) -> tuple[int, str]:
        known = keys.get(pointer)
        if known is None:
            position = order.get(pointer)
            if position is not None:
                known = (position, "")
            else:
                known = (order.get("/" + pointer.split("/")[1], last), pointer.zfill(40))
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
