"""``pathway diff`` output: text for a terminal, Markdown for a pull-request comment, JSON.

Every format opens with the edit itself (what changed in the pathway, in
clinicians' words), then its consequences for the cases grouped by kind
("top option changes in 5 cases: IVIg -> rituximab"), never one block per
case. Markdown stays under ``MARKDOWN_LIMIT`` characters whatever the corpus
(GitHub refuses comments over 65,536): lists are cut, with a pointer to
``--details FILE``, which holds every case's changes.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from ..impact import CaseDiff, Consequence, DiffReport
from ..pathway import Pathway

MARKDOWN_LIMIT = 60_000
IDS_SHOWN = 8  # case ids named per consequence
EDITS_SHOWN = 200


def _name(pathway: Pathway | None, key: str) -> str:
    if pathway is None or not key:
        return key
    return " + ".join(pathway.name_of(t) if t in pathway.therapies else t for t in key.split("+"))


def consequence_words(c: Consequence, after: Pathway | None, before: Pathway | None) -> str:
    """One consequence as a sentence head, with therapy names, not ids."""
    n = len(c.cases)
    cases = f"{n} case{'s' if n != 1 else ''}"
    name = _name(after, c.therapy) if c.therapy else ""
    if c.kind == "top":
        old = _name(before, c.old) if c.old != "None" else "nothing"
        new = _name(after, c.new) if c.new != "None" else "nothing"
        return f"top option changes in {cases}: {old} → {new}"
    if c.kind == "refractory":
        return f"refractory status changes in {cases}: {c.old} → {c.new}"
    if c.kind == "validity":
        return f"the profile is {c.new} now (was {c.old}) in {cases}"
    if c.kind == "option_added":
        return f"{name} is newly offered in {cases}"
    if c.kind == "option_removed":
        return f"{_name(before, c.therapy)} is no longer offered in {cases}"
    if c.kind == "tier":
        return f"{name} goes from {c.old} to {c.new} in {cases}"
    if c.kind == "evidence":
        return f"{name}'s evidence goes from {c.old} to {c.new} in {cases}"
    if c.kind == "rank":
        return f"{name} moves {c.new} the ranking in {cases}"
    if c.kind == "score":
        return f"{name}'s score changes (tier and rank unchanged) in {cases}"
    if c.kind == "caveat_added":
        text = c.example.split("caveat added: ", 1)[-1]
        return f"a new caveat on {name} reaches {cases}: “{text}”"
    if c.kind == "caveat_removed":
        text = c.example.split("caveat removed: ", 1)[-1]
        return f"a caveat on {name} is gone in {cases}: “{text}”"
    if c.kind == "excluded":
        return f"{name} is now excluded ({c.new}) in {cases}"
    if c.kind == "unexcluded":
        return f"{name} is no longer excluded ({c.old}) in {cases}"
    if c.kind == "alert_added":
        return f"alert {c.therapy} is raised in {cases} more"
    if c.kind == "alert_removed":
        return f"alert {c.therapy} is no longer raised in {cases}"
    return f"{c.example} ({cases})"


def _ids(c: Consequence, limit: int = IDS_SHOWN) -> str:
    labels = [_label(case) for case in c.cases]
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def _label(case: CaseDiff) -> str:
    return case.id or (case.source + (f"#{case.document}" if case.document else ""))


def _headline(report: DiffReport) -> str:
    unchanged = report.total - report.changed - report.errors
    line = (
        f"{report.changed} of {report.total} case(s) change, {unchanged} unchanged; "
        f"top option changes in {report.top_changed}"
    )
    if report.errors:
        line += f"; {report.errors} invalid profile(s) counted, not compared"
    return line


# ---------------------------------------------------------------------------- text


def write(
    report: DiffReport,
    out: TextIO,
    fmt: str,
    *,
    details: Any = None,
    details_fmt: str = "text",
) -> None:
    if fmt == "json":
        out.write(json.dumps(_json(report), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "markdown":
        out.write(markdown(report))
    else:
        out.write(_text(report))
    if details is not None:
        if details_fmt == "json":
            details.write(json.dumps(_json(report), ensure_ascii=False, indent=2) + "\n")
        elif details_fmt == "markdown":
            details.write(_case_markdown(report))
        else:
            details.write(_case_text(report))


def _text(report: DiffReport) -> str:
    lines = [
        f"pathway diff: {report.old} ({report.old_version}) -> {report.new} ({report.new_version})",
    ]
    if report.version_problem:
        lines.append(f"error: {report.version_problem} [version-unchanged]")
    edits = report.edits
    lines += ["", f"What changed in the pathway ({len(edits)} edit(s)):"]
    lines += [f"  {e.text}" for e in edits] or ["  nothing"]
    lines += ["", f"Consequences: {_headline(report)}"]
    for c in report.consequences:
        lines.append(f"  {consequence_words(c, report.after, report.before)}")
        lines.append(f"      {_ids(c)}")
    if report.changed == 0:
        lines.append("  no case changes its answer")
    invalid = [c for c in report.cases if c.error]
    if invalid:
        lines += ["", f"Invalid profiles ({len(invalid)}, the same under both versions):"]
        lines += [f"  {_label(c)}: {c.error}" for c in invalid[:20]]
        if len(invalid) > 20:
            lines.append(f"  and {len(invalid) - 20} more")
    return "\n".join(lines) + "\n"


def _case_text(report: DiffReport) -> str:
    lines = [f"pathway diff, every case: {report.old} -> {report.new}", ""]
    for case in report.cases:
        if case.error:
            lines.append(f"! {_label(case)} ({case.source}): cannot run: {case.error}")
        elif case.changes:
            lines.append(f"~ {_label(case)} ({case.source})")
            lines += [f"    {change.text}" for change in case.changes]
    return "\n".join(lines) + "\n"


def _case_markdown(report: DiffReport) -> str:
    lines = [f"### Every case: `{report.old}` → `{report.new}`", ""]
    for case in report.cases:
        if case.changes:
            lines.append(f"- **{_md(_label(case))}** (`{_md(case.source)}`)")
            lines += [f"  - {_md(change.text)}" for change in case.changes]
        elif case.error:
            lines.append(f"- **{_md(_label(case))}**: cannot run: {_md(case.error)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- markdown


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _mermaid(report: DiffReport) -> str:
    from .tree import mermaid

    after, before = report.after, report.before
    if after is None or before is None:
        return ""
    marks: dict[str, str] = {}
    for edit in report.edits:
        if edit.section == "node" and edit.kind == "added":
            marks[edit.subject] = "added"
        elif edit.section == "node" and edit.kind == "removed":
            marks.setdefault(edit.node or after.tree.id, "changed")
        elif edit.node and edit.node in after.nodes():
            marks.setdefault(edit.node, "changed")
    if not marks:
        return ""
    parents: dict[str, str] = {}
    for node in after.tree.walk():
        for child in node.children:
            parents[child.id] = node.id
    shown = set()
    for nid in marks:
        while nid:
            shown.add(nid)
            nid = parents.get(nid, "")
    return mermaid(after, only=shown, marks=marks)


def markdown(report: DiffReport, limit: int = MARKDOWN_LIMIT) -> str:
    """The pull-request comment: under ``limit`` characters whatever the corpus."""
    for ids, edits_shown, with_picture in (
        (IDS_SHOWN, EDITS_SHOWN, True),
        (3, 60, True),
        (0, 20, False),
    ):
        text = _markdown(report, ids, edits_shown, with_picture)
        if len(text) <= limit:
            return text
    return (
        text[: limit - 200]
        + "\n\n… cut to fit a comment: run with `--details FILE` for everything.\n"
    )


def _markdown(report: DiffReport, ids: int, edits_shown: int, with_picture: bool) -> str:
    lines = [
        f"### Pathway impact: {_md(report.old_version)} → {_md(report.new_version)}",
        "",
        f"`{_md(report.old)}` → `{_md(report.new)}`: **{_headline(report)}**.",
        "",
    ]
    if report.version_problem:
        lines += [f"> **Error** (`version-unchanged`): {_md(report.version_problem)}", ""]
    edits = report.edits
    lines += [f"#### The edit ({len(edits)} change{'s' if len(edits) != 1 else ''})", ""]
    if not edits:
        lines.append("Nothing in the pathway's content changed.")
    by_section: dict[str, list[Any]] = {}
    for edit in edits:
        by_section.setdefault(edit.section, []).append(edit)
    titles = {
        "metadata": "Metadata",
        "node": "Tree nodes",
        "option": "Options in the tree",
        "therapy": "Therapies",
        "caveat": "Standing caveats",
        "rule": "Safety rules",
        "alert": "Alerts",
        "fact": "Facts",
        "reference": "References",
        "other": "Other sections",
    }
    budget = edits_shown
    for section, title in titles.items():
        items = by_section.get(section, [])
        if not items:
            continue
        lines.append(f"**{title}** ({len(items)})")
        lines.append("")
        shown = items[: max(budget, 0)]
        lines += [f"- {_md(e.text)}" for e in shown]
        if len(items) > len(shown):
            lines.append(f"- … and {len(items) - len(shown)} more (see `--details`)")
        budget -= len(shown)
        lines.append("")
    lines += ["#### Consequences for the cases", ""]
    consequences = report.consequences
    if not consequences:
        lines.append("No case changes its answer.")
    for c in consequences:
        head = _md(consequence_words(c, report.after, report.before))
        lines.append(f"- {head}" + (f" — {_md(_ids(c, ids))}" if ids else ""))
    invalid = [c for c in report.cases if c.error]
    if invalid:
        lines += [
            "",
            f"{len(invalid)} profile(s) are invalid under both versions (counted, not compared; "
            "`--fail-on-invalid` makes this fail).",
        ]
    picture = _mermaid(report) if with_picture else ""
    if picture:
        lines += [
            "",
            "<details><summary>The changed part of the tree</summary>",
            "",
            "```mermaid",
            picture.rstrip(),
            "```",
            "",
            "</details>",
        ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- json


def _json(report: DiffReport) -> dict[str, Any]:
    return {
        "old": {
            "source": report.old,
            "version": report.old_version,
            "sha256": report.before.sha256 if report.before else None,
        },
        "new": {
            "source": report.new,
            "version": report.new_version,
            "sha256": report.after.sha256 if report.after else None,
        },
        "version_problem": report.version_problem,
        "edits": [e.data() for e in report.edits],
        "summary": {
            "total": report.total,
            "changed": report.changed,
            "unchanged": report.total - report.changed - report.errors,
            "invalid": report.errors,
            "top_changed": report.top_changed,
        },
        "consequences": [c.data() for c in report.consequences],
        "cases": [
            {
                "source": c.source,
                "document": c.document,
                "id": c.id,
                "changes": [change.data() for change in c.changes],
                "error": c.error,
            }
            for c in report.cases
            if c.changes or c.error
        ],
    }
