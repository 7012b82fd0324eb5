"""``--format markdown``: the table's content as Markdown, for pasting into notes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TextIO

from ..problems import display
from ..results import CaseResult
from .common import missing_words, refractory_words, subtype_words


def write_markdown(
    results: Iterable[CaseResult], out: TextIO, *, explain: bool = False, top: int | None = None
) -> Iterator[CaseResult]:
    first = True
    for result in results:
        if result.recommendation is not None:
            if not first:
                out.write("\n---\n\n")
            out.write(render_case(result, explain=explain, top=top))
            first = False
        yield result


def render_case(result: CaseResult, *, explain: bool = False, top: int | None = None) -> str:
    rec = result.recommendation
    assert rec is not None
    lines = [
        f"## {_inline(rec.id)} — {subtype_words(rec)} — {refractory_words(rec)}",
        "",
        f"Source `{_code(result.source)}`"
        + (f" (document {result.document + 1})" if result.document else "")
        + f" · pathway {rec.pathway_id} {rec.pathway_version}"
        + (f" · taking {', '.join(rec.current)}" if rec.current else ""),
        "",
    ]
    if rec.alerts:
        lines += ["### Alerts", ""]
        lines += [f"- **{a.level.upper()}** {_inline(a.message)}" for a in rec.alerts]
        lines.append("")
    options = rec.options if top is None else rec.options[:top]
    lines += [
        "### Options, ranked",
        "",
        "| # | Therapy | Tier | Evidence | Score | Why | Caveats |",
        "|---:|---|---|:---:|---:|---|---|",
    ]
    for o in options:
        lines.append(
            f"| {o.rank} | {_cell(o.name)} | {o.tier} | {o.evidence} | {o.score:g} | "
            f"{'<br>'.join(_cell(r) for r in o.reasons)}<br>_Evidence: {_cell('; '.join(o.sources))}_ | "
            f"{'<br>'.join(_cell(c) for c in o.caveats)} |"
        )
    if not options:
        lines.append("| | _no option to suggest_ | | | | | |")
    if top is not None and len(rec.options) > len(options):
        lines += [
            "",
            f"_{len(rec.options) - len(options)} more option(s) not shown (--top {top})._",
        ]
    lines.append("")
    if rec.excluded or rec.withheld:
        lines += ["### Left out", ""]
        lines += [f"- **{_inline(e.name)}**: {_inline('; '.join(e.reasons))}" for e in rec.excluded]
        lines += [
            f"- **{_inline(w.therapy.replace('+', ' + '))}**: {_inline(w.reason)}"
            for w in rec.withheld
        ]
        lines.append("")
    if rec.missing:
        lines += [f"**Not recorded (could change the answer):** {_inline(missing_words(rec))}", ""]
    if explain and rec.trace:
        lines += [
            "### How the pathway was walked",
            "",
            "| Step | Subject | What happened |",
            "|---|---|---|",
        ]
        lines += [f"| {s.phase} | {_cell(s.subject)} | {_cell(s.message)} |" for s in rec.trace]
        lines.append("")
    if any("†" in s for o in options for s in o.sources):
        lines += ["† newer than the 2015 source abstract (SP0173)", ""]
    lines += [f"_{_inline(rec.disclaimer)}_", ""]
    return "\n".join(lines)


def _inline(text: str) -> str:
    text = display(text)  # control characters and newlines as visible escapes
    for ch in ("\\", "*", "_", "`", "<", ">", "[", "]"):
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")


def _code(text: str) -> str:
    return display(text).replace("`", "'")
