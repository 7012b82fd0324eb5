"""``myositis therapies``: the catalogue, with evidence, references, caveats and safety rules."""

from __future__ import annotations

import json
from typing import Any, TextIO

from rich import box
from rich.table import Table
from rich.text import Text

from ..pathway import Pathway


def entries(pathway: Pathway) -> list[dict[str, Any]]:
    out = []
    for t in pathway.therapies.values():
        out.append(
            {
                "therapy": t.id,
                "name": t.name,
                "class": t.klass,
                "evidence": t.evidence,
                "evidence_note": t.evidence_note,
                "evidence_in_context": [
                    {
                        "when": c.when.words(),
                        "evidence": c.evidence,
                        "references": [pathway.reference_label(r) for r in c.references],
                    }
                    for c in t.evidence_in_context
                ],
                "tier": t.tier or ("discouraged" if t.id in pathway.always_discouraged else None),
                "aliases": list(t.aliases),
                "references": [pathway.reference_label(r) for r in t.references],
                "caveats": [c.text for c in t.caveats],
                "contraindications": [
                    {"id": r.id, "when": r.when.words(), "reason": r.text}
                    for r in t.contraindications
                ],
                "cautions": [
                    {"id": r.id, "when": r.when.words(), "caveat": r.text, "penalty": r.penalty}
                    for r in t.cautions
                ],
            }
        )
    return out


def write_json(pathway: Pathway, out: TextIO) -> None:
    data = {
        "pathway": {"id": pathway.id, "version": pathway.version},
        "therapies": entries(pathway),
    }
    out.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def write_table(pathway: Pathway, console: Any) -> None:
    table = Table(
        title=f"Therapy catalogue ({pathway.id} {pathway.version})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_lines=True,
        expand=True,
    )
    table.add_column("Therapy", ratio=2)
    table.add_column("Ev.", justify="center", no_wrap=True)
    table.add_column("Evidence and references", ratio=4)
    table.add_column("Standing caveats", ratio=4)
    table.add_column("Contraindications", ratio=3)
    for e in entries(pathway):
        name = Text(e["name"], style="bold")
        name.append(f"\n{e['therapy']} · {e['class']}", style="dim")
        if e["tier"]:
            name.append(f"\nalways {e['tier']}", style="red")
        evidence = Text(e["evidence_note"] + ("\n" if e["evidence_note"] else ""))
        for c in e["evidence_in_context"]:
            evidence.append(f"{c['evidence']} when {c['when']}\n", style="cyan")
        evidence.append("\n".join(f"• {r}" for r in e["references"]), style="dim")
        caveats = Text("\n".join(f"• {c}" for c in e["caveats"]))
        contra = Text("\n".join(f"• {c['reason']}" for c in e["contraindications"]) or "—")
        table.add_row(name, e["evidence"], evidence, caveats, contra)
    console.print(table)
    console.print(Text(pathway.metadata.disclaimer, style="dim italic"))


def _cell(items: Any) -> str:
    return "<br>".join(str(i).replace("|", "\\|") for i in items)


def write_markdown(pathway: Pathway, out: TextIO) -> None:
    lines = [
        f"## Therapy catalogue ({pathway.id} {pathway.version})",
        "",
        "| Therapy | Evidence | Notes | Standing caveats | Contraindications |",
        "|---|:---:|---|---|---|",
    ]
    for e in entries(pathway):
        name = f"**{e['name']}** (`{e['therapy']}`)" + (
            f"<br>always {e['tier']}" if e["tier"] else ""
        )
        notes = _cell(
            [
                e["evidence_note"],
                *[f"{c['evidence']} when {c['when']}" for c in e["evidence_in_context"]],
            ]
        )
        lines.append(
            f"| {name} | {e['evidence']} | {notes} | {_cell(e['caveats'])} | "
            f"{_cell(c['reason'] for c in e['contraindications']) or '—'} |"
        )
    lines += ["", f"_{pathway.metadata.disclaimer}_", ""]
    out.write("\n".join(lines))
