"""Flat rows to nested profiles: the one rule for CSV files and pandas rows.

A flat row names each field by its dotted path (``safety.egfr``,
``diagnosis.subtype``), a history entry by its number from 1
(``history.1.therapy``, ``history.1.months``), and holds a list field as
``;``-separated values (``jo1;ro52``). An empty cell, ``None``, ``NaN`` and
pandas' missing values all mean "absent", which the profile reads as "not
known". Text is read by the field's type in the profile schema; NumPy
scalars become Python numbers. An unknown column is an error naming the
closest known one. The column contract (``myositis schema csv``) is derived
from the same schema, so the two cannot drift apart.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from functools import cache
from typing import Any, NamedTuple

from . import resources
from .problems import Problem, did_you_mean, join_pointer

LIST_SEPARATOR = ";"
_HISTORY = re.compile(r"^history\.([1-9][0-9]{0,3})\.([a-z_]+)$")
_DECIMAL = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")
_INTEGER = re.compile(r"^[-+]?\d+$")


class Column(NamedTuple):
    """One column of the flat contract."""

    name: str  # safety.egfr; history entries as history.N.months
    kind: str  # string | integer | number | boolean | enum | list
    values: tuple[Any, ...]  # allowed values (enum, or the items of a list)
    description: str
    required: bool = False
    since: int = 1  # the profile_version that introduced it


@cache
def columns() -> dict[str, Column]:
    """Every column of the flat contract, in profile-schema order (history as ``history.N``)."""
    schema = resources.schema("profile")
    found: dict[str, Column] = {}

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str):
            target: Any = schema
            for part in ref[2:].split("/"):
                target = target[part]
            return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    def kind_of(node: Mapping[str, Any]) -> tuple[str, tuple[Any, ...]]:
        if "enum" in node:
            return "enum", tuple(node["enum"])
        if "const" in node:
            return "enum", (node["const"],)
        if node.get("type") == "array":
            return "list", tuple(resolve(node.get("items", {})).get("enum", ()))
        return str(node.get("type", "string")), ()

    def walk(
        props: Mapping[str, Any], prefix: str, required: frozenset[str], since: int = 1
    ) -> None:
        for name, raw in props.items():
            node = resolve(raw)
            dotted = f"{prefix}{name}"
            here = max(since, int(raw.get("x-since", node.get("x-since", 1))))
            if dotted == "history":
                entry = resolve(node["items"])
                for field, sub in entry["properties"].items():
                    kind, values = kind_of(resolve(sub))
                    found[f"history.N.{field}"] = Column(
                        f"history.N.{field}",
                        kind,
                        values,
                        str(sub.get("description", "")),
                        field in entry.get("required", ()),
                        max(here, int(sub.get("x-since", 1))),
                    )
                continue
            if node.get("type") == "object":
                walk(
                    node.get("properties", {}),
                    dotted + ".",
                    frozenset(node.get("required", ())),
                    here,
                )
                continue
            kind, values = kind_of(node)
            found[dotted] = Column(
                dotted,
                kind,
                values,
                str(node.get("description", "")),
                name in required,
                here,
            )

    walk(schema["properties"], "", frozenset(schema.get("required", ())))
    return found


def contract_csv() -> str:
    """The column contract as CSV (``myositis schema csv``): one row per column."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["column", "type", "values", "required", "since_version", "description"])
    for column in columns().values():
        writer.writerow(
            [
                column.name,
                column.kind,
                LIST_SEPARATOR.join(str(v) for v in column.values),
                "yes" if column.required else "",
                column.since,
                column.description,
            ]
        )
    return out.getvalue()


