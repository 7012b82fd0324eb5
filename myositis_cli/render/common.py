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
