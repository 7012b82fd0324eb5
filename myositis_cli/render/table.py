"""``--format table`` (the default): Rich output for a clinician at a terminal.

Per case: a header (case id, subtype, refractory status, pathway), the alerts
with critical ones first in red, the ranked options (tier, evidence, why,
caveats), what was left out and why, the missing information, and the
disclaimer. Every string from a profile or pathway goes in as ``Text``, never
as markup, so ``[/]`` in data prints as written. Colour follows Rich: off
under ``NO_COLOR`` or when the output is not a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..problems import display
from ..results import CaseResult, Option, Recommendation
from .common import ALERT_STYLE, TIER_STYLE, missing_words, refractory_words, subtype_words


def write_table(
    results: Iterable[CaseResult],
    console: Console,
    *,
    explain: bool = False,
    top: int | None = None,
) -> Iterator[CaseResult]:
    """Print each successful case as it comes; yield every result once handled."""
    first = True
    for result in results:
        if result.recommendation is not None:
            if not first:
                console.print()
            console.print(render_case(result, explain=explain, top=top))
            first = False
        yield result


def render_case(result: CaseResult, *, explain: bool = False, top: int | None = None) -> Group:
    rec = result.recommendation
    assert rec is not None
    parts: list[Any] = [_header(result, rec)]
    if rec.alerts:
        parts.append(_alerts(rec))
    options = rec.options if top is None else rec.options[:top]
    parts.append(_options(rec, options, top))
    left_out = _left_out(rec)
    if left_out is not None:
        parts.append(left_out)
    if rec.missing:
        parts.append(
            Padding(
                Text.assemble(
                    ("Not recorded (could change the answer): ", "bold"), missing_words(rec)
                ),
                (1, 0, 0, 0),
            )
        )
    if explain and rec.trace:
        parts.append(_trace(rec))
    if any("†" in s for o in options for s in o.sources):
        parts.append(Text("† newer than the 2015 source abstract (SP0173)", style="dim"))
    parts.append(Padding(_text(rec.disclaimer, style="dim italic"), (1, 0, 0, 0)))
    return Group(*parts)


def _text(text: str, style: str = "") -> Text:
    """Data as text, never markup, with control characters escaped."""
    return Text(display(text, newlines=True), style=style)


def _header(result: CaseResult, rec: Recommendation) -> Panel:
    title = Text.assemble(
        (display(rec.id), "bold"), "  ", subtype_words(rec), "  ·  ", refractory_words(rec)
    )
    source = display(result.source) + (
        f" (document {result.document + 1})" if result.document else ""
    )
    body = Text.assemble(
        ("source ", "dim"),
        source,
        ("   pathway ", "dim"),
        f"{rec.pathway_id} {rec.pathway_version}",
    )
    if rec.current:
        body.append("   taking ", style="dim")
        body.append(", ".join(rec.current))
    return Panel(body, title=title, title_align="left", box=box.ROUNDED)


def _alerts(rec: Recommendation) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("level", no_wrap=True)
    table.add_column("message", ratio=1)
    for alert in rec.alerts:
        table.add_row(
            Text(f" {alert.level.upper()} ", style=ALERT_STYLE.get(alert.level, "")),
            _text(alert.message),
        )
    return table


def _options(rec: Recommendation, options: tuple[Option, ...], top: int | None) -> Table:
    caption = None
    if top is not None and len(rec.options) > len(options):
        caption = f"{len(rec.options) - len(options)} more option(s) not shown (--top {top})"
    table = Table(
        title="Options, ranked",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        expand=True,
        show_lines=True,
        caption=caption,
        caption_justify="left",
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Option", min_width=16, max_width=26)
    table.add_column("Why", ratio=4)
    table.add_column("Caveats", ratio=4)
    if not options:
        table.add_row("", Text("no option to suggest", style="italic"), "", "")
    for option in options:
        therapy = _text(option.name, style="bold")
        therapy.append("\n")
        therapy.append(option.tier, style=TIER_STYLE.get(option.tier, ""))
        therapy.append(f"\nevidence {option.evidence} · score {option.score:g}", style="dim")
        why = _text("\n".join(f"• {r}" for r in option.reasons))
        why.append("\nEvidence: " + "; ".join(option.sources), style="dim")
        caveats = _text("\n".join(f"• {c}" for c in option.caveats), style="dim")
        table.add_row(str(option.rank), therapy, why, caveats)
    return table


def _left_out(rec: Recommendation) -> Table | None:
    if not rec.excluded and not rec.withheld:
        return None
    table = Table(
        title="Left out", title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, expand=True
    )
    table.add_column("Therapy", ratio=2)
    table.add_column("Why", ratio=6)
    for exclusion in rec.excluded:
        table.add_row(_text(exclusion.name), _text("; ".join(exclusion.reasons)))
    for withheld in rec.withheld:
        table.add_row(_text(withheld.therapy.replace("+", " + ")), _text(withheld.reason))
    return table


def _trace(rec: Recommendation) -> Table:
    table = Table(
        title="How the pathway was walked (--explain)",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        expand=True,
    )
    table.add_column("Step", no_wrap=True)
    table.add_column("Subject", ratio=1)
    table.add_column("What happened", ratio=5)
    for step in rec.trace:
        table.add_row(step.phase, _text(step.subject), _text(step.message))
    return table
