"""What the engine assembles once per pathway rather than once per case.

Names, labels, tier positions, standing caveats and their codes, and the
suggestions of each node do not depend on the patient: they are worked out
here, on first use, and the engine's stages do only the per-case work
(evaluating conditions and joining what holds). Built by ``Pathway.plan``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from .pathway import ALERT_LEVELS, EVIDENCE_LEVELS, TIERS, Cap, Node, OptionSpec

if TYPE_CHECKING:
    from .pathway import Pathway


class Suggestion(NamedTuple):
    """An option as one entered node suggests it, with its fixed parts."""

    node: Node
    spec: OptionSpec
    caveat_codes: tuple[str, ...]  # one per caveat of the spec: ``node.<id>``
    max_tier: int  # the spec's own cap as an index into TIERS, 0 when it has none
    evidence: int  # the spec's stated level as an index into EVIDENCE_LEVELS, -1 when none


class TherapyPlan(NamedTuple):
    """A therapy's fixed contribution to any option that starts it."""

    order: int
    max_tier: int  # its fixed tier and the always-discouraged cap, as an index into TIERS
    caveats: tuple[str, ...]  # standing caveats, alone
    labelled: tuple[str, ...]  # the same, "Name: " first, in a combination
    codes: tuple[str, ...]  # one per standing caveat: ``<therapy>.<code>``
    label: str  # "Name: ", before a caution's text in a combination


class CapPlan(NamedTuple):
    node: Node
    cap: Cap
    max_tier: int
    code: str  # ``cap.<node id>``


class AlertPlan(NamedTuple):
    level: int  # index into ALERT_LEVELS
    labels: tuple[str, ...]  # the references' labels


class CheckPlan(NamedTuple):
    """The fixed words of a check for one field: from the pathway's ``checks`` or defaults."""

    code: str
    ask: str
    label: str
    references: tuple[str, ...]
    declared: int  # its place among the pathway's checks; after them when not declared


_LIMIT = 4096  # remembered per pathway for open-ended keys (history slots, combinations)


class Plan:
    """The fixed parts of a pathway's answers, worked out once."""

    def __init__(self, p: Pathway) -> None:
        self.pathway = p
        tier = TIERS.index
        self.suggestions: dict[str, tuple[Suggestion, ...]] = {
            node.id: tuple(
                Suggestion(
                    node,
                    spec,
                    tuple(f"node.{node.id}" for _ in spec.caveats),
                    tier(spec.max_tier) if spec.max_tier else 0,
                    EVIDENCE_LEVELS.index(spec.evidence) if spec.evidence else -1,
                )
                for spec in node.options
            )
            for node in p.nodes().values()
        }
        discouraged = tier("discouraged")
        self.therapies: dict[str, TherapyPlan] = {}
        for tid, therapy in p.therapies.items():
            cap = tier(therapy.tier) if therapy.tier else 0
            if tid in p.always_discouraged:
                cap = max(cap, discouraged)
            label = f"{therapy.name}: "
            self.therapies[tid] = TherapyPlan(
                therapy.order,
                cap,
                tuple(c.text for c in therapy.caveats),
                tuple(label + c.text for c in therapy.caveats),
                tuple(f"{tid}.{c.code}" for c in therapy.caveats),
                label,
            )
        self.caps: dict[int, tuple[CapPlan, ...]] = {}  # id(node) -> its caps
        for node in p.nodes().values():
            self.caps[id(node)] = tuple(
                CapPlan(node, cap, tier(cap.max_tier), f"cap.{node.id}") for cap in node.caps
            )
        self.caution_tier: dict[str, int] = {
            rule.key: tier(rule.max_tier) if rule.max_tier else 0 for rule in p.safety_rules()
        }
        self.alerts: tuple[AlertPlan, ...] = tuple(
            AlertPlan(ALERT_LEVELS.index(a.level), tuple(p.labels[r] for r in a.references))
            for a in p.alerts
        )
        self.evidence_rank = {level: i for i, level in enumerate(EVIDENCE_LEVELS)}
        self._names: dict[tuple[str, ...], tuple[str, str]] = {}
        self._checks: dict[str, CheckPlan] = {}
        self._cited: dict[tuple[str, ...], tuple[tuple[str, ...], tuple[str, ...]]] = {}
        self.short_names = {tid: p.short_name_of(tid) for tid in p.therapies}

    def names(self, members: tuple[str, ...]) -> tuple[str, str]:
        """An option's name and short name: its members' joined by " + "."""
        known = self._names.get(members)
        if known is None:
            p = self.pathway
            known = (
                " + ".join(p.name_of(t) for t in members),
                " + ".join(p.short_name_of(t) for t in members),
            )
            if len(self._names) < _LIMIT:
                self._names[members] = known
        return known

    def cited(self, ref_ids: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The citation texts and short labels of some reference ids, in their order:
        the same few lists recur in every case."""
        known = self._cited.get(ref_ids)
        if known is None:
            p = self.pathway
            labels, shorts = p.labels, p.short_labels
            known = (tuple([labels[r] for r in ref_ids]), tuple([shorts[r] for r in ref_ids]))
            if len(self._cited) < _LIMIT:
                self._cited[ref_ids] = known
        return known

    def check(self, pointer: str) -> CheckPlan:
        """How the record asks for one absent field."""
        known = self._checks.get(pointer)
        if known is None:
            p = self.pathway
            spec = p.checks.get(pointer)
            if spec is not None:
                known = CheckPlan(spec.id, spec.ask, spec.label, spec.references, spec.order)
            else:
                known = CheckPlan(
                    pointer.strip("/").replace("/", "."),
                    f"{p.field_titles.get(pointer, pointer)}: not recorded",
                    "",
                    (),
                    len(p.checks),
                )
            if len(self._checks) < _LIMIT:
                self._checks[pointer] = known
        return known