def _absent(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    kind = type(value).__name__
    if kind in ("NAType", "NaTType"):  # pandas' missing values
        return True
    return kind.startswith("float") and value != value  # NumPy NaN


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as Python values; everything else as it is."""
    module = type(value).__module__
    if module.startswith("numpy"):
        if hasattr(value, "tolist"):
            return value.tolist()
        if hasattr(value, "item"):
            return value.item()
    return value


class CellError(ValueError):
    """A cell that cannot be read as its column's type."""


def cell(value: Any, column: Column) -> Any:
    """A cell read as its column's type (text parsed, NumPy unwrapped)."""
    value = _plain(value)
    kind = column.kind
    if isinstance(value, str):
        text = value.strip()
        if kind == "integer":
            if not _INTEGER.match(text):
                raise CellError(f"expected a whole number, got {text!r}")
            if len(text) > 100:
                raise CellError("number is too long")
            return int(text)
        if kind == "number":
            if not _DECIMAL.match(text) or len(text) > 100:
                raise CellError(f"expected a number, got {text!r}")
            number = float(text)
            return (
                int(number)
                if number.is_integer() and "." not in text and "e" not in text.lower()
                else number
            )
        if kind == "boolean":
            lowered = text.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            raise CellError(f"expected true or false, got {text!r}")
        if kind == "list":
            return [item.strip() for item in text.split(LIST_SEPARATOR) if item.strip()]
        return text
    if kind == "integer" and isinstance(value, float) and value.is_integer():
        return int(value)  # pandas makes an integer column float when a cell is missing
    if kind == "list" and isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return value


class Flattened(NamedTuple):
    data: dict[str, Any]
    problems: list[tuple[Problem, str]]  # each with the column it is about
    column_of: dict[str, str]  # JSON pointer -> the column it came from


def unflatten(row: Mapping[str, Any]) -> Flattened:
    """A nested profile from one flat row; unknown columns and unreadable cells are problems."""
    known = columns()
    data: dict[str, Any] = {}
    problems: list[tuple[Problem, str]] = []
    column_of: dict[str, str] = {}
    entries: dict[int, dict[str, Any]] = {}
    entry_columns: dict[int, dict[str, str]] = {}
    for raw_name, raw_value in row.items():
        name = str(raw_name).strip()
        if _absent(raw_value):
            continue
        history = _HISTORY.match(name)
        if history is not None:
            spec = known.get(f"history.N.{history.group(2)}")
            number = int(history.group(1))
        else:
            spec = known.get(name)
            number = 0
        if spec is None:
            if isinstance(raw_value, Mapping) and name in _objects():
                data.setdefault(name, {}).update(raw_value)  # a nested section, as is
                continue
            if name == "history" and isinstance(raw_value, (list, tuple)):
                data["history"] = list(raw_value)
                continue
            names = [c for c in known if not c.startswith("history.N.")]
            guess = did_you_mean(name, names + [c.replace(".N.", ".1.") for c in known])
            hint = f" (did you mean {guess}?)" if guess else ""
            problems.append((Problem("csv", f"unknown column '{name}'{hint}"), str(raw_name)))
            continue
        try:
            value = cell(raw_value, spec)
        except CellError as exc:
            pointer = _pointer(name, number)
            problems.append((Problem("csv", f"column '{name}': {exc}", pointer), str(raw_name)))
            continue
        if number:
            field = history.group(2)  # type: ignore[union-attr]
            entries.setdefault(number, {})[field] = value
            entry_columns.setdefault(number, {})[field] = name
            continue
        parts = name.split(".")
        target = data
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
        column_of[join_pointer(parts)] = name
    if entries:
        history_list = data.setdefault("history", [])
        for position, number in enumerate(sorted(entries), start=len(history_list)):
            history_list.append(entries[number])
            for field, name in entry_columns[number].items():
                column_of[f"/history/{position}/{field}"] = name
            column_of[f"/history/{position}"] = f"history.{number}"
    return Flattened(data, problems, column_of)


@cache
def _objects() -> frozenset[str]:
    schema = resources.schema("profile")
    return frozenset(
        name for name, node in schema["properties"].items() if node.get("type") == "object"
    )


def _pointer(name: str, number: int) -> str:
    if number:
        field = name.rsplit(".", 1)[1]
        return f"/history/{number - 1}/{field}"
    return join_pointer(name.split("."))


def profile_from_row(row: Any) -> dict[str, Any]:
    """A profile mapping from a pandas row (``df.iterrows()``, ``df.to_dict("records")``).

    Columns are named as in the CSV contract (``safety.egfr``,
    ``history.1.therapy``); NaN and None are absent; NumPy scalars become
    numbers. Raises ``ValueError`` naming every unknown column or unreadable
    cell, so a typo is never silently dropped.
    """
    if hasattr(row, "to_dict") and not isinstance(row, Mapping):
        row = row.to_dict()
    flattened = unflatten(row)
    if flattened.problems:
        raise ValueError("; ".join(p.message for p, _ in flattened.problems))
    return flattened.data
