"""``--format html``: one self-contained report per run, to print or file.

No network: the styles are inline, there is no script and no web font, and
the only URLs are the links of the references (PubMed, DOI, the trial
registry), which a reader follows by choice. Every string is escaped. Each
case is a section: header, alerts, options with reasons, caveats and
references, what is taken now, the checks before starting, what was left
out, the pathway's walk (the nodes entered highlighted, as a nested list)
and the disclaimer; the page ends with its provenance (tool version, pathway
id, version and sha256). Print CSS keeps sections whole on A4 and Letter.
The output is byte-identical for the same inputs: no timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from html import escape
from typing import Any

from .. import __version__
from ..pathway import Node, Pathway
from ..problems import display
from ..results import CaseResult, Option, Recommendation
from .common import left_out_lines, refractory_words, subtype_words

STYLE = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d8dde5; --preferred: #1b6e3b;
  --consider: #8a5a00; --discouraged: #a11d1d; --critical: #a11d1d; --warning: #8a5a00;
  --info: #22577a; }
* { box-sizing: border-box; }
body { font: 15px/1.45 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .25rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1rem; margin: 1.1rem 0 .35rem; }
.meta, .muted, .disclaimer { color: var(--muted); font-size: .9rem; }
.disclaimer { font-style: italic; border-top: 1px solid var(--line); padding-top: .5rem; }
ul.alerts { list-style: none; padding: 0; margin: .5rem 0; }
ul.alerts li { border-left: 4px solid var(--info); padding: .3rem .6rem; margin: .3rem 0;
  background: #f4f7fa; }
ul.alerts li.critical { border-color: var(--critical); background: #fbeeee; }
ul.alerts li.warning { border-color: var(--warning); background: #fbf5ea; }
.level { font-weight: 700; text-transform: uppercase; font-size: .8rem; margin-right: .4rem; }
table { border-collapse: collapse; width: 100%; margin: .3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: .35rem .4rem; text-align: left;
  vertical-align: top; }
th { font-size: .85rem; color: var(--muted); }
td.rank { width: 2rem; text-align: right; }
.tier { font-weight: 700; } .tier.preferred { color: var(--preferred); }
.tier.consider { color: var(--consider); } .tier.discouraged { color: var(--discouraged); }
td ul { margin: 0; padding-left: 1.1rem; } .caveats { color: var(--muted); font-size: .9rem; }
.refs { font-size: .85rem; } .refs a { color: var(--info); }
ul.walk, ul.walk ul { list-style: none; padding-left: 1.1rem; margin: .2rem 0; }
ul.walk li { color: var(--muted); } ul.walk li.entered > span { color: var(--ink);
  font-weight: 600; background: #e7f3ec; padding: 0 .25rem; }
ul.walk li.entered > span::before { content: "✓ "; color: var(--preferred); }
footer { margin-top: 2rem; font-size: .8rem; color: var(--muted); }
@page { margin: 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  section.case { break-before: page; } section.case:first-of-type { break-before: auto; }
  table, ul.alerts li, .block { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  a[href]::after { content: " (" attr(href) ")"; font-size: 8pt; color: var(--muted); }
}
"""


def _e(text: str) -> str:
    return escape(display(text, newlines=True), quote=True)


def _references(pathway: Pathway, ids: Iterable[str]) -> str:
    items = []
    for rid in ids:
        ref = pathway.references.get(rid)
        if ref is None:
            continue
        text = _e(ref.short or ref.citation)
        url = ref.url()
        title = _e(ref.label())
        items.append(
            f'<a href="{escape(url)}" title="{title}">{text}</a>'
            if url
            else f'<span title="{title}">{text}</span>'
        )
    return '<span class="refs">' + "; ".join(items) + "</span>" if items else ""


def write_html(
    results: Iterable[CaseResult],
    sink: Any,
    pathway: Pathway,
    *,
    explain: bool = False,
    top: int | None = None,
    detail: bool = False,
) -> Iterator[CaseResult]:
    """Write the whole report; yields each result once its section is written."""
    sink.write(_head(pathway))
    count = 0
    for result in results:
        if result.recommendation is not None:
            sink.write(render_case(result, pathway, top=top, explain=explain))
            count += 1
        yield result
    if count == 0:
        sink.write('<p class="muted">No case could be read: see the error lines.</p>\n')
    sink.write(_foot(pathway))


def _head(pathway: Pathway) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>myositis report: {_e(pathway.metadata.title)}</title>\n"
        f"<style>{STYLE}</style>\n</head>\n<body>\n"
        f"<h1>Next-line options for myositis</h1>\n"
        f'<p class="meta">{_e(pathway.metadata.title)} · pathway {_e(pathway.id)} '
        f"{_e(pathway.version)}</p>\n"
    )


