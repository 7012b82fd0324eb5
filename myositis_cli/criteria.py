"""A points-based classification instrument read from data: the 2017 EULAR/ACR criteria.

The weights, cutoffs and wording live in ``pathways/classification-2017.yaml``
(validated by ``schemas/classification.schema.json``); this module only adds
points. Scores are added in tenths of a point, so a total is exactly the
number a clinician adds by hand (5.3 is 53 tenths, never 5.299999).

What is not recorded stays unknown: the score counts the recorded items, and
the range says what the unrecorded ones could make of it (lowest: all absent;
highest: all present, the highest age band for an unknown age), with the
categories reachable and the items that alone would change the category.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from . import loading, resources
from .compiled import sha256_hex
from .errors import PathwayError
from .problems import Problem

CATEGORIES = ("not_iim", "possible", "probable", "definite")  # lowest first
COLUMNS = ("without_biopsy", "with_biopsy")
DEFAULT_CRITERIA = "classification-2017.yaml"


def _tenths(points: float) -> int:
    return round(points * 10)


def _points(tenths: int) -> float:
    return tenths / 10


class Band(NamedTuple):
    start: float
    below: float | None
    weights: dict[str, int]  # column -> tenths
    label: str


class Derived(NamedTuple):
    """Another profile field that records the same finding."""

    field: str  # dotted: diagnosis.autoantibodies
    contains: str | None
    equals: bool | None

    def positive(self, data: Mapping[str, Any]) -> bool | None:
        """True when that field records the finding; None when it says nothing (never False:
        an antibody missing from a list is not a negative test)."""
        value: Any = data
        for part in self.field.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return None
            value = value[part]
        if self.contains is not None:
            return True if isinstance(value, list) and self.contains in value else None
        if value is True:
            return True
        return False if value is False else None

    @property
    def pointer(self) -> str:
        return "/" + self.field.replace(".", "/")


class Item(NamedTuple):
    id: str
    label: str
    weights: dict[str, int]  # column -> tenths (a biopsy item has no without-biopsy weight)
    bands: tuple[Band, ...] = ()
    skin: bool = False
    biopsy: bool = False
    derived: Derived | None = None

    def most(self, column: str) -> int:
        """The most this item can add in ``column`` (its highest band for an age)."""
        if self.bands:
            return max(band.weights[column] for band in self.bands)
        return self.weights.get(column, 0)


class Criteria(NamedTuple):
    id: str
    version: str
    title: str
    references: tuple[str, ...]
    disclaimer: str
    cutoffs: dict[str, dict[str, int]]  # column -> category -> tenths
    column_titles: dict[str, str]
    categories: dict[str, str]  # category -> words
    items: tuple[Item, ...]
    rule: dict[str, str]  # skin-or-biopsy wording
    messages: dict[str, str]
    source: str = ""
    sha256: str = ""

    def category(self, column: str, tenths: int) -> str:
        reached = "not_iim"
        for name in CATEGORIES[1:]:
            if tenths >= self.cutoffs[column][name]:
                reached = name
        return reached

    @property
    def provenance(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "sha256": self.sha256 or None}


# ---------------------------------------------------------------------------
# Reading and linting the table


def criteria_path(pathway_source: str | None = None) -> Path:
    """The table beside a pathway file (the bundled one by default)."""
    if pathway_source:
        beside = Path(pathway_source).with_name(DEFAULT_CRITERIA)
        if beside.is_file():
            return beside
    return resources.data_dir("pathways") / DEFAULT_CRITERIA


@cache
def load_criteria(path: str | None = None) -> Criteria:
    """Read, validate and lint a criteria table; a PathwayError lists every problem."""
    source = str(path or criteria_path())
    try:
        raw = loading.read_file(source)
    except loading.LoadError as exc:
        raise PathwayError(source, [Problem(exc.kind, exc.message, rule="yaml")]) from None
    criteria, problems = compile_criteria(raw, source)
    if criteria is None or problems:
        raise PathwayError(source, problems)
    return criteria


def compile_criteria(raw: bytes, source: str) -> tuple[Criteria | None, list[Problem]]:
    """The table from its bytes and every problem found: schema first, then the lint rules."""
    from .validation import Validator

    documents = list(loading.iter_documents(raw))
    first = documents[0]
    if first.error is not None:
        return None, [first.error._replace(rule="yaml")]
    data, locator = first.data, first.locator
    validator = Validator(resources.schema("classification"), what="classification table")
    if not validator.is_valid(data):
        return None, [p._replace(rule="schema") for p in validator.problems(data, locator)]
    problems = [p.located(locator) for p in _lint(data)]
    criteria = Criteria(
        id=data["criteria"]["id"],
        version=data["criteria"]["version"],
        title=data["criteria"]["title"],
        references=tuple(data["criteria"]["references"]),
        disclaimer=data["criteria"]["disclaimer"],
        cutoffs={
            column: {k: _tenths(v) for k, v in data["columns"][column]["cutoffs"].items()}
            for column in COLUMNS
        },
        column_titles={column: data["columns"][column]["title"] for column in COLUMNS},
        categories=dict(data["categories"]),
        items=tuple(_item(raw_item) for raw_item in data["items"]),
        rule=dict(data["skin_or_biopsy"]),
        messages=dict(data["messages"]),
        source=source,
        sha256=sha256_hex(raw),
    )
    return criteria, problems


def _item(raw: dict[str, Any]) -> Item:
    also = raw.get("also_recorded_as")
    return Item(
        id=raw["id"],
        label=raw["label"],
        weights={c: _tenths(raw[c]) for c in COLUMNS if c in raw},
        bands=tuple(
            Band(
                b["from"],
                b.get("below"),
                {c: _tenths(b[c]) for c in COLUMNS},
                b["label"],
            )
            for b in raw.get("bands", ())
        ),
        skin=bool(raw.get("skin")),
        biopsy=bool(raw.get("biopsy")),
        derived=Derived(also["field"], also.get("contains"), also.get("equals")) if also else None,
    )


# Each lint rule of the table, once: its id and what it checks.
CRITERIA_RULES = {
    "criteria-decimal": "every weight and cutoff has at most one decimal, as the published table",
    "criteria-cutoffs": "in each column, possible < probable < definite",
    "criteria-field": "each item names a field under classification in the profile schema, and every "
    "such field has an item; an also_recorded_as field exists in the profile schema",
    "criteria-duplicate": "no item id appears twice",
    "criteria-bands": "age bands ascend without overlapping",
    "criteria-skin-rule": "at least one skin item and one biopsy item, for the skin-or-biopsy rule",
}


def _lint(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []

    def report(rule: str, message: str, pointer: str) -> None:
        problems.append(Problem("pathway", message, pointer, rule=rule))

    def decimal(value: float, pointer: str) -> None:
        if abs(value * 10 - round(value * 10)) > 1e-9:
            report("criteria-decimal", f"{value} has more than one decimal", pointer)

    for column in COLUMNS:
        cutoffs = data["columns"][column]["cutoffs"]
        for name, value in cutoffs.items():
            decimal(value, f"/columns/{column}/cutoffs/{name}")
        if not cutoffs["possible"] < cutoffs["probable"] < cutoffs["definite"]:
            report(
                "criteria-cutoffs",
                "cutoffs must rise: possible < probable < definite",
                f"/columns/{column}/cutoffs",
            )
    profile = resources.schema("profile")["properties"]
    fields = set(profile["classification"]["properties"])
    seen: set[str] = set()
    for i, item in enumerate(data["items"]):
        here = f"/items/{i}"
        if item["id"] in seen:
            report("criteria-duplicate", f"item '{item['id']}' appears twice", f"{here}/id")
        seen.add(item["id"])
        if item["id"] not in fields:
            report(
                "criteria-field",
                f"'{item['id']}' is not a field under classification in the profile schema",
                f"{here}/id",
            )
        for column in COLUMNS:
            if column in item:
                decimal(item[column], f"{here}/{column}")
        previous_below: float | None = None
        for j, band in enumerate(item.get("bands", ())):
            for column in COLUMNS:
                decimal(band[column], f"{here}/bands/{j}/{column}")
            below = band.get("below")
            if below is not None and below <= band["from"]:
                report(
                    "criteria-bands", "a band must end above where it starts", f"{here}/bands/{j}"
                )
            if j and (previous_below is None or band["from"] < previous_below):
                report(
                    "criteria-bands", "bands must ascend without overlapping", f"{here}/bands/{j}"
                )
            previous_below = below
        also = item.get("also_recorded_as")
        if also and not _profile_field(profile, also["field"]):
            report(
                "criteria-field",
                f"also_recorded_as names '{also['field']}', which the profile schema does not have",
                f"{here}/also_recorded_as/field",
            )
    for missing in sorted(fields - seen):
        report(
            "criteria-field",
            f"the profile field classification.{missing} has no item in the table",
            "/items",
        )
    if not any(item.get("skin") for item in data["items"]) or not any(
        item.get("biopsy") for item in data["items"]
    ):
        report(
            "criteria-skin-rule", "the skin-or-biopsy rule needs skin and biopsy items", "/items"
        )
    return problems


def _profile_field(properties: Mapping[str, Any], dotted: str) -> bool:
    node: Any = {"properties": properties}
    for part in dotted.split("."):
        props = node.get("properties", {}) if isinstance(node, Mapping) else {}
        if part not in props:
            return False
        node = props[part]
    return True


# ---------------------------------------------------------------------------
# Reading a profile's items


class Finding(NamedTuple):
    value: Any  # True / False / a number (the age); None: not recorded
    derived_from: str | None = None  # the other field it was taken from


def findings(criteria: Criteria, data: Mapping[str, Any]) -> dict[str, Finding]:
    """Each item as the profile records it, from classification or the field that also records it."""
    recorded = data.get("classification") or {}
    out: dict[str, Finding] = {}
    for item in criteria.items:
        if item.id in recorded:
            out[item.id] = Finding(recorded[item.id])
        elif item.derived is not None and item.derived.positive(data) is True:
            out[item.id] = Finding(True, item.derived.field)
        else:
            out[item.id] = Finding(None)
    return out


def contradictions(criteria: Criteria, data: Mapping[str, Any]) -> list[Problem]:
    """A classification item that disagrees with the same finding recorded elsewhere."""
    recorded = data.get("classification")
    if not isinstance(recorded, Mapping):
        return []
    problems = []
    for item in criteria.items:
        if item.derived is None or item.id not in recorded:
            continue
        other = item.derived.positive(data)
        if other is None and item.derived.equals is not None:
            # an explicit false elsewhere contradicts a true here
            value: Any = data
            for part in item.derived.field.split("."):
                value = value.get(part) if isinstance(value, Mapping) else None
            other = False if value is False else None
        if other is not None and other != recorded[item.id]:
            said = "records" if other else "records no"
            problems.append(
                Problem(
                    "semantic",
                    f"contradicts {item.derived.field}, which {said} "
                    f"{item.derived.contains or item.label}: record the finding once, "
                    "or make the two agree",
                    f"/classification/{item.id}",
                )
            )
    return problems


# ---------------------------------------------------------------------------
# Scoring


class Reach(NamedTuple):
    item: str
    category: str  # what the category would become with this item present


class Column(NamedTuple):
    column: str
    score: int  # tenths, recorded items only (== low)
    category: str
    low: int
    high: int
    category_range: tuple[str, ...]  # lowest first
    unknown: tuple[str, ...]
    decisive: tuple[Reach, ...]  # items that alone would change the category


class Classification(NamedTuple):
    without_biopsy: Column
    with_biopsy: Column | None
    biopsy_done: bool
    classifiable: bool | None  # the skin-or-biopsy rule; None: undecided
    rule_text: str
    notes: tuple[str, ...]
    found: dict[str, Finding]

    @property
    def applicable(self) -> Column:
        """The column a clinician reads: with biopsy when one was done."""
        return self.with_biopsy if self.with_biopsy is not None else self.without_biopsy

    @property
    def recorded_any(self) -> bool:
        return any(f.value is not None for f in self.found.values())


def _score(criteria: Criteria, found: Mapping[str, Finding], column: str) -> Column:
    score = 0
    spare: list[tuple[Item, int]] = []
    for item in criteria.items:
        if item.biopsy and column == "without_biopsy":
            continue
        value = found[item.id].value
        if value is None:
            spare.append((item, item.most(column)))
        elif item.bands:
            score += _band_weight(item, value, column)
        elif value is True:
            score += item.weights[column]
    high = score + sum(w for _, w in spare)
    category = criteria.category(column, score)
    top = criteria.category(column, high)
    reachable = CATEGORIES[CATEGORIES.index(category) : CATEGORIES.index(top) + 1]
    decisive = tuple(
        Reach(item.id, criteria.category(column, score + w))
        for item, w in spare
        if criteria.category(column, score + w) != category
    )
    return Column(
        column,
        score,
        category,
        score,
        high,
        reachable,
        tuple(item.id for item, _ in spare),
        decisive,
    )


def _band_weight(item: Item, value: float, column: str) -> int:
    for band in item.bands:
        if value >= band.start and (band.below is None or value < band.below):
            return band.weights[column]
    return 0  # below the first band: onset before 18 scores nothing


def classify(criteria: Criteria, data: Mapping[str, Any]) -> Classification:
    """The criteria applied to one (valid, non-contradictory) profile."""
    found = findings(criteria, data)
    biopsy_items = [item for item in criteria.items if item.biopsy]
    biopsy_done = any(found[item.id].value is not None for item in biopsy_items) or bool(
        (data.get("diagnosis") or {}).get("biopsy")
    )
    without = _score(criteria, found, "without_biopsy")
    with_biopsy = _score(criteria, found, "with_biopsy") if biopsy_done else None
    skin = [item for item in criteria.items if item.skin]
    skin_present = [i.label for i in skin if found[i.id].value is True]
    biopsy_present = [i.label for i in biopsy_items if found[i.id].value is True]
    rule = criteria.rule
    classifiable: bool | None
    if skin_present:
        classifiable, rule_text = True, rule["met_by_skin"].format(items=_and(skin_present))
    elif biopsy_present:
        classifiable, rule_text = True, rule["met_by_biopsy"].format(items=_and(biopsy_present))
    elif all(found[i.id].value is False for i in skin) and (
        not biopsy_done or all(found[i.id].value is not None for i in biopsy_items)
    ):
        # no skin sign, and no biopsy or one with every feature recorded absent
        classifiable, rule_text = False, rule["not_met"]
    else:
        classifiable, rule_text = None, rule["undecided"]
    notes = []
    messages = criteria.messages
    onset = next((i for i in criteria.items if i.bands), None)
    if onset is not None:
        value = found[onset.id].value
        if isinstance(value, (int, float)) and value < min(b.start for b in onset.bands):
            notes.append(messages["juvenile"])
    if not biopsy_done:
        notes.append(messages["no_biopsy"])
    labels = {item.id: item.label for item in criteria.items}
    for item_id, finding in found.items():
        if finding.derived_from:
            notes.append(
                messages["derived"].format(item=labels[item_id], field=finding.derived_from)
            )
    return Classification(
        without,
        with_biopsy,
        biopsy_done,
        classifiable,
        rule_text,
        tuple(notes),
        found,
    )


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def outlook(criteria: Criteria, column: Column) -> str:
    """The category and what could change it, in words: 'probable; could be definite if ...'."""
    words = column.category.replace("_", " ") if column.category != "not_iim" else "not IIM"
    if not column.decisive:
        return f"{words}; " + criteria.messages["settled"] if column.unknown else words
    labels = {item.id: item.label for item in criteria.items}
    by_category: dict[str, list[str]] = {}
    for reach in column.decisive:
        by_category.setdefault(reach.category, []).append(labels[reach.item])
    parts = [
        criteria.messages["could_reach"].format(
            category=category.replace("_", " ").replace("not iim", "not IIM"),
            items=" or ".join(names)
            if len(names) <= 2
            else criteria.messages["any_of"].format(count=len(names)),
            verb="is" if len(names) == 1 or len(names) > 2 else "were",
        )
        for category, names in sorted(by_category.items(), key=lambda i: CATEGORIES.index(i[0]))
    ]
    return f"{words}; " + "; ".join(parts)


def column_record(column: Column | None) -> dict[str, Any] | None:
    if column is None:
        return None
    return {
        "score": _points(column.score),
        "category": column.category,
        "min": _points(column.low),
        "max": _points(column.high),
        "category_range": list(column.category_range),
        "unknown": list(column.unknown),
        "decisive": [{"item": r.item, "category": r.category} for r in column.decisive],
    }


def classification_record(criteria: Criteria, result: Classification) -> dict[str, Any]:
    """The ``classification`` object of a classify record."""
    return {
        "without_biopsy": column_record(result.without_biopsy),
        "with_biopsy": column_record(result.with_biopsy),
        "applies": "with_biopsy" if result.with_biopsy is not None else "without_biopsy",
        "classifiable": result.classifiable,
        "skin_or_biopsy": result.rule_text,
        "outlook": outlook(criteria, result.applicable),
        "notes": list(result.notes),
        "items": {
            item_id: finding.value
            for item_id, finding in result.found.items()
            if finding.value is not None
        },
    }
