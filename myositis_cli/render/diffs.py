"""``pathway diff`` output: text for a terminal, Markdown for a pull-request comment, JSON."""

from __future__ import annotations

import json
from typing import TextIO

from ..impact import DiffReport


def write(report: DiffReport, out: TextIO, fmt: str) -> None:
    if fmt == "json":
        data = {
            "old": {"source": report.old, "version": report.old_version},
            "new": {"source": report.new, "version": report.new_version},
            "total": report.total,
            "changed": report.changed,
            "top_changed": report.top_changed,
            "errors": report.errors,
            "cases": [
                {
                    "source": c.source,
                    "document": c.document,
                    "id": c.id,
                    "changes": list(c.changes),
                    "error": c.error,
                }
                for c in report.cases
                if c.changes or c.error
            ],
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    elif fmt == "markdown":
        out.write(_markdown(report))
    else:
        out.write(_text(report))


def _label(case_id: str | None, source: str, document: int) -> str:
    where = source + (f"#{document}" if document else "")
    return f"{case_id} ({where})" if case_id else where


def _text(report: DiffReport) -> str:
    lines = [
        f"pathway diff: {report.old} ({report.old_version}) -> {report.new} ({report.new_version})",
        "",
    ]
    for case in report.cases:
        if case.error:
            lines.append(
                f"! {_label(case.id, case.source, case.document)}: cannot run: {case.error}"
            )
        elif case.changes:
            lines.append(f"~ {_label(case.id, case.source, case.document)}")
            lines += [f"    {change}" for change in case.changes]
    if report.changed == 0 and report.errors == 0:
        lines.append("no case changes its answer")
    lines += [
        "",
        f"{report.changed} of {report.total} case(s) change; top option changes in {report.top_changed}",
    ]
    return "\n".join(lines) + "\n"


def _markdown(report: DiffReport) -> str:
    lines = [
        "### Pathway impact",
        "",
        f"`{report.old}` ({report.old_version}) → `{report.new}` ({report.new_version}): "
        f"**{report.changed} of {report.total}** case(s) change, top option in **{report.top_changed}**.",
        "",
    ]
    changed = [c for c in report.cases if c.changes]
    if changed:
        lines += ["| Case | What changes |", "|---|---|"]
        for case in changed:
            cell = "<br>".join(change.replace("|", "\\|") for change in case.changes)
            lines.append(f"| {_label(case.id, case.source, case.document)} | {cell} |")
        lines.append("")
    errors = [c for c in report.cases if c.error]
    if errors:
        lines += ["Cases that could not be run:", ""]
        lines += [f"- {_label(c.id, c.source, c.document)}: {c.error}" for c in errors]
        lines.append("")
    return "\n".join(lines)
