"""Renderers are pure functions of results: checked with an injected Console and snapshots."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

from helpers import EXAMPLES, FIXTURES, PATHWAY_FILE, repo_pathway
from rich.console import Console
from syrupy.assertion import SnapshotAssertion

import myositis_cli
from myositis_cli import loading
from myositis_cli.batch import Source, expand, run
from myositis_cli.pathway import compile_pathway, read_pathway_document
from myositis_cli.pipeline import Pipeline
from myositis_cli.render import json as json_render
from myositis_cli.render.markdown import write_markdown
from myositis_cli.render.table import write_table
from myositis_cli.results import record

EXAMPLE = EXAMPLES / "refractory-dm-skin.yaml"


def results(path: Path = EXAMPLE, pathway=None, trace: bool = False):  # type: ignore[no-untyped-def]
    runner = Pipeline(pathway or repo_pathway(), loading.DEFAULT_LIMITS, trace=trace)
    if path == EXAMPLE:  # a label that does not depend on where the checkout is
        return list(run(runner, [Source("examples/refractory-dm-skin.yaml", str(EXAMPLE))]))
    return list(run(runner, expand([str(path)])))


def table_text(res, width: int = 240, **kw) -> str:  # type: ignore[no-untyped-def]
    console = Console(file=io.StringIO(), width=width, color_system=None, markup=False, emoji=False)
    list(write_table(res, console, **kw))
    return console.file.getvalue()  # type: ignore[attr-defined]


def _in_order(text: str, parts: tuple[str, ...]) -> None:
    positions = [text.index(s) for s in parts]
    assert positions == sorted(positions), parts


def test_compact_table_has_every_section_in_order() -> None:
    text = table_text(results(), width=80)
    _in_order(
        text,
        (
            "case-017 · dermatomyositis · refractory · pathway 1.2.1",
            "WARNING",
            "Options, ranked",
            "IVIg",
            "Taking now",
            "Before starting, check",
            "Left out",
            "Decision support for clinicians",
        ),
    )
    assert "Not recorded" not in text and "\x1b[" not in text
    assert "INFO" not in text and "NOTE" in text  # notices folded into one line


def test_detail_table_has_everything_in_order() -> None:
    text = table_text(results(), detail=True)
    _in_order(
        text,
        (
            "case-017",
            "meets the refractory definition",
            "WARNING",
            "INFO",
            "Options, ranked",
            "Caveats",
            "Intravenous immunoglobulin",
            "Taking now",
            "Before starting, check",
            "Left out",
            "Not recorded",
            "Decision support for clinicians",
        ),
    )


def _cases() -> list[tuple[str, int]]:
    """(example file, case index) for every case of every bundled example."""
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for i, _ in enumerate(r for r in results(path) if r.recommendation is not None):
            found.append((path.name, i))
    return found


def test_every_bundled_example_fits_one_screen() -> None:
    counts = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for result in results(path):
            rec = result.recommendation
            assert rec is not None
            text = table_text([result], width=80)
            critical = any(a.level == "critical" for a in rec.alerts)
            counts[(path.name, rec.id)] = lines = text.count("\n")
            assert lines <= (50 if critical else 40), (path.name, rec.id, lines)
            assert all(len(line) <= 80 for line in text.splitlines())
    assert len(counts) >= 9


def test_table_prints_data_literally_never_as_markup(tmp_path: Path) -> None:
    data, chunk = read_pathway_document(str(FIXTURES / "pathways" / "mini.yaml"))
    data["therapies"]["methotrexate"]["name"] = "[b]MTX[/] :x:"
    data["tree"]["children"][0]["options"][0]["reason"] = "first line [/] [red]x"
    pathway, problems = compile_pathway(data, "mini", chunk)
    assert pathway is not None and not problems
    case = tmp_path / "c.yaml"
    case.write_text("id: c\nage: 40\ndiagnosis: {subtype: polymyositis}\n")
    text = table_text(results(case, pathway))
    assert "[b]MTX[/] :x:" in text and "first line [/] [red]x" in text


def test_top_and_explain() -> None:
    text = table_text(results(trace=True), top=2, explain=True)
    assert "more option(s) not shown (--top 2)" in text
    assert "How the pathway was walked" in text and "entered 'Refractory myositis'" in text


def test_json_is_one_list_and_byte_identical() -> None:
    out1, out2 = io.StringIO(), io.StringIO()
    list(json_render.write_json(results(EXAMPLES / "clinic-list.yaml"), out1, repo_pathway()))
    list(json_render.write_json(results(EXAMPLES / "clinic-list.yaml"), out2, repo_pathway()))
    assert out1.getvalue() == out2.getvalue()
    records = json.loads(out1.getvalue())
    assert [r["id"] for r in records] == ["clinic-ibm", "clinic-jdm-new", "clinic-dm-new-adult"]
    empty = io.StringIO()
    list(json_render.write_json([], empty, repo_pathway()))
    assert json.loads(empty.getvalue()) == []


def test_record_keys_are_the_contract() -> None:
    rec = record(results()[0], repo_pathway())
    assert list(rec)[:4] == ["source", "document", "id", "status"]
    for key in ("pathway", "refractory", "alerts", "options", "excluded", "missing", "disclaimer"):
        assert key in rec
    assert rec["pathway"] == {
        "id": "refractory-myositis",
        "version": repo_pathway().version,
        "sha256": hashlib.sha256(PATHWAY_FILE.read_bytes()).hexdigest(),
    }
    assert rec["tool"] == {"name": "myositis", "version": myositis_cli.__version__}
    option = rec["options"][0]
    for key in (
        "rank",
        "therapy",
        "therapies",
        "name",
        "tier",
        "evidence",
        "score",
        "reasons",
        "caveats",
        "references",
    ):
        assert key in option
    assert set(rec["alerts"][0]) >= {"level", "code", "message"}
    assert set(rec["excluded"][0]) >= {"therapy", "reason"}


def test_jsonl_one_compact_line_per_record() -> None:
    out = io.StringIO()
    list(json_render.write_jsonl(results(EXAMPLES / "clinic-list.yaml"), out, repo_pathway()))
    lines = out.getvalue().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["status"] == "ok" for line in lines)
    assert ", " not in lines[0].split('"disclaimer"')[0][:20]


def test_markdown_escapes_table_cells(tmp_path: Path) -> None:
    data, chunk = read_pathway_document(str(FIXTURES / "pathways" / "mini.yaml"))
    data["tree"]["children"][0]["options"][0]["reason"] = "a | b *c*"
    pathway, _ = compile_pathway(data, "mini", chunk)
    case = tmp_path / "c.yaml"
    case.write_text("id: c\nage: 40\ndiagnosis: {subtype: polymyositis}\n")
    out = io.StringIO()
    list(write_markdown(results(case, pathway), out))
    assert "a \\| b \\*c\\*" in out.getvalue()


def test_markdown_snapshot(snapshot: SnapshotAssertion) -> None:
    out = io.StringIO()
    list(write_markdown(results(), out))
    assert out.getvalue() == snapshot


def test_table_snapshot_80_columns(snapshot: SnapshotAssertion) -> None:
    assert table_text(results(), width=80) == snapshot


def test_table_snapshot_120_columns(snapshot: SnapshotAssertion) -> None:
    assert table_text(results(), width=120) == snapshot


def test_table_detail_snapshot(snapshot: SnapshotAssertion) -> None:
    assert table_text(results(), width=120, detail=True) == snapshot


def test_markdown_note_is_short_and_plain() -> None:
    out = io.StringIO()
    list(write_markdown(results(), out))
    note = out.getvalue()
    assert len(note.encode()) <= 2048, len(note.encode())
    assert "<" not in note.replace("\\<", "")  # no HTML tags
    for part in (
        "## case-017",
        "**Options, ranked**",
        "**Taking now:**",
        "**Before starting, check:**",
        "**Left out:**",
        "_Decision support",
    ):
        assert part in note


def test_markdown_detail_snapshot(snapshot: SnapshotAssertion) -> None:
    out = io.StringIO()
    list(write_markdown(results(), out, detail=True))
    assert out.getvalue() == snapshot
    assert "<br>" not in out.getvalue()


def test_why_snapshot(snapshot: SnapshotAssertion) -> None:
    from myositis_cli.profile import build_profile
    from myositis_cli.why import explain

    pathway = repo_pathway()
    profile = build_profile(loading_profile(), pathway)
    answers = [
        explain(pathway, profile, name)._asdict()
        for name in ("IVIG", "methotrexate", "cyclophosphamide", "glucocorticoids", "ritux")
    ]
    assert answers == snapshot


def loading_profile():  # type: ignore[no-untyped-def]
    import yaml

    return yaml.safe_load(EXAMPLE.read_text())
