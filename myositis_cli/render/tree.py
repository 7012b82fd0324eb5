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


SHORT_LABEL = 42  # characters of an edge label in a picture; the full condition is in the node


def _label(child: Node, labels: str) -> str:
    if not child.has_condition:
        return "always"
    words = child.when.words()
    if labels == "full" or len(words) <= SHORT_LABEL:
        return words
    cut = words[:SHORT_LABEL].rsplit(" ", 1)[0]
    return cut.rstrip(",;(") + "…"


def _subtree(pathway: Pathway, root: str | None) -> Node:
    if root is None:
        return pathway.tree
    node = pathway.nodes().get(root)
    if node is None:
        from ..errors import UsageError
        from ..problems import did_you_mean

        guess = did_you_mean(root, pathway.nodes())
        raise UsageError(
            f"no node '{root}' in the pathway" + (f" (did you mean {guess}?)" if guess else "")
        )
    return node


def mermaid(
    pathway: Pathway,
    *,
    root: str | None = None,
    labels: str = "short",
    only: set[str] | None = None,
    marks: dict[str, str] | None = None,
) -> str:
    """Mermaid flowchart source: the tree, a subtree, or only the nodes in ``only``.

    ``marks`` maps node ids to a class (added, changed, removed) drawn in colour.
    """
    lines = ["flowchart TD"]
    marks = marks or {}
    for node in _subtree(pathway, root).walk():
        if only is not None and node.id not in only:
            continue
        body = [node.title, *_options(node, pathway)] if only is None else [node.title]
        text = "<br/>".join(_mermaid_text(b) for b in body)
        lines.append(f'    {node.id}["{text}"]')
        for child in node.children:
            if only is not None and child.id not in only:
                continue
            condition = _mermaid_text(_label(child, labels))
            lines.append(f'    {node.id} -->|"{condition}"| {child.id}')
    if marks:
        lines += [
            "    classDef added fill:#e3f4e8,stroke:#1b6e3b,stroke-width:2px",
            "    classDef changed fill:#fbf1dc,stroke:#8a5a00,stroke-width:2px",
            "    classDef removed fill:#fbeeee,stroke:#a11d1d,stroke-dasharray:4 3",
        ]
        for kind in ("added", "changed", "removed"):
            ids = sorted(n for n, k in marks.items() if k == kind)
            if ids:
                lines.append(f"    class {','.join(ids)} {kind}")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return (
        text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("|", "#124;")
    )


def dot(pathway: Pathway, *, root: str | None = None, labels: str = "short") -> str:
    lines = [
        f"digraph {_dot_string(pathway.id)} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in _subtree(pathway, root).walk():
        label = "\\n".join(_dot_escape(line) for line in [node.title, *_options(node, pathway)])
        tooltip = _dot_escape(node.when.words() if node.has_condition else "always")
        lines.append(f'  {_dot_string(node.id)} [label="{label}", tooltip="{tooltip}"];')
        for child in node.children:
            lines.append(
                f"  {_dot_string(node.id)} -> {_dot_string(child.id)} "
                f'[label="{_dot_escape(_label(child, labels))}"];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _dot_string(text: str) -> str:
    return f'"{_dot_escape(text)}"'
