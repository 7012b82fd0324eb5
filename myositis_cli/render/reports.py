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


def write_golden(
    report: GoldenReport, out: TextIO, fmt: str, min_coverage: float | None, *, full: bool = True
) -> None:
    """Failures, then coverage (full runs only: a -k subset says nothing about coverage)."""
    if fmt == "json":
        data: dict[str, Any] = {
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
        }
        if full:
            data["coverage"] = {
                kind: {
                    "covered": round(report.coverage(kind) * 100, 1),
                    "unreached": report.unreached(kind),
                }
                for kind in ("node", "rule", "alert")
            }
        out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt == "github":
        for o in report.outcomes:
            if o.problems:
                for p in o.problems:
                    out.write(
                        github_command(
                            "error",
                            p.message,
                            file=o.file,
                            line=p.line,
                            column=p.column,
                            title="myositis pathway test: invalid case",
                        )
                        + "\n"
                    )
            elif o.failures:
                out.write(
                    github_command(
                        "error",
                        f"{o.id}: " + "; ".join(o.failures),
                        file=o.file,
                        line=_expect_line(o.file),
                        column=None,
                        title="myositis pathway test: failing golden case",
                    )
                    + "\n"
                )
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
    if not full:
        out.write("coverage: not reported for a -k subset (run every case)\n")
        return
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


def _expect_line(path: str) -> int | None:
    """The line of a case file's ``expect:`` key, where a failing case is annotated."""
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if line.startswith("expect:"):
                    return number
    except OSError:
        return None
    return None


def golden_markdown(report: GoldenReport, *, full: bool = True) -> str:
    """The job summary of ``pathway test`` under GitHub Actions."""
    passed = report.total - report.failed - report.errors
    lines = [
        f"### Golden cases: {passed} of {report.total} pass",
        "",
        f"`{report.pathway}` against `{report.cases_dir}`: {report.failed} failed, "
        f"{report.errors} invalid.",
        "",
    ]
    failing = [o for o in report.outcomes if o.failures or o.problems]
    if failing:
        lines += ["| case | what differs |", "|---|---|"]
        for o in failing[:50]:
            why = "; ".join(o.failures) or "; ".join(p.message for p in o.problems)
            lines.append(f"| {o.id or o.file} | {_cell(why)} |")
        lines.append("")
    if full:
        lines.append(
            "Coverage: "
            + ", ".join(
                f"{noun} {report.coverage(kind) * 100:.1f}%"
                for kind, noun in (("node", "nodes"), ("rule", "safety rules"), ("alert", "alerts"))
            )
        )
    return "\n".join(lines)


def findings_markdown(targets: list[str], findings: list[Finding]) -> str:
    """The job summary of ``pathway check`` under GitHub Actions."""
    errors = sum(1 for f in findings if f.severity == "error")
    lines = [
        f"### Pathway check: {errors} error(s), {len(findings) - errors} warning(s)",
        "",
        "Checked: " + ", ".join(f"`{t}`" for t in targets),
        "",
    ]
    if findings:
        lines += ["| where | severity | rule | finding |", "|---|---|---|---|"]
        for f in findings[:100]:
            where = format_location(f.source, f.line, f.column)
            lines.append(f"| {where} | {f.severity} | `{f.rule}` | {_cell(f.message)} |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
