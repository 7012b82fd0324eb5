"""``myositis why PROFILE THERAPY``: why one therapy is offered at its rank, or why not.

A pure function of the pathway, the profile and a therapy name (an id or any
alias). The answer is one of:

- **offered**: its rank and tier, and the numbers behind them, as the
  ranking itself recorded them (each node's weight, the evidence bonus, each
  caution's penalty, each cap), so this never disagrees with ``suggest``;
- **taking**: taken now, continue or review, and why;
- **excluded**: which rule, with the recorded facts that made it hold;
- **withheld**: a combination left out, and why;
- **not suggested**: the nodes that could suggest it, and which of their
  conditions (or their ancestors') is false or cannot be decided, with the
  fields that are not recorded;
- **unknown**: not in the catalogue, with the closest name.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .engine import context_for, evaluate, suggest
from .pathway import Node, Pathway
from .profile import Profile
from .results import Recommendation


class Answer(NamedTuple):
    therapy: str  # the resolved id (the name as given when unknown)
    name: str
    status: str  # offered | taking | excluded | withheld | not_suggested | unknown
    summary: str  # one sentence
    details: tuple[str, ...]  # the steps behind it, one per line
    data: dict[str, Any]  # the same, structured (for --format json)


def explain(pathway: Pathway, profile: Profile, asked: str) -> Answer:
    """Why ``asked`` (a therapy id or alias) is, or is not, offered to this patient."""
    tid = pathway.resolve_therapy(asked)
    if tid is None:
        guess = pathway.closest_therapy(asked)
        hint = f" (did you mean {guess}?)" if guess else ""
        return Answer(
            asked,
            asked,
            "unknown",
            f"'{asked}' is not in the therapy catalogue{hint}",
            (),
            {"suggestion": guess},
        )
    name = pathway.name_of(tid)
    rec = suggest(pathway, profile, trace=True)
    for taking in rec.taking:
        if taking.therapy == tid:
            return Answer(
                tid,
                name,
                "taking",
                f"{name} is taken now: {taking.advice} ({taking.reason})",
                (),
                {"advice": taking.advice, "reason": taking.reason, "code": taking.code},
            )
    offered = [o for o in rec.options if tid in o.therapies]
    if offered:
        return _offered(rec, tid, name, offered)
    for exclusion in rec.excluded:
        if exclusion.therapy == tid:
            rules = []
            for rule_id, reason in zip(exclusion.rules, exclusion.reasons, strict=True):
                condition = _rule_words(pathway, rule_id)
                rules.append({"rule": rule_id, "reason": reason, "because": condition})
            details = tuple(
                f"{r['rule']}: {r['reason']}"
                + (f" (because {r['because']})" if r["because"] else "")
                for r in rules
            )
            return Answer(
                tid,
                name,
                "excluded",
                f"{name} is left out: {exclusion.reason}",
                details,
                {"rules": rules},
            )
    for withheld in rec.withheld:
        if tid in withheld.therapies:
            return Answer(
                tid,
                name,
                "withheld",
                f"{name} was suggested in {withheld.therapy.replace('+', ' + ')}, left out: "
                f"{withheld.reason}",
                (),
                {"option": withheld.therapy, "reason": withheld.reason},
            )
    return _not_suggested(pathway, profile, rec, tid, name)


def _offered(rec: Recommendation, tid: str, name: str, offered: list[Any]) -> Answer:
    details: list[str] = []
    options = []
    for option in offered:
        where = f"#{option.rank} {option.name}: {option.tier}, evidence {option.evidence}, score {option.score:g}"
        details.append(where)
        for basis in option.basis:
            if basis.kind in ("weight", "evidence", "caution"):
                details.append(f"  {basis.amount:+g}  {basis.kind} {basis.subject}: {basis.text}")
            else:
                details.append(f"  {basis.kind}: {basis.text}")
        options.append(
            {
                "option": option.therapy,
                "rank": option.rank,
                "tier": option.tier,
                "evidence": option.evidence,
                "score": option.score,
                "basis": [b._asdict() for b in option.basis],
                "reasons": list(option.reasons),
            }
        )
    best = offered[0]
    summary = (
        f"{name} is offered at rank {best.rank} of {len(rec.options)} ({best.tier}, evidence "
        f"{best.evidence}, score {best.score:g})"
        + (f" as {best.name}" if best.therapies != (tid,) else "")
    )
    return Answer(tid, name, "offered", summary, tuple(details), {"options": options})


def _rule_words(pathway: Pathway, rule_id: str) -> str:
    if rule_id.startswith("history/"):
        return ""
    therapy, _, rule = rule_id.partition(".")
    for candidate in pathway.safety_rules():
        if candidate.therapy == therapy and candidate.id == rule:
            return candidate.when.words()
    return ""


def _not_suggested(
    pathway: Pathway, profile: Profile, rec: Recommendation, tid: str, name: str
) -> Answer:
    ctx = context_for(pathway, profile)
    nodes: list[dict[str, Any]] = []
    details: list[str] = []

    def visit(node: Node, path: list[Node]) -> None:
        here = [*path, node]
        if any(tid in spec.therapies for spec in node.options):
            blocker = None
            for step in here:
                value, missing = evaluate(step.when, ctx, set())
                if value is not True:
                    blocker = (step, value, missing)
                    break
            if blocker is not None:
                step, value, missing = blocker
                state = "cannot be decided" if value is None else "does not hold"
                fields = sorted(missing)
                entry = {
                    "node": node.id,
                    "title": node.title,
                    "blocked_at": step.id,
                    "condition": step.when.words(),
                    "state": "unknown" if value is None else "false",
                    "not_recorded": fields,
                }
                nodes.append(entry)
                at = "" if step is node else f" (its branch '{step.title}')"
                line = f"'{node.title}' could suggest it, but{at} '{step.when.words()}' {state}"
                if fields:
                    line += f"; not recorded: {', '.join(fields)}"
                details.append(line)
        for child in node.children:
            visit(child, here)

    visit(pathway.tree, [])
    if not nodes:
        summary = f"No node of the pathway suggests {name}"
    else:
        unknown = [n for n in nodes if n["state"] == "unknown"]
        summary = f"{name} is not suggested: no node that suggests it is entered" + (
            "; recording the missing facts could change that" if unknown else ""
        )
    return Answer(tid, name, "not_suggested", summary, tuple(details), {"nodes": nodes})
