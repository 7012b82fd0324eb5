"""``myositis pathway doc``: the pathway as a document for reviewers who do not read YAML.

One model of the document (blocks of headings, paragraphs and lists, each
item with the id a reviewer points at), rendered as Markdown or as one
self-contained HTML page. Conditions are in words, therapies by name,
references as links; nodes no profile can enter are marked.
"""

from __future__ import annotations

from html import escape
from typing import NamedTuple

from ..pathway import Node, Pathway, Therapy


class Block(NamedTuple):
    kind: str  # h1 | h2 | h3 | p | li | meta
    text: str
    anchor: str = ""  # the id, for links and pointing
    refs: tuple[str, ...] = ()  # reference ids cited


def blocks(pathway: Pathway, unreachable: set[str]) -> list[Block]:
    meta = pathway.metadata
    out = [
        Block("h1", meta.title, pathway.id),
        Block(
            "meta",
            f"Pathway {pathway.id}, version {meta.version} ({meta.status}); last reviewed "
            f"{meta.last_reviewed}"
            + (
                f", review every {meta.review_interval_days} days"
                if meta.review_interval_days
                else ""
            )
            + f"; sha256 {pathway.sha256 or 'not recorded'}.",
        ),
        Block("p", meta.disclaimer),
    ]
    if meta.notes:
        out.append(Block("p", meta.notes))
    out.append(Block("h2", "Sources", "sources"))
    out += [Block("li", pathway.references[s].label(), s, (s,)) for s in meta.sources]
    out.append(Block("h2", "The decision tree", "tree"))
    out.append(
        Block(
            "p",
            "Every node whose condition holds is entered, and its options add up: an option's "
            f"score is the weights of the nodes that suggest it, plus its evidence bonus "
            f"({', '.join(f'{k} {v:g}' for k, v in pathway.evidence_bonus.items())}), minus "
            f"caution penalties; it is preferred from a score of {pathway.preferred_at:g}.",
        )
    )
    out += _node(pathway, pathway.tree, [], unreachable)
    out.append(Block("h2", "Therapies", "therapies"))
    for therapy in pathway.therapies.values():
        out += _therapy(pathway, therapy)
    out.append(Block("h2", "Alerts", "alerts"))
    for rule in pathway.alerts:
        out.append(Block("h3", f"{rule.code} ({rule.level})", f"alert-{rule.code}"))
        out.append(Block("p", f"Raised when {rule.when.words()}."))
        out.append(Block("p", rule.message, refs=rule.references))
        out += [Block("li", f"and when {when.words()}: {text}") for when, text in rule.details]
    out.append(Block("h2", "Facts", "facts"))
    out += [
        Block("li", f"{fact.title} ({name}): {fact.when.words()}", f"fact-{name}")
        for name, fact in pathway.facts.items()
    ]
    if pathway.checks:
        out.append(Block("h2", "Checks before starting", "checks"))
        out += [
            Block("li", f"{spec.ask} ({spec.pointer})", f"check-{spec.id}", spec.references)
            for spec in sorted(pathway.checks.values(), key=lambda c: c.order)
        ]
    out.append(Block("h2", "References", "references"))
    out += [Block("li", ref.label(), rid, (rid,)) for rid, ref in pathway.references.items()]
    return out


def _node(pathway: Pathway, node: Node, path: list[str], unreachable: set[str]) -> list[Block]:
    trail = " › ".join([*path, node.title])
    mark = " (unreachable: no profile can enter this node)" if node.id in unreachable else ""
    out = [Block("h3", f"{trail}{mark}", f"node-{node.id}")]
    out.append(
        Block(
            "p", f"Entered when {node.when.words()}." if node.has_condition else "Always entered."
        )
    )
    for spec in node.options:
        name = " + ".join(pathway.name_of(t) for t in spec.therapies)
        bits = [f"weight {spec.weight:g}"]
        if spec.evidence:
            bits.append(f"evidence {spec.evidence}")
        if spec.max_tier:
            bits.append(f"at most {spec.max_tier}")
        text = f"{name} ({', '.join(bits)}): {spec.reason}"
        out.append(Block("li", text, f"node-{node.id}/{spec.key}", spec.references))
        out += [Block("li", f"  for {when.words()}: {reason}") for when, reason in spec.reasons_for]
    for cap in node.caps:
        which = "every option" if cap.therapies is None else ", ".join(sorted(cap.therapies))
        out.append(
            Block("li", f"caps {which} at {cap.max_tier}: {cap.caveat}", refs=cap.references)
        )
    for child in node.children:
        out += _node(pathway, child, [*path, node.title], unreachable)
    return out


