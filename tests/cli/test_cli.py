"""Every command as a user meets it: options, formats, exit codes (in-process runner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from helpers import CASES_DIR, EXAMPLES, FIXTURES, PATHWAY_FILE
from typer.testing import CliRunner

from myositis_cli import __version__, resources
from myositis_cli.cli import app
from myositis_cli.pathway import profile_validator

EXAMPLE = str(EXAMPLES / "refractory-dm-skin.yaml")
MINI = str(FIXTURES / "pathways" / "mini.yaml")
MINI_CASES = str(FIXTURES / "pathways" / "mini-cases")


def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        app, list(args), env={"NO_COLOR": "1", "GITHUB_ACTIONS": "", **(env or {})}, input=input
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_version_names_tool_and_pathway() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"myositis {__version__} (pathway refractory-myositis 1.2.1)"


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["suggest"],
        ["validate"],
        ["therapies"],
        ["schema"],
        ["init"],
        ["pathway"],
        ["pathway", "check"],
        ["pathway", "test"],
        ["pathway", "diff"],
        ["pathway", "show"],
        ["pathway", "export"],
    ],
)
def test_help_for_every_command(command: list[str]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.stdout


def test_suggest_table_is_the_default() -> None:
    result = invoke("suggest", EXAMPLE)
    assert result.exit_code == 0
    assert "case-017" in result.stdout and "Options, ranked" in result.stdout
    assert "Decision support for clinicians" in result.stdout
    assert "\x1b[" not in result.stdout
    assert result.stderr == ""  # one good case: no summary line


def test_suggest_json_jsonl_markdown() -> None:
    records = json.loads(invoke("suggest", str(EXAMPLES), "--format", "json").stdout)
    assert len(records) == 9 and all(r["status"] == "ok" for r in records)
    lines = invoke("suggest", str(EXAMPLES), "-f", "jsonl").stdout.splitlines()
    assert [json.loads(line)["id"] for line in lines] == [r["id"] for r in records]
    markdown = invoke("suggest", EXAMPLE, "-f", "markdown").stdout
    assert markdown.startswith("## case-017 — dermatomyositis — meets the refractory definition")


def test_suggest_top_output_and_explain(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = invoke("suggest", EXAMPLE, "-f", "json", "--top", "2", "--explain", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    (record,) = json.loads(out.read_text())
    assert [o["rank"] for o in record["options"]] == [1, 2]
    assert record["trace"] and {s["phase"] for s in record["trace"]} >= {"walk", "option", "rank"}
    assert "How the pathway was walked" in invoke("suggest", EXAMPLE, "--explain").stdout


def test_suggest_is_byte_identical_across_runs() -> None:
    first = invoke("suggest", str(EXAMPLES), "-f", "json").stdout
    assert first == invoke("suggest", str(EXAMPLES), "-f", "json").stdout


def test_suggest_stdin() -> None:
    result = invoke("suggest", "-", "-f", "jsonl", input=Path(EXAMPLE).read_text())
    assert json.loads(result.stdout)["source"] == "<stdin>"


def test_suggest_with_another_pathway(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(
        "id: m\nage: 40\ndiagnosis: {subtype: polymyositis}\nhistory: [{therapy: MTX}]\n"
    )
    result = invoke("suggest", str(case), "--pathway", MINI, "-f", "json")
    import hashlib

    sha = hashlib.sha256(Path(MINI).read_bytes()).hexdigest()
    assert json.loads(result.stdout)[0]["pathway"] == {
        "id": "mini",
        "version": "0.1.0",
        "sha256": sha,
    }
    # the example names therapies the mini catalogue does not know
    unknown = invoke("suggest", EXAMPLE, "--pathway", MINI)
    assert unknown.exit_code == 1 and "unknown therapy 'azathioprine'" in unknown.stderr


def test_suggest_usage_errors() -> None:
    assert invoke("suggest").exit_code == 2
    assert invoke("suggest", EXAMPLE, "--format", "xml").exit_code == 2
    assert invoke("suggest", EXAMPLE, "--top", "0").exit_code == 2
    missing = invoke("suggest", EXAMPLE, "--pathway", "nope.yaml")
    assert missing.exit_code == 2 and "nope.yaml: no such file" in missing.stderr


def test_suggest_jobs_gives_the_same_records() -> None:
    serial = invoke("suggest", str(EXAMPLES), str(CASES_DIR), "-f", "jsonl", "--jobs", "1")
    parallel = invoke("suggest", str(EXAMPLES), str(CASES_DIR), "-f", "jsonl", "--jobs", "2")
    assert serial.exit_code == parallel.exit_code == 1  # golden case files are not profiles
    assert serial.stdout == parallel.stdout


def test_validate_formats_and_exit_codes() -> None:
    ok = invoke("validate", str(EXAMPLES))
    assert (
        ok.exit_code == 0 and ok.stdout == "" and ok.stderr.strip() == "9 documents: 9 ok, 0 failed"
    )
    bad = str(Path(__file__).parent.parent / "hostile" / "unknown-therapy.yaml")
    text = invoke("validate", bad)
    assert text.exit_code == 1
    assert text.stdout.strip().endswith(
        "/history/1/therapy: unknown therapy 'ritux' (did you mean rituximab?)"
    )
    # the report is the problem lines: said once, not again on stderr (only the count)
    assert text.stderr.strip() == "1 document: 0 ok, 1 failed"
    records = json.loads(invoke("validate", bad, EXAMPLE, "-f", "json").stdout)
    assert [r["status"] for r in records] == ["error", "ok"]
    github = invoke("validate", bad, env={"GITHUB_ACTIONS": "true"}).stdout
    assert github.startswith(
        f"::error file={bad},line=9,col=14,title=myositis validate (semantic)::"
    )


def test_therapies_catalogue() -> None:
    data = json.loads(invoke("therapies", "-f", "json").stdout)
    ids = [t["therapy"] for t in data["therapies"]]
    assert len(ids) == 15 and ids[0] == "glucocorticoids" and ids[-1] == "nintedanib"
    anti_tnf = next(t for t in data["therapies"] if t["therapy"] == "anti_tnf")
    assert anti_tnf["tier"] == "discouraged" and anti_tnf["evidence"] == "D"
    assert "Rituximab" in invoke("therapies").stdout
    assert "| **Rituximab** (`rituximab`)" in invoke("therapies", "-f", "markdown").stdout


def test_schema_prints_the_shipped_schemas() -> None:
    for name in ("profile", "pathway"):
        assert json.loads(invoke("schema", name).stdout) == resources.schema(name)
    assert invoke("schema", "nope").exit_code == 2


def test_init_writes_a_template_that_validates(tmp_path: Path) -> None:
    assert profile_validator().is_valid(yaml.safe_load(invoke("init").stdout))
    target = tmp_path / "new.yaml"
    assert invoke("init", str(target)).exit_code == 0
    again = invoke("init", str(target))
    assert again.exit_code == 2 and "already exists (use --force to overwrite)" in again.stderr
    assert invoke("init", str(target), "--force").exit_code == 0
    assert invoke("validate", str(target)).exit_code == 0


def test_pathway_check() -> None:
    ok = invoke("pathway", "check")
    assert ok.exit_code == 0 and "no findings" in ok.stderr
    assert invoke("pathway", "check", str(PATHWAY_FILE), MINI, "--cases", MINI_CASES).exit_code == 0
    assert invoke("pathway", "check", "missing.yaml").exit_code == 2


def test_pathway_check_formats(tmp_path: Path) -> None:
    broken = tmp_path / "p.yaml"
    broken.write_text(
        Path(MINI).read_text().replace("[trial]\n    caveats: []", "[trail]\n    caveats: []")
    )
    text = invoke("pathway", "check", str(broken))
    assert text.exit_code == 1
    assert (
        f"{broken}:63:18: error: /therapies/rituximab/references/0: reference 'trail'"
        in text.stdout
    )
    assert "[unknown-reference]" in text.stdout
    findings = json.loads(invoke("pathway", "check", str(broken), "-f", "json").stdout)
    assert findings[0]["rule"] == "unknown-reference" and findings[0]["line"] == 63
    github = invoke("pathway", "check", str(broken), env={"GITHUB_ACTIONS": "true"}).stdout
    banner, annotation = github.splitlines()[:2]
    assert banner.startswith(f"pathway check: {broken} (sha256 ")
    assert annotation.startswith(
        f"::error file={broken},line=63,col=18,title=myositis pathway check%3A unknown-reference::"
    )


def test_pathway_test() -> None:
    result = invoke("pathway", "test")
    assert result.exit_code == 0 and "coverage of tree nodes: 100.0%" in result.stdout
    mini = invoke(
        "pathway", "test", "--pathway", MINI, "--cases", MINI_CASES, "--min-coverage", "100"
    )
    assert mini.exit_code == 0
    subset = invoke("pathway", "test", "-k", "safety-pregnancy-unknown", "-f", "json")
    assert json.loads(subset.stdout)["total"] == 1
    assert invoke("pathway", "test", "--cases", "no-such-dir").exit_code == 2


def test_pathway_test_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(
        "description: d\nprofile: {id: x, age: 40, diagnosis: {subtype: polymyositis}}\nexpect: {top: rituximab}\n"
    )
    result = invoke("pathway", "test", "--pathway", MINI, "--cases", str(tmp_path))
    assert result.exit_code == 1
    assert (
        "FAIL  x: d" in result.stdout
        and "top option: expected rituximab, got methotrexate" in result.stdout
    )
    low = invoke(
        "pathway", "test", "--pathway", MINI, "--cases", MINI_CASES, "--min-coverage", "100.0"
    )
    assert low.exit_code == 0


def test_pathway_diff(tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    edited = Path(MINI).read_text().replace("  preferred_at: 5", "  preferred_at: 50")
    new.write_text(edited.replace("version: 0.1.0", "version: 0.2.0"))
    same = invoke("pathway", "diff", MINI, MINI, "--cases", MINI_CASES)
    assert same.exit_code == 0 and "no case changes its answer" in same.stdout
    changed = invoke("pathway", "diff", MINI, str(new), "--cases", MINI_CASES)
    assert changed.exit_code == 0, changed.stdout
    assert "ranking.preferred_at changed" in changed.stdout  # the edit, named
    assert "goes from preferred to consider in" in changed.stdout  # its consequence, grouped
    assert "2 case(s): 2 changed, 0 unchanged" in changed.stderr
    unbumped = tmp_path / "unbumped.yaml"
    unbumped.write_text(edited)
    assert invoke("pathway", "diff", MINI, str(unbumped), "--cases", MINI_CASES).exit_code == 1
    assert (
        invoke(
            "pathway", "diff", MINI, str(new), "--cases", MINI_CASES, "--fail-on-change"
        ).exit_code
        == 1
    )
    markdown = invoke(
        "pathway", "diff", MINI, str(new), "--cases", MINI_CASES, "-f", "markdown"
    ).stdout
    assert markdown.startswith("### Pathway impact") and "#### The edit" in markdown
    data = json.loads(
        invoke("pathway", "diff", MINI, str(new), "--cases", MINI_CASES, "-f", "json").stdout
    )
    assert data["summary"]["changed"] == 2 and data["new"]["version"] == "0.2.0"


def test_pathway_show_and_export() -> None:
    shown = invoke("pathway", "show")
    assert (
        shown.exit_code == 0
        and "when refractory myositis and not inclusion body myositis" in shown.stdout
    )
    mermaid = invoke("pathway", "export", "--format", "mermaid").stdout
    assert mermaid.startswith("flowchart TD\n") and "root -->|" in mermaid
    dot = invoke("pathway", "export", "--format", "dot").stdout
    assert dot.startswith('digraph "refractory-myositis" {') and dot.rstrip().endswith("}")
