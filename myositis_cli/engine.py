"""The engine: ``suggest(pathway, profile) -> Recommendation``.

Pure and deterministic. The order of work follows spec/pathway.md:

1. **Walk** the tree from the root, entering every node whose condition is
   true; the options of entered nodes accumulate (weights add up).
2. **History rules**: a therapy stopped for intolerance is excluded; one that
   failed after an adequate trial is not offered again as a new start.
3. **Safety rules**, for every therapy of the catalogue: a contraindication
   that holds excludes it; one that cannot be decided keeps the option with a
   caveat naming the missing fact. Cautions keep the option, lower its score
   and add a caveat. A combination is left out when a member it would start
   is excluded; therapies the patient already takes are continued, not
   started.
4. **Ranking**: score = node weights + evidence bonus - caution penalties;
   tier from the score, lowered by the catalogue, the policy, node caps and
   ``max_tier``; sorted by tier, then score, then catalogue order.
5. **Alerts**, critical first.

Every number that moves a rank comes from the pathway and is written to the
trace. No clinical fact lives here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from .conditions import EMPTY, Condition, Context, HistoryItem, Result
from .pathway import (
    ALERT_LEVELS,
    EVIDENCE_LEVELS,
    TIERS,
    Cap,
    Node,
    OptionSpec,
    Pathway,
    SafetyRule,
)
from .profile import Profile
from .results import Alert, Exclusion, Option, Recommendation, TraceStep, Withheld


def suggest(pathway: Pathway, profile: Profile, *, trace: bool = True) -> Recommendation:
    """Ranked next-line options for one profile. Never raises for a valid profile."""
    return _Walk(pathway, profile, trace).run()


class _Suggestion(NamedTuple):
    node: Node
    spec: OptionSpec


class _Draft:
    """An option being assembled from the suggestions of the nodes entered."""

    __slots__ = (
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
        self.references: list[str] = []
        self.penalty = 0.0
        self.max_tier = 0  # index into TIERS
        self.missing: set[str] = set()
        self.score = 0.0


class _Walk:
    def __init__(self, pathway: Pathway, profile: Profile, want_trace: bool) -> None:
        self.p = pathway
        self.profile = profile
        self.tracing = want_trace
        self.steps: list[TraceStep] = []
        self.missing: set[str] = set()
        self.reached: set[str] = set()
        rules = pathway.history_rules
        self.ctx = Context(
            profile.values,
            profile.history,
            profile.has_history,
            pathway.fact_conditions,
            rules.adequate_trial_months,
            rules.unknown_months_adequate,
        )
        self.ctx.current = self._current_therapies()
        self.current = tuple(t for t in pathway.therapies if self.ctx.current[t][0] is True)

    # ------------------------------------------------------------------ helpers

    def step(self, phase: str, subject: str, message: str) -> None:
        """Record a step of the walk; callers check ``self.tracing`` first, so
        that no message is formatted when nobody will read it."""
        self.steps.append(TraceStep(phase, subject, message))

    def evaluate(self, condition: Condition) -> Result:
        value, missing = condition.evaluate(self.ctx)
        if missing:
            self.missing.update(missing)
        return value, missing

    def _current_therapies(self) -> dict[str, Result]:
        by_history: set[str] = {item.therapy for item in self.profile.history if item.current}
        current: dict[str, Result] = {}
        no_history = frozenset() if self.profile.has_history else frozenset({"/history"})
        for tid, therapy in self.p.therapies.items():
            if tid in by_history:
                current[tid] = (True, EMPTY)
            elif therapy.current_when is not None:
                value, missing = therapy.current_when.evaluate(self.ctx)
                current[tid] = (value, missing | no_history)
            else:
                current[tid] = (False, no_history)
        return current

    # ------------------------------------------------------------------ phases

    def run(self) -> Recommendation:
        _entered, suggestions, caps = self.walk()
        excluded, unknown_rules = self.exclusions()
        options, withheld = self.build_options(suggestions, caps, excluded, unknown_rules)
        alerts = self.alerts(excluded)
        refractory = None
        if "refractory" in self.p.facts:
            value, missing = self.ctx.fact("refractory")
            self.missing.update(missing)
            refractory = value
        names = self.p.name_of
        return Recommendation(
            id=self.profile.id,
            subtype=self.profile.subtype,
            refractory=refractory,
            alerts=alerts,
            options=options,
            excluded=tuple(
                Exclusion(
                    tid,
                    names(tid),
                    reasons[0][1],
                    tuple(r for _, r in reasons),
                    tuple(rule for rule, _ in reasons),
                )
                for tid, reasons in excluded.items()
            ),
            withheld=withheld,
            missing=self.sorted_missing(),
            current=self.current,
            pathway_id=self.p.id,
            pathway_version=self.p.version,
            disclaimer=self.p.metadata.disclaimer,
            trace=tuple(self.steps),
            reached=frozenset(self.reached),
        )

    def walk(self) -> tuple[list[Node], list[_Suggestion], list[tuple[Node, Cap]]]:
        entered: list[Node] = []
        suggestions: list[_Suggestion] = []
        caps: list[tuple[Node, Cap]] = []
        stack = [self.p.tree]
        while stack:
            node = stack.pop()
            value, missing = self.evaluate(node.when)
            if value is not True:
                if self.tracing:
                    state = "unknown" if value is None else "false"
                    extra = f" (not recorded: {', '.join(sorted(missing))})" if missing else ""
                    self.step(
                        "walk",
                        node.id,
                        f"skipped '{node.title}': {node.when.words()} is {state}{extra}",
                    )
                continue
            entered.append(node)
            self.reached.add(f"node:{node.id}")
            if self.tracing:
                why = "root" if not node.has_condition else node.when.words()
                self.step("walk", node.id, f"entered '{node.title}': {why}")
            for spec in node.options:
                suggestions.append(_Suggestion(node, spec))
                if self.tracing:
                    self.step("walk", spec.key, f"{spec.weight:+g} from {node.id}: {spec.reason}")
            for cap in node.caps:
                caps.append((node, cap))
                if self.tracing:
                    self.step(
                        "walk",
                        node.id,
                        f"caps {'all options' if cap.therapies is None else ', '.join(sorted(cap.therapies))} at {cap.max_tier}: {cap.caveat}",
                    )
            stack.extend(reversed(node.children))
        return entered, suggestions, caps

    def exclusions(
        self,
    ) -> tuple[
        dict[str, list[tuple[str, str]]], dict[str, list[tuple[SafetyRule, frozenset[str]]]]
    ]:
        """Every therapy ruled out (with reasons), and contraindications that could not be decided."""
        excluded: dict[str, list[tuple[str, str]]] = {}
        rules = self.p.history_rules
        messages = self.p.messages
        for item in self.profile.history:
            reason = self._history_reason(
                item, rules.failure_outcomes, rules.intolerance_outcomes, messages
            )
            if reason is not None:
                rule_id, text = reason
                excluded.setdefault(item.therapy, []).append((rule_id, text))
                if self.tracing:
                    self.step("history", item.therapy, f"excluded: {text}")
        unknown: dict[str, list[tuple[SafetyRule, frozenset[str]]]] = {}
        for therapy in self.p.therapies.values():
            for rule in therapy.contraindications:
                value, missing = self.evaluate(rule.when)
                if value is True:
                    self.reached.add(f"rule:{rule.key}")
                    excluded.setdefault(therapy.id, []).append((rule.key, rule.text))
                    if self.tracing:
                        self.step(
                            "safety",
                            therapy.id,
                            f"excluded by {rule.key}: {rule.text} ({rule.when.words()})",
                        )
                elif value is None:
                    unknown.setdefault(therapy.id, []).append((rule, missing))
                    if self.tracing:
                        self.step(
                            "safety",
                            therapy.id,
                            f"{rule.key} cannot be decided: {rule.when.words()} is unknown",
                        )
        ordered = {tid: excluded[tid] for tid in self.p.therapies if tid in excluded}
        return ordered, unknown

    def _history_reason(
        self,
        item: HistoryItem,
        failures: frozenset[str],
        intolerances: frozenset[str],
        messages: dict[str, str],
    ) -> tuple[str, str] | None:
        months = _months(item.months)
        if item.outcome in intolerances:
            after = f" after {months}" if item.months is not None else ""
            return f"history/{item.position}", messages["intolerance"].format(after=after)
        if item.outcome in failures and item.therapy not in self.p.history_rules.failure_exempt:
            adequate = self.p.history_rules.adequate_trial_months
            if item.months is None:
                if not self.p.history_rules.unknown_months_adequate:
                    return None
                self.missing.add(f"/history/{item.position}/months")
                months = "a trial of unrecorded length"
            elif item.months < adequate:
                return None
            outcome = (item.outcome or "").replace("_", " ")
            return f"history/{item.position}", messages["failure"].format(
                outcome=outcome, months=months
            )
        return None

    def build_options(
        self,
        suggestions: list[_Suggestion],
        caps: list[tuple[Node, Cap]],
        excluded: dict[str, list[tuple[str, str]]],
        unknown: dict[str, list[tuple[SafetyRule, frozenset[str]]]],
    ) -> tuple[tuple[Option, ...], tuple[Withheld, ...]]:
        p = self.p
        grouped: dict[str, list[_Suggestion]] = {}
        for s in suggestions:
            grouped.setdefault(s.spec.key, []).append(s)
        drafts: dict[str, _Draft] = {}
        withheld: dict[str, Withheld] = {}
        current = set(self.current)
        for key, group in grouped.items():
            members = group[0].spec.therapies
            to_start = tuple(t for t in members if t not in current)
            continued = tuple(t for t in members if t in current)
            if not to_start:
                reason = p.messages["already_current"].format(
                    names=_join(p.name_of(t) for t in continued)
                )
                withheld[key] = _withheld(key, members, reason)
                if self.tracing:
                    self.step("option", key, f"withheld: {reason}")
                continue
            blocked = [t for t in to_start if t in excluded]
            if blocked:
                if len(members) > 1:
                    tid = blocked[0]
                    reason = p.messages["member_excluded"].format(
                        name=p.name_of(tid), reason=excluded[tid][0][1]
                    )
                    withheld[key] = _withheld(key, members, reason)
                    if self.tracing:
                        self.step("option", key, f"withheld: {reason}")
                else:
                    if self.tracing:
                        self.step("option", key, "not offered: excluded")
                continue
            draft = self._draft(group, to_start, continued, caps, unknown)
            existing = drafts.get(draft.key)
            if existing is None or draft.score > existing.score:
                if existing is not None:
                    _merge_text(draft, existing)
                drafts[draft.key] = draft
            else:
                _merge_text(existing, draft)
        ranked = sorted(drafts.values(), key=lambda d: (d.max_tier, -d.score, d.order))
        options = []
        for rank, d in enumerate(ranked, start=1):
            name = " + ".join(p.name_of(t) for t in d.therapies)
            ref_ids = tuple(dict.fromkeys(d.references))
            labels, shorts = p.labels, p.short_labels
            options.append(
                Option(
                    rank=rank,
                    therapy=d.key,
                    therapies=d.therapies,
                    name=name,
                    tier=TIERS[d.max_tier],
                    evidence=d.evidence,
                    score=round(d.score, 2),
                    reasons=tuple(dict.fromkeys(d.reasons)),
                    caveats=tuple(dict.fromkeys(d.caveats)),
                    references=tuple(labels[r] for r in ref_ids),
                    continued=d.continued,
                    missing=tuple(self._order_missing(d.missing)),
                    sources=tuple(shorts[r] for r in ref_ids),
                )
            )
            if self.tracing:
                self.step("rank", d.key, f"#{rank} {TIERS[d.max_tier]} score {d.score:g}")
        ordered_withheld = tuple(withheld[k] for k in grouped if k in withheld)
        return tuple(options), ordered_withheld

    def _draft(
        self,
        group: list[_Suggestion],
        to_start: tuple[str, ...],
        continued: tuple[str, ...],
        caps: list[tuple[Node, Cap]],
        unknown: dict[str, list[tuple[SafetyRule, frozenset[str]]]],
    ) -> _Draft:
        p = self.p
        key = "+".join(to_start)
        d = _Draft(key, to_start, continued, tuple(p.therapies[t].order for t in to_start))
        # evidence: the best level any suggestion states, or the therapy's own in this context
        candidates: list[tuple[str, tuple[str, ...]]] = [
            (s.spec.evidence, s.spec.references) for s in group if s.spec.evidence
        ]
        if len(group[0].spec.therapies) == 1:
            candidates.append(self._therapy_evidence(group[0].spec.therapies[0]))
        d.evidence, d.evidence_refs = min(candidates, key=lambda c: EVIDENCE_LEVELS.index(c[0]))
        for s in group:
            d.weight += s.spec.weight
            d.reasons.append(s.spec.reason)
            d.caveats.extend(s.spec.caveats)
            d.references.extend(s.spec.references)
            if s.spec.max_tier:
                d.max_tier = max(d.max_tier, TIERS.index(s.spec.max_tier))
        d.references.extend(d.evidence_refs)
        if continued:
            d.reasons.append(
                p.messages["continue_current"].format(names=_join(p.name_of(t) for t in continued))
            )
        bonus = p.evidence_bonus[d.evidence]
        combination = len(to_start) > 1
        for tid in to_start:
            therapy = p.therapies[tid]
            label = f"{therapy.name}: " if combination else ""
            d.caveats.extend(label + c.text for c in therapy.caveats)
            if therapy.tier:
                d.max_tier = max(d.max_tier, TIERS.index(therapy.tier))
            if tid in p.always_discouraged:
                d.max_tier = max(d.max_tier, TIERS.index("discouraged"))
            for rule, missing in unknown.get(tid, ()):
                d.caveats.append(label + self._not_recorded(missing, rule.text))
                d.missing.update(missing)
            for rule in therapy.cautions:
                value, missing = self.evaluate(rule.when)
                if value is True:
                    self.reached.add(f"rule:{rule.key}")
                    d.penalty += rule.penalty
                    d.caveats.append(label + rule.text)
                    d.references.extend(rule.references)
                    if self.tracing:
                        self.step(
                            "safety", key, f"caution {rule.key}: -{rule.penalty:g}, {rule.text}"
                        )
                elif value is None:
                    d.caveats.append(label + self._not_recorded(missing, rule.text))
                    d.missing.update(missing)
                    if self.tracing:
                        self.step(
                            "safety",
                            key,
                            f"caution {rule.key} cannot be decided: {rule.when.words()} is unknown",
                        )
        for _node, cap in caps:
            if cap.therapies is None or any(t in cap.therapies for t in to_start):
                d.max_tier = max(d.max_tier, TIERS.index(cap.max_tier))
                d.caveats.append(cap.caveat)
                d.references.extend(cap.references)
        d.score = d.weight + bonus - d.penalty
        score_tier = 0 if d.score >= p.preferred_at else 1
        d.max_tier = max(d.max_tier, score_tier)
        if self.tracing:
            self.step(
                "option",
                key,
                f"score {d.weight:g} (weights) {bonus:+g} (evidence {d.evidence}) -{d.penalty:g} (cautions) = {d.score:g}"
                f"; tier {TIERS[d.max_tier]} (preferred at {p.preferred_at:g})",
            )
        return d

    def _therapy_evidence(self, tid: str) -> tuple[str, tuple[str, ...]]:
        therapy = self.p.therapies[tid]
        for context in therapy.evidence_in_context:
            value, _ = context.when.evaluate(self.ctx)
            if value is True:
                return context.evidence, context.references
        return therapy.evidence, therapy.references

    def _not_recorded(self, missing: Iterable[str], reason: str) -> str:
        titles = self.p.field_titles
        names = [titles.get(pointer, pointer) for pointer in self._order_missing(missing)]
        return self.p.messages["not_recorded"].format(fields=_join(names), reason=reason)

    def alerts(self, excluded: dict[str, list[tuple[str, str]]]) -> tuple[Alert, ...]:
        raised: list[tuple[int, int, Alert]] = []
        for order, rule in enumerate(self.p.alerts):
            value, _ = self.evaluate(rule.when)
            if value is not True:
                continue
            self.reached.add(f"alert:{rule.code}")
            message = rule.message + self._history_details(rule.code)
            refs = tuple(self.p.reference_label(r) for r in rule.references)
            raised.append(
                (ALERT_LEVELS.index(rule.level), order, Alert(rule.level, rule.code, message, refs))
            )
            if self.tracing:
                self.step("alert", rule.code, f"{rule.level}: {rule.when.words()}")
        for tid in self.current:
            contraindicated = [
                r for rule, r in excluded.get(tid, ()) if not rule.startswith("history/")
            ]
            if contraindicated:
                message = self.p.messages["current_contraindicated"].format(
                    name=self.p.name_of(tid), reason=contraindicated[0]
                )
                raised.append(
                    (
                        ALERT_LEVELS.index("warning"),
                        len(self.p.alerts),
                        Alert("warning", "current_therapy_contraindicated", message),
                    )
                )
                if self.tracing:
                    self.step("alert", tid, message)
        raised.sort(key=lambda r: (r[0], r[1]))
        return tuple(a for _, _, a in raised)

    def _history_details(self, code: str) -> str:
        entries: dict[int, HistoryItem] = {}
        for test in self.p.alert_history_tests[code]:
            for item in test.matching(self.ctx):
                entries[item.position] = item
        if not entries:
            return ""
        described = [
            f"{self.p.name_of(e.therapy)} ({_months(e.months)})"
            if e.months is not None
            else self.p.name_of(e.therapy)
            for e in (entries[i] for i in sorted(entries))
        ]
        return " (" + ", ".join(described) + ")"

    def _order_missing(self, pointers: Iterable[str]) -> list[str]:
        order = self.p.field_order
        last = len(order)

        def key(pointer: str) -> tuple[int, str]:
            position = order.get(pointer)
            if position is not None:
                return position, ""
            return order.get("/" + pointer.split("/")[1], last), pointer.zfill(40)

        return sorted(set(pointers), key=key)

    def sorted_missing(self) -> tuple[str, ...]:
        return tuple(self._order_missing(self.missing))


def _merge_text(into: _Draft, other: _Draft) -> None:
    into.reasons.extend(r for r in other.reasons if r not in into.reasons)
    into.references.extend(other.references)


def _withheld(key: str, members: tuple[str, ...], reason: str) -> Withheld:
    return Withheld(key, members, reason)


def _join(names: Iterable[str]) -> str:
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _months(months: float | None) -> str:
    if months is None:
        return "unrecorded time"
    value = int(months) if float(months).is_integer() else months
    return f"{value} month" + ("" if value == 1 else "s")
