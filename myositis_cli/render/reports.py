"""Reports for ``validate``, ``pathway check`` and ``pathway test``: text, json, github."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from ..problems import format_location, format_problem
from ..results import CaseResult

if TYPE_CHECKING:
    from ..golden import GoldenReport
    from ..lint import Finding
    from ..pathway import Pathway


def github_escape(text: str, *, prop: bool = False) -> str:
    """Escape for a GitHub Actions workflow command (data, or a property value)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def github_command(
    level: str, message: str, *, file: str, line: int | None, column: int | None, title: str
) -> str:
    props = [f"file={github_escape(file, prop=True)}"]
    if line is not None:
        props.append(f"line={line}")
        if column is not None:
            props.append(f"col={column}")
    props.append(f"title={github_escape(title, prop=True)}")
    return f"::{level} {','.join(props)}::{github_escape(message)}"


def write_validation(
    results: Iterable[CaseResult], out: Any, fmt: str, pathway: Pathway
) -> Iterator[CaseResult]:
    """One line per problem (text, github) or one JSON list of records; yields each result."""
    if fmt == "json":
        from .json import write_json

        yield from write_json(results, out, pathway)
        return
    for result in results:
        for problem in result.problems:
            if fmt == "github":
                where = f"{problem.pointer}: " if problem.pointer else ""
                out.write(
                    github_command(
                        "error",
                        where + problem.message,
                        file=result.source,
                        line=problem.line,
                        column=problem.column,
                        title=f"myositis validate ({problem.kind})",
                    )
                    + "\n"
                )
            else:
                out.write(format_problem(result.source, problem, result.document) + "\n")
        yield result


def write_findings(findings: list[Finding], out: TextIO, fmt: str) -> None:
    if fmt == "json":
        out.write(
            json.dumps([_finding_dict(f) for f in findings], ensure_ascii=False, indent=2) + "\n"
        )
        return
    for f in findings:
        if fmt == "github":
            level = "error" if f.severity == "error" else "warning"
            subject = f" ({f.subject})" if f.subject else ""
            out.write(
                github_command(
                    level,
                    f"{f.message}{subject}",
                    file=f.source,
                    line=f.line,
                    column=f.column,
                    title=f"myositis pathway check: {f.rule}",
                )
                + "\n"
            )
        else:
            where = format_location(f.source, f.line, f.column)
            pointer = f" {f.pointer}:" if f.pointer else ""
            subject = f" ({f.subject})" if f.subject else ""
            out.write(f"{where}: {f.severity}:{pointer} {f.message} [{f.rule}]{subject}\n")


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "source": f.source,
        "line": f.line,
        "column": f.column,
        "path": f.pointer,
        "subject": f.subject,
    }


def write_golden(report: GoldenReport, out: TextIO, fmt: str, min_coverage: float | None) -> None:
    if fmt == "json":
        data = {
            "pathway": report.pathway,
            "cases": report.cases_dir,
            "total": report.total,
            "passed": report.total - report.failed - report.errors,
            "failed": report.failed,
            "errors": report.errors,
            "results": [
                {
                    "file": o.file,
                    "id": o.id,
                    "description": o.description,
                    "passed": o.passed,
                    "failures": list(o.failures),
                    "problems": [format_problem(o.file, p) for p in o.problems],
                }
                for o in report.outcomes
            ],
            "coverage": {
                kind: {
                    "covered": round(report.coverage(kind) * 100, 1),
                    "unreached": report.unreached(kind),
                }
                for kind in ("node", "rule", "alert")
            },
        }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    for o in report.outcomes:
        label = o.id or o.file
        if o.problems:
            out.write(f"ERROR {label}\n")
            for p in o.problems:
                out.write(f"  {format_problem(o.file, p)}\n")
        elif o.failures:
            out.write(f"FAIL  {label}: {o.description}\n      {o.file}\n")
            for failure in o.failures:
                out.write(f"      - {failure}\n")
    passed = report.total - report.failed - report.errors
    out.write(
        f"\n{report.total} golden case(s): {passed} passed, {report.failed} failed, {report.errors} invalid\n"
    )
    for kind, noun in (("node", "tree nodes"), ("rule", "safety rules"), ("alert", "alerts")):
        items = {"node": report.all_nodes, "rule": report.all_rules, "alert": report.all_alerts}[
            kind
        ]
        unreached = report.unreached(kind)
        out.write(
            f"coverage of {noun}: {report.coverage(kind) * 100:.1f}% ({len(items) - len(unreached)}/{len(items)})\n"
        )
        if unreached:
            out.write(f"  not reached by any case: {', '.join(unreached)}\n")
    if min_coverage is not None and report.node_coverage() * 100 < min_coverage:
        out.write(
            f"node coverage {report.node_coverage() * 100:.1f}% is below --min-coverage {min_coverage:g}%\n"
        )
