"""Wording shared by the human-readable renderers (table, markdown)."""

from __future__ import annotations

from ..results import Recommendation

TIER_STYLE = {"preferred": "bold green", "consider": "yellow", "discouraged": "red"}
ALERT_STYLE = {"critical": "bold white on red", "warning": "bold yellow", "info": "cyan"}


def refractory_words(rec: Recommendation) -> str:
    if rec.refractory is True:
        return "meets the refractory definition"
    if rec.refractory is False:
        return "does not meet the refractory definition"
    return "refractory status cannot be decided"


def subtype_words(rec: Recommendation) -> str:
    return rec.subtype.replace("_", " ")


def missing_words(rec: Recommendation) -> str:
    return ", ".join(rec.missing)


def refractory_short(rec: Recommendation) -> str:
    if rec.refractory is True:
        return "refractory"
    if rec.refractory is False:
        return "not refractory"
    return "refractory status undecided"


def first_sentence(text: str) -> str:
    """The first sentence of a message, for a one-line view."""
    for end in (". ", ": "):
        cut = text.find(end)
        if 0 < cut < 120:
            return text[: cut + (1 if end == ". " else 0)]
    return text


def left_out_lines(rec: Recommendation) -> list[tuple[str, str]]:
    """What was left out and why, one entry each; a therapy taken now is said under
    "taking now" instead, so it appears once."""
    taken = {t.therapy for t in rec.taking}
    lines = [(e.name, "; ".join(e.reasons)) for e in rec.excluded if e.therapy not in taken]
    lines += [(w.therapy.replace("+", " + "), w.reason) for w in rec.withheld]
    return lines


def without_setting(reason: str) -> str:
    """A reason without its short leading setting ("Refractory myositis: ..."), for one line."""
    head, sep, rest = reason.partition(": ")
    if sep and 0 < len(head) <= 40 and rest:
        return rest[0].upper() + rest[1:]
    return reason
