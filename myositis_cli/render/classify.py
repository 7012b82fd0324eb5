"""``myositis classify``: the criteria's answer per case, as text, Markdown, JSON or JSON Lines.

The record is built once (``classify_record``); the text and Markdown views
are read from it, so the formats cannot disagree. Every view ends with the
criteria table's disclaimer: classification for research and diagnosis
support, not a diagnosis.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterable, Iterator
from typing import Any

from ..criteria import Criteria, classification_record
from ..pathway import tool_provenance
from ..problems import display
from ..results import CaseResult, problem_record

CATEGORY_WORDS = {
    "definite": "definite IIM",
    "probable": "probable IIM",
    "possible": "possible IIM",
    "not_iim": "not IIM",
}


def classify_record(result: CaseResult, criteria: Criteria) -> dict[str, Any]:
    out: dict[str, Any] = {
        "source": result.source,
        "document": result.document,
        "id": result.id,
        "status": result.status,
        "tool": tool_provenance(),
        "criteria": criteria.provenance,
    }
    if result.problems:
        out["error"] = problem_record(result.problems[0])
        if len(result.problems) > 1:
            out["errors"] = [problem_record(p) for p in result.problems]
        return out
    out["classification"] = classification_record(criteria, result.classification)
    out["disclaimer"] = criteria.disclaimer
    return out


def write_json(
    results: Iterable[CaseResult], sink: Any, criteria: Criteria, *, lines: bool
) -> Iterator[CaseResult]:
    ascii = not getattr(sink, "utf8", True)
    first = True
    if not lines:
        sink.write("[")
    for result in results:
        rec = classify_record(result, criteria)
        if lines:
            sink.write(json.dumps(rec, ensure_ascii=ascii, separators=(",", ":")) + "\n")
        else:
            text = json.dumps(rec, ensure_ascii=ascii, indent=2)
            sink.write(("\n" if first else ",\n") + "  " + text.replace("\n", "\n  "))
        first = False
        yield result
    if not lines:
        sink.write("]\n" if first else "\n]\n")


def _range(column: dict[str, Any]) -> str:
    reach = [CATEGORY_WORDS[c] for c in column["category_range"]]
    span = reach[0] if len(reach) == 1 else f"{reach[0]} to {reach[-1]}"
    if column["min"] == column["max"]:
        return f"every item recorded: {span}"
    return f"range {column['min']:g}-{column['max']:g} over what is not recorded: {span}"


def _lines(result: CaseResult, criteria: Criteria) -> list[tuple[str, str]]:
    """(label, text) pairs of one case's answer, for text and Markdown."""
    rec = classify_record(result, criteria)
    c = rec["classification"]
    labels = {item.id: item.label for item in criteria.items}
    rows: list[tuple[str, str]] = []
    for key, title in (("without_biopsy", "without biopsy"), ("with_biopsy", "with biopsy")):
        column = c[key]
        if column is None:
            continue
        cutoffs = criteria.cutoffs[key]
        rows.append(
            (
                title.capitalize(),
                f"{column['score']:g} → {CATEGORY_WORDS[column['category']]} "
                f"(cutoffs {cutoffs['possible'] / 10:g} / {cutoffs['probable'] / 10:g} / "
                f"{cutoffs['definite'] / 10:g}); {_range(column)}",
            )
        )
    rows.append(("Outlook", c["outlook"]))
    rows.append(("Skin or biopsy", c["skin_or_biopsy"]))
    applies = c[c["applies"]]
    by_category: dict[str, list[str]] = {}
    for reach in applies["decisive"]:
        by_category.setdefault(reach["category"], []).append(labels[reach["item"]])
    for category, names in by_category.items():
        rows.append(
            (
                "To settle it",
                f"each alone would make it {CATEGORY_WORDS[category]}: " + "; ".join(names),
            )
        )
    decisive = {d["item"] for d in applies["decisive"]}
    rest = [labels[i] for i in applies["unknown"] if i not in decisive]
    if rest:
        rows.append(("Not recorded", "; ".join(rest)))
    rows += [("Note", note) for note in c["notes"]]
    return rows


def write_text(
    results: Iterable[CaseResult], sink: Any, criteria: Criteria, *, width: int = 80
) -> Iterator[CaseResult]:
    first = True
    for result in results:
        if not first:
            sink.write("\n")
        first = False
        if not result.ok:
            sink.write(f"{display(result.source)}: not classified (see the error above)\n")
            yield result
            continue
        sink.write(f"{display(result.id or '')} · {criteria.title}\n")
        for label, text in _lines(result, criteria):
            wrapped = textwrap.wrap(
                display(text),
                width=max(40, width),
                initial_indent=f"  {label + ':':<16}",
                subsequent_indent=" " * 18,
            )
            sink.write("\n".join(wrapped) + "\n")
        sink.write(textwrap.fill(display(criteria.disclaimer), width=max(40, width)) + "\n")
        yield result


def write_markdown(
    results: Iterable[CaseResult], sink: Any, criteria: Criteria
) -> Iterator[CaseResult]:
    for result in results:
        if not result.ok:
            sink.write(f"### {_md(result.source)}\n\nNot classified: the profile is invalid.\n\n")
            yield result
            continue
        sink.write(f"### {_md(result.id or '')} · {_md(criteria.title)}\n\n")
        for label, text in _lines(result, criteria):
            sink.write(f"- **{_md(label)}**: {_md(text)}\n")
        sink.write(f"\n_{_md(criteria.disclaimer)}_\n\n")
        yield result


def _md(text: str) -> str:
    out = display(text)
    for char in "\\`*_[]<>|":
        out = out.replace(char, "\\" + char)
    return out