def _foot(pathway: Pathway) -> str:
    return (
        "<footer>\n"
        f"<p>myositis {_e(__version__)} · pathway {_e(pathway.id)} {_e(pathway.version)} "
        f"(last reviewed {_e(pathway.metadata.last_reviewed)}) · sha256 "
        f"<code>{_e(pathway.sha256 or 'not recorded')}</code></p>\n"
        f"<p>{_e(pathway.metadata.disclaimer)}</p>\n"
        "</footer>\n</body>\n</html>\n"
    )


def render_case(
    result: CaseResult, pathway: Pathway, *, top: int | None = None, explain: bool = False
) -> str:
    rec = result.recommendation
    assert rec is not None
    out = [
        '<section class="case">',
        f"<h2>{_e(rec.id)} · {_e(subtype_words(rec))} · {_e(refractory_words(rec))}</h2>",
        f'<p class="meta">Source {_e(result.source)}'
        + (f" (document {result.document + 1})" if result.document else "")
        + f" · pathway {_e(rec.pathway_id)} {_e(rec.pathway_version)}</p>",
    ]
    if rec.alerts:
        out.append('<ul class="alerts">')
        for alert in rec.alerts:
            refs = _references(pathway, alert.reference_ids)
            out.append(
                f'<li class="{escape(alert.level)}"><span class="level">{escape(alert.level)}</span>'
                f"{_e(alert.message)} {refs}</li>"
            )
        out.append("</ul>")
    options = rec.options if top is None else rec.options[:top]
    out.append(_options(options, pathway, rec, top))
    if rec.taking:
        out.append('<div class="block"><h3>Taking now</h3><ul>')
        out += [
            f"<li><b>{_e(t.name)}</b>: {_e(t.advice)} — {_e(t.reason)}</li>" for t in rec.taking
        ]
        out.append("</ul></div>")
    if rec.checks:
        out.append('<div class="block"><h3>Before starting, check</h3><table>')
        out.append("<tr><th>Check</th><th>Options it affects</th><th>Why</th></tr>")
        for check in rec.checks:
            reasons = "".join(f"<li>{_e(r)}</li>" for r in check.reasons)
            out.append(
                f"<tr><td>{_e(check.ask)}</td><td>{_e(', '.join(check.names) or '—')}</td>"
                f'<td class="caveats"><ul>{reasons}</ul></td></tr>'
            )
        out.append("</table></div>")
    left = left_out_lines(rec)
    if left:
        out.append('<div class="block"><h3>Left out</h3><ul>')
        out += [f"<li><b>{_e(name)}</b>: {_e(reason)}</li>" for name, reason in left]
        out.append("</ul></div>")
    out.append('<div class="block"><h3>How the pathway was walked</h3>')
    out.append(_walk(pathway.tree, rec, top=True))
    out.append("</div>")
    if explain and rec.trace:
        out.append('<div class="block"><h3>Every step (--explain)</h3><ol class="muted">')
        out += [f"<li>{_e(s.phase)} · {_e(s.subject)}: {_e(s.message)}</li>" for s in rec.trace]
        out.append("</ol></div>")
    out.append(f'<p class="disclaimer">{_e(rec.disclaimer)}</p>')
    out.append("</section>\n")
    return "\n".join(out)


def _options(
    options: tuple[Option, ...], pathway: Pathway, rec: Recommendation, top: int | None
) -> str:
    out = [
        "<h3>Options, ranked</h3>",
        "<table>",
        "<tr><th>#</th><th>Option</th><th>Why</th><th>Caveats</th></tr>",
    ]
    if not options:
        out.append('<tr><td></td><td colspan="3"><i>No option to suggest.</i></td></tr>')
    for option in options:
        reasons = "".join(f"<li>{_e(r)}</li>" for r in option.reasons)
        caveats = "".join(f"<li>{_e(c)}</li>" for c in option.caveats)
        out.append(
            f'<tr><td class="rank">{option.rank}</td>'
            f"<td><b>{_e(option.name)}</b><br>"
            f'<span class="tier {escape(option.tier)}">{escape(option.tier)}</span> · evidence '
            f"{escape(option.evidence)} · score {option.score:g}</td>"
            f"<td><ul>{reasons}</ul>{_references(pathway, option.reference_ids)}</td>"
            f'<td class="caveats"><ul>{caveats}</ul></td></tr>'
        )
    out.append("</table>")
    if top is not None and len(rec.options) > len(options):
        out.append(
            f'<p class="muted">{len(rec.options) - len(options)} more option(s) not shown (--top {top}).</p>'
        )
    return "\n".join(out)


def _walk(node: Node, rec: Recommendation, *, top: bool = False) -> str:
    entered = f"node:{node.id}" in rec.reached
    cls = ' class="entered"' if entered else ""
    label = f"<span>{_e(node.title)}</span>"
    children = "".join(_walk(child, rec) for child in node.children)
    inner = f"<li{cls}>{label}" + (f"<ul>{children}</ul>" if children else "") + "</li>"
    return f'<ul class="walk">{inner}</ul>' if top else inner
