"""The validated patient profile as a frozen value.

``build_profile`` takes schema-valid data, resolves each history therapy
name through the pathway's catalogue (aliases, any case) and flattens the
fields conditions read. An unknown therapy name is a semantic problem naming
the closest id. A value that means "not known" (``unknown``) is read as an
absent field: both mean the same to the pathway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import resources
from .conditions import NOT_KNOWN, HistoryItem
from .pathway import Pathway, profile_fields
from .problems import Problem, join_pointer


@dataclass(frozen=True)
class Profile:
    """One patient at one decision point."""

    id: str
    age: int | float
    subtype: str
    values: Mapping[str, Any]  # dotted field -> value, as conditions read them
    history: tuple[HistoryItem, ...]
    has_history: bool
    data: Mapping[str, Any]


class ProfileProblems(Exception):
    """Semantic problems of a schema-valid profile."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


@cache
def _not_known_fields() -> frozenset[str]:
    return frozenset(
        path
        for path, spec in profile_fields().items()
        if spec.kind == "enum" and NOT_KNOWN in spec.values
    )


@cache
def _version_2_fields() -> dict[str, str]:
    """JSON pointer -> dotted name of every field that needs profile_version 2."""
    schema = resources.schema("profile")
    found: dict[str, str] = {}

    def walk(props: Mapping[str, Any], prefix: list[str]) -> None:
        for name, node in props.items():
            parts = [*prefix, name]
            if node.get("x-since") == 2:
                found[join_pointer(parts)] = ".".join(parts)
            elif node.get("type") == "object":
                walk(node.get("properties", {}), parts)

    walk(schema["properties"], [])
    return found


@cache
def _version_2_paths() -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """Each version 2 field: its pointer, dotted name and path of keys."""
    return tuple(
        (pointer, name, tuple(pointer.strip("/").split("/")))
        for pointer, name in _version_2_fields().items()
    )


def version_problems(data: Mapping[str, Any]) -> list[Problem]:
    """Version 2 fields in a profile that does not say ``profile_version: 2``."""
    if data.get("profile_version") == 2:
        return []
    problems = []
    for pointer, name, parts in _version_2_paths():
        if parts[0] not in data:  # most profiles have none of their sections
            continue
        node: Any = data
        for part in parts:
            node = node.get(part) if type(node) is dict or isinstance(node, Mapping) else None
        if node is not None:
            problems.append(
                Problem(
                    "semantic",
                    f"'{name}' is a profile version 2 field: add profile_version: 2",
                    pointer,
                )
            )
    return problems


# Ages and durations that cannot exceed the patient's age now (whole years: a
# 45-year-old may be 45.9), each with how it is said.
_WITHIN_AGE = (
    ("classification", "onset_age", "an age at onset of {value:g}"),
    ("diagnosis", "years_since_onset", "{value:g} years since onset"),
)


def chronology_problems(data: Mapping[str, Any]) -> list[Problem]:
    """An onset later than the patient's age now: one of the two numbers is wrong, and
    either changes the answer (the criteria's onset band, the cancer-screening window)."""
    age = data.get("age")
    if not isinstance(age, (int, float)) or isinstance(age, bool):
        return []
    problems = []
    for section, key, words in _WITHIN_AGE:
        block = data.get(section)
        value = block.get(key) if isinstance(block, Mapping) else None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= age + 1:
            said = words.format(value=value)
            problems.append(
                Problem(
                    "semantic",
                    f"{said} is beyond the patient's age ({age:g}): check both",
                    f"/{section}/{key}",
                )
            )
    return problems


def therapy_problems(data: Any, pathway: Pathway) -> list[Problem]:
    """Unknown therapy names in well-formed history entries, even if the rest is invalid."""
    problems = []
    history = data.get("history") if isinstance(data, dict) else None
    for index, entry in enumerate(history if isinstance(history, list) else ()):
        name = entry.get("therapy") if isinstance(entry, dict) else None
        if isinstance(name, str) and name and pathway.resolve_therapy(name) is None:
            guess = pathway.closest_therapy(name)
            hint = f" (did you mean {guess}?)" if guess else ""
            problems.append(
                Problem("semantic", f"unknown therapy '{name}'{hint}", f"/history/{index}/therapy")
            )
    return problems


def build_profile(data: Mapping[str, Any], pathway: Pathway) -> Profile:
    """A Profile from schema-valid data, or ProfileProblems."""
    not_known = _not_known_fields()
    values: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            values[key] = value
            for sub, item in value.items():
                path = f"{key}.{sub}"
                if item == NOT_KNOWN and path in not_known:
                    continue
                values[path] = item
        elif not (value == NOT_KNOWN and key in not_known):
            values[key] = value

    problems: list[Problem] = version_problems(data) + chronology_problems(data)
    if "classification" in data:  # the same finding recorded twice must agree
        from .criteria import contradictions

        problems += contradictions(pathway.criteria, data)
    history: list[HistoryItem] = []
    current_outcomes = pathway.history_rules.current_outcomes
    raw_history = data.get("history")
    for index, entry in enumerate(raw_history or ()):
        name = entry["therapy"]
        therapy = pathway.resolve_therapy(name)
        if therapy is None:
            guess = pathway.closest_therapy(name)
            hint = f" (did you mean {guess}?)" if guess else ""
            problems.append(
                Problem("semantic", f"unknown therapy '{name}'{hint}", f"/history/{index}/therapy")
            )
            continue
        outcome = entry.get("outcome")
        current = entry.get("current")
        if current is None:
            current = outcome in current_outcomes
        history.append(HistoryItem(index, therapy, entry.get("months"), outcome, bool(current)))
    if problems:
        raise ProfileProblems(problems)
    return Profile(
        id=data["id"],
        age=data["age"],
        subtype=data["diagnosis"]["subtype"],
        values=values,
        history=tuple(history),
        has_history=raw_history is not None,
        data=data,
    )
