"""``myositis summarize``: the cohort summary as text, Markdown, JSON or HTML.

One model (sections of rows, built once from the summary data) and one
renderer per format, so the four cannot disagree. The HTML page is
self-contained: bar charts are inline SVG, no script, no network.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any, NamedTuple

from ..problems import display
from ..summary import NO_OPTION, UNKNOWN_SUBTYPE


class Section(NamedTuple):
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    counts: list[int]  # the bar of each row (empty: no chart)
    note: str = ""


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _n(value: int) -> str:
    return f"{value:,}"


def headline(data: dict[str, Any]) -> list[str]:
    s = data["summary"]
    lines = [f"{_n(s['cases'])} case(s): {_n(s['ok'])} ok, {_n(s['failed'])} failed"]
    if s["failed_by_kind"]:
        kinds = ", ".join(f"{kind} {_n(n)}" for kind, n in s["failed_by_kind"].items())
        lines[0] += f" ({kinds})"
    if data["unreadable"]:
        lines.append(f"{_n(data['unreadable'])} line(s) were not records (see stderr)")
    r = s["refractory"]
    if s["ok"]:
        lines.append(
            f"Refractory: {_n(r['yes'])} of {_n(s['ok'])} ({_pct(r['yes'], s['ok'])}); "
            f"not refractory {_n(r['no'])}; undecided {_n(r['undecided'])}"
        )
    for p in data["pathways"]:
        sha = (p["sha256"] or "not recorded")[:12]
        lines.append(f"Pathway {p['id']} {p['version']} (sha256 {sha}…): {_n(p['cases'])} case(s)")
    if len(data["pathways"]) > 1:
        lines.append("Warning: these records come from more than one pathway; counts mix them")
    return lines


def _names(s: dict[str, Any]) -> dict[str, str]:
    return {key: entry["name"] for key, entry in s["option_ranks"].items()}


def sections(s: dict[str, Any], limit: int) -> list[Section]:
    """The tables of one summary (the cohort's, or one subtype's)."""
    names = _names(s)
    out = []
    top = list(s["top_option"].items())[:limit]
    out.append(
        Section(
            "Top option",
            ("option", "cases", "share"),
            [
                (
                    names.get(k, "no option offered" if k == NO_OPTION else k),
                    _n(n),
                    _pct(n, s["ok"]),
                )
                for k, n in top
            ],
            [n for _, n in top],
        )
    )
    ranks = list(s["option_ranks"].items())[:limit]
    out.append(
        Section(
            "Where each option ranks",
            ("option", "offered", "mean rank", "#1", "#2", "#3", "#4+"),
            [
                (
                    entry["name"],
                    _n(entry["offered"]),
                    f"{entry['mean_rank']:g}",
                    *(_n(entry["ranks"].get(str(i), 0)) for i in (1, 2, 3)),
                    _n(sum(c for r, c in entry["ranks"].items() if int(r) >= 4)),
                )
                for _, entry in ranks
            ],
            [entry["offered"] for _, entry in ranks],
        )
    )
    alerts = list(s["alerts"].items())[:limit]
    out.append(
        Section(
            "Alerts",
            ("alert", "level", "cases", "share"),
            [(code, a["level"], _n(a["cases"]), _pct(a["cases"], s["ok"])) for code, a in alerts],
            [a["cases"] for _, a in alerts],
        )
    )
    excluded = list(s["excluded_by_rule"].items())[:limit]
    out.append(
        Section(
            "Left out, by rule",
            ("rule", "cases"),
            [(code, _n(n)) for code, n in excluded],
            [n for _, n in excluded],
        )
    )
    missing = list(s["missing_that_could_change_the_answer"].items())[:limit]
    out.append(
        Section(
            "Not recorded, and could change the answer",
            ("field", "options affected", "cases"),
            [(f, _n(m["options_affected"]), _n(m["cases"])) for f, m in missing],
            [m["options_affected"] for _, m in missing],
            "options affected: how many offered options, summed over the cases, a fact would decide",
        )
    )
    return [section for section in out if section.rows]


def by_subtype(data: dict[str, Any]) -> Section:
    rows: list[tuple[str, ...]] = []
    for name, s in data["by_subtype"].items():
        names = _names(s)
        top = next(iter(s["top_option"]), "")
        rows.append(
            (
                name.replace("_", " ") if name != UNKNOWN_SUBTYPE else name,
                _n(s["cases"]),
                _n(s["failed"]),
                _pct(s["refractory"]["yes"], s["ok"]),
                names.get(top, "no option offered" if top == NO_OPTION else top),
                next(iter(s["alerts"]), "—"),
                next(iter(s["excluded_by_rule"]), "—"),
                next(iter(s["missing_that_could_change_the_answer"]), "—"),
            )
        )
    return Section(
        "By subtype",
        (
            "subtype",
            "cases",
            "failed",
            "refractory",
            "most often first",
            "commonest alert",
            "commonest exclusion",
            "most needed fact",
        ),
        rows,
        [],
    )


# ---------------------------------------------------------------------------
# Text


def _text_table(section: Section, width: int) -> list[str]:
    cells = [section.columns, *section.rows]
    widths = [max(len(display(row[i])) for row in cells) for i in range(len(section.columns))]
    bar_room = max(0, width - sum(widths) - 2 * len(widths) - 2)
    most = max(section.counts, default=0)
    lines = [section.title]
    for i, row in enumerate(cells):
        text = "  " + "  ".join(
            display(cell).ljust(w) if j == 0 else display(cell).rjust(w)
            for j, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        if i and section.counts and most and bar_room >= 5:
            text += "  " + "█" * max(1, round(min(bar_room, 24) * section.counts[i - 1] / most))
        lines.append(text.rstrip())
    if section.note:
        lines.append(f"  ({section.note})")
    return lines


def render_text(
    data: dict[str, Any], *, limit: int, width: int = 100, subtypes: bool = True
) -> str:
    out = ["Cohort summary", *headline(data), ""]
    for section in sections(data["summary"], limit):
        out += [*_text_table(section, width), ""]
    if subtypes and data["by_subtype"]:
        # one short block per subtype: a nine-column table does not fit a terminal
        table = by_subtype(data)
        out.append(table.title)
        for row in table.rows:
            name, cases, failed, refractory, *firsts = row
            out.append(
                f"  {display(name)}: {cases} case(s), {failed} failed, refractory {refractory}"
            )
            pairs = zip(table.columns[4:], firsts, strict=True)
            out += [
                f"    {label}: {display(value)}" for label, value in pairs if value not in ("", "—")
            ]
        out.append("")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Markdown


def _md(text: str) -> str:
    return display(text).replace("|", "\\|")


def _md_table(section: Section) -> list[str]:
    lines = [f"### {section.title}", ""]
    lines.append("| " + " | ".join(section.columns) + " |")
    lines.append(
        "|" + "|".join("---" if i == 0 else "---:" for i in range(len(section.columns))) + "|"
    )
    lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in section.rows]
    if section.note:
        lines += ["", f"_{section.note}_"]
    return [*lines, ""]


def render_markdown(data: dict[str, Any], *, limit: int, subtypes: bool = True) -> str:
    out = ["## Cohort summary", ""]
    out += [f"- {_md(line)}" for line in headline(data)]
    out.append("")
    for section in sections(data["summary"], limit):
        out += _md_table(section)
    if subtypes and data["by_subtype"]:
        out += _md_table(by_subtype(data))
        for name, s in data["by_subtype"].items():
            out += [f"## {_md(name.replace('_', ' '))}", ""]
            for section in sections(s, limit):
                out += _md_table(section._replace(title=f"{section.title} ({name})"))
    return "\n".join(out)


# ---------------------------------------------------------------------------
# JSON


def render_json(data: dict[str, Any], *, ascii: bool = False) -> str:
    return json.dumps(data, indent=2, ensure_ascii=ascii) + "\n"


# ---------------------------------------------------------------------------
# HTML

STYLE = """
body { font: 15px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1d2430; margin: 0 auto; max-width: 64rem; padding: 1.5rem; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.15rem; border-bottom: 2px solid #1d2430; margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1.2rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #d8dde5; padding: .3rem .4rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { font-size: .85rem; color: #5b6472; } td.bar { width: 40%; text-align: left; }
svg rect { fill: #22577a; } .note { color: #5b6472; font-size: .85rem; }
ul.head { padding-left: 1.1rem; }
@media print { body { max-width: none; padding: 0; font-size: 11pt; }
  .section { break-inside: avoid; } }
"""


def _bar(count: int, most: int) -> str:
    width = 0 if not most else max(1.0, 200 * count / most)
    return (
        f'<svg width="210" height="12" role="img" aria-label="{count}">'
        f'<rect x="0" y="1" width="{width:.1f}" height="10"></rect></svg>'
    )


def _html_table(section: Section, level: str = "h3") -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in section.columns)
    most = max(section.counts, default=0)
    rows = []
    for i, row in enumerate(section.rows):
        cells = "".join(f"<td>{escape(display(c))}</td>" for c in row)
        if section.counts:
            cells += f'<td class="bar">{_bar(section.counts[i], most)}</td>'
        rows.append(f"<tr>{cells}</tr>")
    bar_head = "<th></th>" if section.counts else ""
    note = f'<p class="note">{escape(section.note)}</p>' if section.note else ""
    return (
        f'<div class="section"><{level}>{escape(section.title)}</{level}>'
        f"<table><tr>{head}{bar_head}</tr>{''.join(rows)}</table>{note}</div>"
    )


def render_html(data: dict[str, Any], *, limit: int, subtypes: bool = True) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>myositis cohort summary</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Cohort summary</h1>",
        '<ul class="head">'
        + "".join(f"<li>{escape(display(line))}</li>" for line in headline(data))
        + "</ul>",
    ]
    parts += [_html_table(section) for section in sections(data["summary"], limit)]
    if subtypes and data["by_subtype"]:
        parts.append(_html_table(by_subtype(data), "h2"))
        for name, s in data["by_subtype"].items():
            parts.append(f"<h2>{escape(name.replace('_', ' '))}</h2>")
            parts += [_html_table(section) for section in sections(s, limit)]
    parts.append("</body></html>\n")
    return "\n".join(parts)
