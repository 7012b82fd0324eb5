"""``--format table`` (the default): Rich output for a clinician at a terminal.

Compact by default, so a typical case fits one 80x24 screen, in this order:
a one-line header (id, subtype, refractory or not, pathway version); the
critical and warning alerts, one entry each; the ranked options (rank, name,
tier, evidence, one line of why); what the patient takes now; "before
starting, check", one line per undecided fact naming the options it affects;
what was left out, one line each; the disclaimer. ``--detail`` shows
everything: every reason, caveat and reference, the notices, the full checks.

Every string from a profile or pathway goes in as ``Text``, never as markup,
with control characters escaped. Colour follows Rich: off under ``NO_COLOR``
or when the output is not a terminal.
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
from ..results import Alert, CaseResult, Option, Recommendation
from .common import (
    ALERT_STYLE,
    TIER_STYLE,
    first_sentence,
    left_out_lines,
    missing_words,
    refractory_short,
    refractory_words,
    subtype_words,
    without_setting,
)


def write_table(
    results: Iterable[CaseResult],
    console: Console,
    *,
    explain: bool = False,
    top: int | None = None,
    detail: bool = False,
) -> Iterator[CaseResult]:
    """Print each successful case as it comes; yield every result once handled."""
    first = True
    for result in results:
        if result.recommendation is not None:
            if not first:
                console.print()
            render = render_detail if (detail or explain) else render_compact
            console.print(render(result, explain=explain, top=top))
            first = False
        yield result


def _text(text: str, style: str = "") -> Text:
    """Data as text, never markup, with control characters escaped."""
    return Text(display(text, newlines=True), style=style)


def _line(text: str, style: str = "") -> Text:
    """One line that is cut with an ellipsis rather than wrapped."""
    line = Text(display(text), style=style, no_wrap=True, overflow="ellipsis")
    return line


# ---------------------------------------------------------------- compact


def render_compact(result: CaseResult, *, explain: bool = False, top: int | None = None) -> Group:
    rec = result.recommendation
    assert rec is not None
    parts: list[Any] = [_compact_header(result, rec)]
    alerts = [a for a in rec.alerts if a.level in ("critical", "warning")]
    notices = [a for a in rec.alerts if a.level == "info"]
    if alerts or notices:
        grid = Table.grid(padding=(0, 1), expand=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for alert in alerts:
            grid.add_row(_badge(alert), _text(alert.summary or first_sentence(alert.message)))
        if notices:
            names = "; ".join(a.summary or first_sentence(a.message) for a in notices)
            grid.add_row(Text(" NOTE ", style="cyan"), _line(f"{names} (--detail)", "dim"))
        parts.append(grid)
    options = rec.options if top is None else rec.options[:top]
    parts.append(_compact_options(rec, options, top))
    if rec.taking:
        parts.append(_section("Taking now"))
        for taking in rec.taking:
            parts.append(_line(f"  {taking.name}: {taking.reason}"))
    if rec.checks:
        parts.append(_section("Before starting, check"))
        for check in rec.checks:
            label = check.label or check.ask
            names = ", ".join(check.names) if check.names else first_sentence(check.reasons[0])
            parts.append(_line(f"  {label}: {names}"))
    lines = left_out_lines(rec)
    if lines:
        parts.append(_section("Left out"))
        for name, reason in lines:
            parts.append(_line(f"  {name}: {reason}"))
    parts.append(_text(rec.disclaimer, "dim italic"))
    return Group(*parts)


def _compact_header(result: CaseResult, rec: Recommendation) -> Text:
    header = Text.assemble(
        (display(rec.id), "bold"),
        " · ",
        subtype_words(rec),
        " · ",
        refractory_short(rec),
        (f" · pathway {rec.pathway_version}", "dim"),
    )
    if result.document:
        header.append(f" · document {result.document + 1}", style="dim")
    header.no_wrap = True
    header.overflow = "ellipsis"
    return header


def _badge(alert: Alert) -> Text:
    return Text(f" {alert.level.upper()} ", style=ALERT_STYLE.get(alert.level, ""))


def _section(title: str) -> Text:
    return Text(title, style="bold")


def _options_table(
    rec: Recommendation, options: tuple[Option, ...], top: int | None, **style: Any
) -> Table:
    """The ranked options' table, with a caption when --top hid some."""
    caption = None
    if top is not None and len(rec.options) > len(options):
        caption = f"{len(rec.options) - len(options)} more option(s) not shown (--top {top})"
    return Table(
        title="Options, ranked",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        expand=True,
        caption=caption,
        caption_justify="left",
        **style,
    )


