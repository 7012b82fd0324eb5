"""``pathway show`` (a Rich tree) and ``pathway export`` (Mermaid, Graphviz dot)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from rich.tree import Tree

from ..pathway import Node, Pathway


def write_tree(pathway: Pathway, console: Any) -> None:
    meta = pathway.metadata
    root = Tree(
        Text.assemble((meta.title, "bold"), f"  ({pathway.id} {pathway.version}, {meta.status})")
    )
    _add(root, pathway.tree, pathway, top=True)
    console.print(root)


def _add(parent: Tree, node: Node, pathway: Pathway, *, top: bool = False) -> None:
    label = Text.assemble((node.title, "bold"), (f"  [{node.id}]", "dim"))
    if node.has_condition:
        label.append("\n")
        label.append("when " + node.when.words(), style="cyan")
    branch = parent if top else parent.add(label)
    if top:
        branch.label = Text.assemble(
            branch.label if isinstance(branch.label, Text) else Text(str(branch.label))
        )
    for spec in node.options:
        name = " + ".join(pathway.name_of(t) for t in spec.therapies)
        text = Text.assemble(("+", "green"), f"{spec.weight:g} ", (name, "bold"))
        if spec.evidence:
            text.append(f"  evidence {spec.evidence}", style="dim")
        if spec.max_tier:
            text.append(
                f"  at most {spec.max_tier}",
                style="red" if spec.max_tier == "discouraged" else "yellow",
            )
        branch.add(text)
    for cap in node.caps:
        which = "all options" if cap.therapies is None else ", ".join(sorted(cap.therapies))
        branch.add(Text(f"caps {which} at {cap.max_tier}: {cap.caveat}", style="red"))
    for child in node.children:
        _add(branch, child, pathway)


def _options(node: Node, pathway: Pathway) -> list[str]:
    return [
        f"+{spec.weight:g} "
        + " + ".join(pathway.name_of(t) for t in spec.therapies)
        + (f" (≤ {spec.max_tier})" if spec.max_tier else "")
        for spec in node.options
    ]


def mermaid(pathway: Pathway) -> str:
    lines = ["flowchart TD"]
    for node in pathway.tree.walk():
        body = [node.title, *_options(node, pathway)]
        text = "<br/>".join(_mermaid_text(b) for b in body)
        lines.append(f'    {node.id}["{text}"]')
        for child in node.children:
            condition = _mermaid_text(child.when.words()) if child.has_condition else "always"
            lines.append(f'    {node.id} -->|"{condition}"| {child.id}')
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return (
        text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("|", "#124;")
    )


def dot(pathway: Pathway) -> str:
    lines = [
        f"digraph {_dot_string(pathway.id)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
    ]
    for node in pathway.tree.walk():
        label = "\\n".join(_dot_escape(line) for line in [node.title, *_options(node, pathway)])
        lines.append(f'  {_dot_string(node.id)} [label="{label}"];')
        for child in node.children:
            condition = child.when.words() if child.has_condition else "always"
            lines.append(
                f'  {_dot_string(node.id)} -> {_dot_string(child.id)} [label="{_dot_escape(condition)}"];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_string(text: str) -> str:
    return f'"{_dot_escape(text)}"'