def _therapy(pathway: Pathway, t: Therapy) -> list[Block]:
    out = [Block("h3", f"{t.name} ({t.id})", f"therapy-{t.id}")]
    facts = [f"evidence {t.evidence}", f"class {t.klass}"]
    if t.tier:
        facts.append(f"always {t.tier}")
    if t.adequate_months:
        facts.append(f"adequate trial {round(t.adequate_months, 1):g} months")
    if t.aliases:
        facts.append("also written " + ", ".join(t.aliases))
    out.append(Block("p", "; ".join(facts) + ".", refs=t.references))
    if t.evidence_note:
        out.append(Block("p", t.evidence_note))
    for caveat in t.caveats:
        out.append(
            Block("li", f"Caveat: {caveat.text}", f"{t.id}.{caveat.code}", caveat.references)
        )
    for rule in t.contraindications:
        out.append(
            Block(
                "li",
                f"Contraindication, when {rule.when.words()}: {rule.text}",
                rule.key,
                rule.references,
            )
        )
    for rule in t.cautions:
        cap = f", at most {rule.max_tier}" if rule.max_tier else ""
        out.append(
            Block(
                "li",
                f"Caution (-{rule.penalty:g}{cap}), when {rule.when.words()}: {rule.text}",
                rule.key,
                rule.references,
            )
        )
    return out


# ---------------------------------------------------------------------------- markdown


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def markdown(pathway: Pathway, unreachable: set[str]) -> str:
    lines: list[str] = []
    short = pathway.short_labels
    for b in blocks(pathway, unreachable):
        ident = f" `[{b.anchor}]`" if b.anchor and b.kind in ("li", "h3") else ""
        cited = b.refs and b.anchor not in b.refs
        cites = f" — {', '.join(short[r] for r in b.refs)}" if cited else ""
        if b.kind == "h1":
            lines += [f"# {_md(b.text)}", ""]
        elif b.kind == "h2":
            lines += ["", f"## {_md(b.text)}", ""]
        elif b.kind == "h3":
            lines += ["", f"### {_md(b.text)}{ident}", ""]
        elif b.kind in ("p", "meta"):
            lines += [_md(b.text) + cites, ""]
        else:
            indent = "  " if b.text.startswith("  ") else ""
            lines.append(f"{indent}- {_md(b.text.strip())}{ident}{cites}")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


# ---------------------------------------------------------------------------- html

STYLE = """
body { font: 15px/1.5 -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
  color: #1d2430; margin: 0 auto; max-width: 60rem; padding: 1.5rem; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.2rem; border-bottom: 2px solid #1d2430; margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1.3rem 0 .3rem; }
.id { font: .8rem ui-monospace, SFMono-Regular, Menlo, monospace; color: #5b6472; margin-left: .4rem; }
.meta, .refs { color: #5b6472; font-size: .9rem; } a { color: #22577a; }
.unreachable { color: #a11d1d; }
ul { margin: .2rem 0 .6rem; padding-left: 1.3rem; } li { margin: .15rem 0; }
@media print { body { max-width: none; padding: 0; font-size: 11pt; } h3 { break-after: avoid; } }
"""


def html(pathway: Pathway, unreachable: set[str]) -> str:
    def link(rid: str) -> str:
        ref = pathway.references[rid]
        url = ref.url()
        label = escape(pathway.short_labels[rid])
        return f'<a href="#{escape(rid)}">{label}</a>' + (
            f' (<a href="{escape(url)}">link</a>)' if url else ""
        )

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(pathway.metadata.title)} {escape(pathway.version)}</title>",
        f"<style>{STYLE}</style></head><body>",
    ]
    open_list = False
    for b in blocks(pathway, unreachable):
        if b.kind != "li" and open_list:
            parts.append("</ul>")
            open_list = False
        anchor = f' id="{escape(b.anchor)}"' if b.anchor else ""
        ident = f'<span class="id">{escape(b.anchor)}</span>' if b.anchor else ""
        refs = (
            '<span class="refs"> — ' + "; ".join(link(r) for r in b.refs) + "</span>"
            if b.refs and b.anchor not in b.refs
            else ""
        )
        text = escape(b.text.strip())
        if b.kind in ("h1", "h2", "h3"):
            cls = ' class="unreachable"' if "(unreachable" in b.text else ""
            parts.append(
                f"<{b.kind}{anchor}{cls}>{text}{ident if b.kind == 'h3' else ''}</{b.kind}>"
            )
        elif b.kind in ("p", "meta"):
            cls = ' class="meta"' if b.kind == "meta" else ""
            parts.append(f"<p{cls}>{text}{refs}</p>")
        else:
            if not open_list:
                parts.append("<ul>")
                open_list = True
            url = pathway.references[b.anchor].url() if b.anchor in pathway.references else ""
            if url:
                text += f' (<a href="{escape(url)}">{escape(url)}</a>)'
            parts.append(f"<li{anchor}>{text}{ident}{refs}</li>")
    if open_list:
        parts.append("</ul>")
    parts.append("</body></html>\n")
    return "\n".join(parts)