def _compact_options(rec: Recommendation, options: tuple[Option, ...], top: int | None) -> Table:
    table = _options_table(rec, options, top, padding=(0, 1), show_edge=False)
    # rank, tier and evidence keep their width however narrow the screen: the
    # name and the reason give way first (cut with an ellipsis)
    table.add_column("#", justify="right", no_wrap=True, min_width=2)
    table.add_column("Option", no_wrap=True, overflow="ellipsis", max_width=26, min_width=8)
    table.add_column("Tier", no_wrap=True, min_width=11)
    table.add_column("Ev", no_wrap=True, justify="center", min_width=2)
    table.add_column("Why", ratio=1, no_wrap=True, overflow="ellipsis")
    if not options:
        table.add_row("", Text("no option to suggest", style="italic"), "", "", "")
    for option in options:
        table.add_row(
            str(option.rank),
            _text(option.short_name or option.name, "bold"),
            Text(option.tier, style=TIER_STYLE.get(option.tier, "")),
            option.evidence,
            _line(without_setting(option.reasons[0]) if option.reasons else ""),
        )
    return table


# ---------------------------------------------------------------- detail (--detail)


def render_detail(result: CaseResult, *, explain: bool = False, top: int | None = None) -> Group:
    rec = result.recommendation
    assert rec is not None
    parts: list[Any] = [_header(result, rec)]
    if rec.alerts:
        parts.append(_alerts(rec))
    options = rec.options if top is None else rec.options[:top]
    parts.append(_options(rec, options, top))
    if rec.taking:
        table = _titled("Taking now", [("Therapy", 2), ("Continue or review", 6)])
        for taking in rec.taking:
            table.add_row(_text(taking.name), _text(f"{taking.advice}: {taking.reason}"))
        parts.append(table)
    if rec.checks:
        table = _titled(
            "Before starting, check", [("Check", 3), ("Options it affects", 2), ("Why", 5)]
        )
        for check in rec.checks:
            table.add_row(
                _text(check.ask),
                _text(", ".join(check.names) or "—"),
                _text("\n".join(f"• {r}" for r in check.reasons), "dim"),
            )
        parts.append(table)
    lines = left_out_lines(rec)
    if lines:
        table = _titled("Left out", [("Therapy", 2), ("Why", 6)])
        for name, reason in lines:
            table.add_row(_text(name), _text(reason))
        parts.append(table)
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
    parts.append(Padding(_text(rec.disclaimer, "dim italic"), (1, 0, 0, 0)))
    return Group(*parts)


def _titled(title: str, columns: list[tuple[str, int]]) -> Table:
    table = Table(
        title=title, title_justify="left", title_style="bold", box=box.SIMPLE_HEAD, expand=True
    )
    for name, ratio in columns:
        table.add_column(name, ratio=ratio)
    return table


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
    return Panel(body, title=title, title_align="left", box=box.ROUNDED)


def _alerts(rec: Recommendation) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column("level", no_wrap=True)
    table.add_column("message", ratio=1)
    for alert in rec.alerts:
        table.add_row(_badge(alert), _text(alert.message))
    return table


def _options(rec: Recommendation, options: tuple[Option, ...], top: int | None) -> Table:
    table = _options_table(rec, options, top, show_lines=True)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Option", min_width=16, max_width=26)
    table.add_column("Why", ratio=4)
    table.add_column("Caveats", ratio=4)
    if not options:
        table.add_row("", Text("no option to suggest", style="italic"), "", "")
    for option in options:
        therapy = _text(option.name, "bold")
        therapy.append("\n")
        therapy.append(option.tier, style=TIER_STYLE.get(option.tier, ""))
        therapy.append(f"\nevidence {option.evidence} · score {option.score:g}", style="dim")
        why = _text("\n".join(f"• {r}" for r in option.reasons))
        why.append("\nEvidence: " + "; ".join(option.sources), style="dim")
        caveats = _text("\n".join(f"• {c}" for c in option.caveats), "dim")
        table.add_row(str(option.rank), therapy, why, caveats)
    return table


def _trace(rec: Recommendation) -> Table:
    table = _titled(
        "How the pathway was walked (--explain)",
        [("Step", 1), ("Subject", 1), ("What happened", 5)],
    )
    for step in rec.trace:
        table.add_row(step.phase, _text(step.subject), _text(step.message))
    return table
