"""The committee's review, through the installed script in a scratch checkout: never a false
green, severities, the edit named in the diff, golden upkeep, the pathway as a document."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import REPO, SCRIPT

from myositis_cli import lint

PATHWAY = "pathways/refractory-myositis.yaml"
IVIG_WEIGHT = '            - therapy: ivig\n              weight: 5\n              reason: "Refractory dermatomyositis: IVIg'
UNREACHABLE = """        - id: never_entered
          title: A node no profile can enter
          when:
            all:
              - {field: age, less_than: 10}
              - {field: age, more_than: 20}
          options:
            - therapy: rituximab
              weight: 1
              reason: "Never offered"
              references: [sp0173]
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A scratch repository holding a copy of the pathway, its table and golden cases."""
    shutil.copytree(REPO / "pathways", tmp_path / "pathways")
    return tmp_path


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    merged = {
        k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY")
    }
    return subprocess.run(
        [SCRIPT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**merged, **(env or {})},
        timeout=300,
    )


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def edit(checkout: Path, old: str, new: str) -> None:
    path = checkout / PATHWAY
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_no_argument_check_and_test_see_the_edited_checkout_not_the_installed_copy(
    checkout: Path,
) -> None:
    edit(
        checkout,
        "        - id: refractory_dm_muscle\n",
        UNREACHABLE + "        - id: refractory_dm_muscle\n",
    )
    edit(checkout, IVIG_WEIGHT, IVIG_WEIGHT.replace("weight: 5", "weight: 0.5"))
    sha = _sha(checkout / PATHWAY)
    checked = run(checkout, "pathway", "check")
    assert checked.stdout.splitlines()[0] == f"pathway check: {PATHWAY} (sha256 {sha})"
    assert checked.returncode == 1 and "[unreachable-node] (never_entered)" in checked.stdout
    tested = run(checkout, "pathway", "test")
    assert tested.stdout.splitlines()[0] == f"pathway test: {PATHWAY} (sha256 {sha})"
    assert tested.returncode == 1 and "FAIL" in tested.stdout
    # in a folder without pathways/, the installed (bundled) pathway is checked, and named
    elsewhere = run(checkout / "pathways", "pathway", "check")
    first = elsewhere.stdout.splitlines()[0]
    assert elsewhere.returncode == 0 and first.startswith("pathway check: /")
    assert str(checkout) not in first and first.endswith(f"{_sha(REPO / PATHWAY)})")


def test_warnings_pass_unless_strict_and_rules_can_be_chosen(checkout: Path) -> None:
    edit(checkout, 'last_reviewed: "2026-12-02"', 'last_reviewed: "2020-01-01"')
    warned = run(checkout, "pathway", "check")
    assert warned.returncode == 0 and "[review-due]" in warned.stdout
    assert run(checkout, "pathway", "check", "--strict").returncode == 1
    assert "[review-due]" not in run(checkout, "pathway", "check", "--ignore", "review-due").stdout
    edit(
        checkout, "references: [enmc2011, cn1a_frontiers", "references: [enmc2011x, cn1a_frontiers"
    )
    failed = run(checkout, "pathway", "check", "--statistics")
    assert failed.returncode == 1
    assert any(
        line.split()[1:] == ["unknown-reference", "error"]
        for line in failed.stdout.splitlines()
        if line.strip().startswith("1 ")
    )
    only = run(checkout, "pathway", "check", "--select", "review-due")
    assert only.returncode == 0 and "[unknown-reference]" not in only.stdout
    assert run(checkout, "pathway", "check", "--exit-zero").returncode == 0
    typo = run(checkout, "pathway", "check", "--select", "review-du")
    assert typo.returncode == 2 and "did you mean review-due?" in typo.stderr


def test_github_annotations_and_the_job_summary(checkout: Path) -> None:
    edit(checkout, IVIG_WEIGHT, IVIG_WEIGHT.replace("weight: 5", "weight: 0.5"))
    summary = checkout / "summary.md"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    tested = run(checkout, "pathway", "test", env=env)
    annotations = [line for line in tested.stdout.splitlines() if line.startswith("::error ")]
    assert annotations and all("line=" in a for a in annotations)
    first = annotations[0]
    case = first.split("file=")[1].split(",")[0]
    line = int(first.split("line=")[1].split(",")[0])
    assert (checkout / case).read_text().splitlines()[line - 1] == "expect:"
    checked = run(checkout, "pathway", "check", env=env)
    assert checked.returncode == 0
    text = summary.read_text()
    assert "### Golden cases:" in text and "### Pathway check:" in text


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_version_unchanged_is_an_error_and_a_review_date_alone_is_not(checkout: Path) -> None:
    _git(checkout, "init", "-q")
    _git(checkout, "add", ".")
    _git(checkout, "commit", "-qm", "base")
    edit(checkout, 'last_reviewed: "2026-12-02"', 'last_reviewed: "2026-12-03"')
    assert run(checkout, "pathway", "check", "--base", "HEAD").returncode == 0
    edit(checkout, IVIG_WEIGHT, IVIG_WEIGHT.replace("weight: 5", "weight: 6"))
    same = run(checkout, "pathway", "check", "--base", "HEAD")
    assert same.returncode == 1 and "[version-unchanged]" in same.stdout
    diffed = run(
        checkout, "pathway", "diff", f"HEAD:{PATHWAY}", PATHWAY, "--cases", "pathways/cases"
    )
    assert diffed.returncode == 1 and "version-unchanged" in diffed.stdout
    edit(checkout, "  version: 1.2.1", "  version: 1.2.2")
    assert run(checkout, "pathway", "check", "--base", "HEAD").returncode == 0
    assert run(checkout, "pathway", "check", "--base", "-x").returncode == 2


def test_the_diff_names_the_edit_and_groups_its_consequences(checkout: Path) -> None:
    shutil.copy(checkout / PATHWAY, checkout / "before.yaml")
    edit(checkout, IVIG_WEIGHT, IVIG_WEIGHT.replace("weight: 5", "weight: 0.5"))
    edit(checkout, "  version: 1.2.1", "  version: 1.3.0")
    corpus = checkout / "corpus"
    subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "generate.py"), str(corpus), "150"],
        check=True,
        capture_output=True,
    )
    details = checkout / "all.md"
    args = (
        "pathway",
        "diff",
        "before.yaml",
        PATHWAY,
        "--cases",
        "pathways/cases",
        "--cases",
        "corpus",
    )
    done = run(checkout, *args, "-f", "markdown", "--details", str(details))
    assert done.returncode == 0, done.stderr  # invalid corpus profiles are counted, not fatal
    text = done.stdout
    assert "version: 1.2.1 → 1.3.0" in text
    assert "Intravenous immunoglobulin weight 5 → 0.5" in text
    assert "top option changes in" in text and "Intravenous immunoglobulin →" in text
    assert "invalid under both versions" in text
    assert "```mermaid" in text and "refractory_dm_muscle" in text.split("```mermaid")[1]
    assert len(text) < 60_000 and details.stat().st_size > 0
    assert text.count("weight 5 → 0.5") == 1  # the edit once, not once per case
    strict = run(checkout, *args, "--fail-on-invalid")
    assert strict.returncode == 1
    structured = json.loads(run(checkout, *args, "-f", "json").stdout)
    edit_record = next(e for e in structured["edits"] if e["field"] == "weight")
    assert (edit_record["old"], edit_record["new"]) == (5, 0.5)
    kinds = {c["kind"] for c in structured["consequences"]}
    assert "top" in kinds
    change = next(ch for c in structured["cases"] for ch in c["changes"] if ch["kind"] == "top")
    assert set(change) == {"kind", "therapy", "old", "new"}


def test_the_comment_fits_github_whatever_the_corpus() -> None:
    from myositis_cli.impact import CaseDiff, Change, DiffReport
    from myositis_cli.render.diffs import markdown

    report = DiffReport("a.yaml", "b.yaml", "1.0.0", "1.0.1")
    for n in range(50_000):
        report.cases.append(
            CaseDiff(
                f"corpus/{n}.yaml",
                0,
                f"case-{n:06d}",
                (
                    Change("top", "", "ivig", f"option{n % 40}", "top option"),
                    Change(
                        "caveat_added",
                        "rituximab",
                        None,
                        f"code{n % 300}",
                        f"rituximab: caveat added: text {n % 300}",
                    ),
                ),
            )
        )
    text = markdown(report)
    assert len(text) < 60_000
    assert "top option changes in" in text


def _failing(output: str) -> list[str]:
    """The case files ``pathway test`` reports as failing."""
    lines = output.splitlines()
    return [lines[i + 1].strip() for i, line in enumerate(lines) if line.startswith("FAIL ")]


def test_update_rewrites_only_the_selected_expectations_and_keeps_comments(checkout: Path) -> None:
    edit(checkout, IVIG_WEIGHT, IVIG_WEIGHT.replace("weight: 5", "weight: 0.5"))
    failing = run(checkout, "pathway", "test")
    files = _failing(failing.stdout)
    assert failing.returncode == 1 and len(files) >= 2
    refused = run(checkout, "pathway", "test", "--update")
    assert refused.returncode == 2 and "-k PATTERN, or --all" in refused.stderr
    case = checkout / files[0]
    other = checkout / files[1]
    case.write_text("# kept: a reviewer's note\n" + case.read_text())
    before, untouched = case.read_text(), other.read_text()
    dry = run(checkout, "pathway", "test", "--update", "-k", case.stem, "--dry-run")
    assert dry.returncode == 0 and dry.stdout.count("+++ ") == 1
    assert case.read_text() == before
    updated = run(checkout, "pathway", "test", "--update", "-k", case.stem)
    assert updated.returncode == 0, updated.stderr
    after = case.read_text()
    assert after != before and after.startswith("# kept: a reviewer's note")
    assert yaml.safe_load(after)["profile"] == yaml.safe_load(before)["profile"]
    assert other.read_text() == untouched  # only the selected case
    passing = run(checkout, "pathway", "test", "-k", case.stem)
    assert passing.returncode == 0, passing.stdout
    assert "coverage: not reported for a -k subset" in passing.stdout


def test_a_case_is_scaffolded_from_a_profile_and_passes(checkout: Path) -> None:
    target = checkout / "pathways" / "cases" / "scaffolded.yaml"
    made = run(
        checkout,
        "pathway",
        "case",
        str(REPO / "examples" / "refractory-dm-skin.yaml"),
        "-o",
        str(target),
    )
    assert made.returncode == 0, made.stderr
    data = yaml.safe_load(target.read_text())
    assert data["expect"]["top"] == "ivig" and data["profile"]["id"] == "case-017"
    assert run(checkout, "pathway", "test", "-k", "scaffolded").returncode == 0
    again = run(
        checkout,
        "pathway",
        "case",
        str(REPO / "examples" / "refractory-dm-skin.yaml"),
        "-o",
        str(target),
    )
    assert again.returncode == 2 and "already exists" in again.stderr


def test_the_pathway_as_a_document(checkout: Path) -> None:
    edit(
        checkout,
        "        - id: refractory_dm_muscle\n",
        UNREACHABLE + "        - id: refractory_dm_muscle\n",
    )
    md = run(checkout, "pathway", "doc").stdout
    html = run(checkout, "pathway", "doc", "-f", "html").stdout
    from myositis_cli.pathway import load_pathway

    pathway = load_pathway(REPO / PATHWAY)
    for text in (md, html):
        for node in pathway.nodes():
            assert f"node-{node}" in text
        for therapy in pathway.therapies.values():
            assert therapy.name in text
        for alert in pathway.alerts:
            assert alert.code in text
        assert "unreachable: no profile can enter this node" in text
    assert "https://pubmed.ncbi.nlm.nih.gov/36198179/" in html and "<script" not in html
    assert md.count("(unreachable") == 1


def test_export_writes_a_subtree_with_short_labels_that_graphviz_draws(checkout: Path) -> None:
    out = checkout / "tree.dot"
    done = run(checkout, "pathway", "export", "-f", "dot", "--root", "refractory", "-o", str(out))
    assert done.returncode == 0, done.stderr
    text = out.read_text()
    assert '"refractory"' in text and '"ibm"' not in text
    labels = [line.split('label="')[1].split('"')[0] for line in text.splitlines() if "->" in line]
    assert labels and max(len(label) for label in labels) <= 43
    missing = run(checkout, "pathway", "export", "--root", "refractry")
    assert missing.returncode == 2 and "did you mean refractory?" in missing.stderr
    dot = shutil.which("dot")
    if dot is None:
        if os.environ.get("MYOSITIS_REQUIRE_DOT"):
            raise AssertionError("MYOSITIS_REQUIRE_DOT is set but Graphviz's dot is missing")
        pytest.skip("Graphviz is not installed (apt-get install graphviz; .ci/run installs it)")
    whole = run(checkout, "pathway", "export", "-f", "dot")
    svg = subprocess.run([dot, "-Tsvg"], input=whole.stdout, capture_output=True, text=True)
    assert svg.returncode == 0 and svg.stdout.count('<g id="node') == len(
        __import__("myositis_cli").load_pathway(str(checkout / PATHWAY)).nodes()
    )


def test_every_lint_rule_is_registered_documented_and_exercised() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "lint_cases", REPO / "tests" / "unit" / "test_lint.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    broken = module.BROKEN

    elsewhere = {
        # rule: the test that makes it fire
        "reachability-skipped": "tests/cli/test_hardening.py",
        "case-invalid": "tests/unit/test_lint.py",
        "version-unchanged": "tests/cli/test_review.py",
        "criteria-decimal": "tests/classification/test_criteria.py",
        "criteria-cutoffs": "tests/classification/test_criteria.py",
        "criteria-field": "tests/classification/test_criteria.py",
        "criteria-bands": "tests/classification/test_criteria.py",
        "criteria-duplicate": "tests/classification/test_criteria.py",
        "criteria-skin-rule": "tests/classification/test_criteria.py",
        "criteria-missing": "tests/cli/test_review.py",
        "bad-condition": "tests/unit/test_conditions.py",
    }
    assert set(broken) | set(elsewhere) == set(lint.RULES)
    for rule, test in elsewhere.items():
        assert f'"{rule}"' in (REPO / test).read_text() or rule in (REPO / test).read_text(), rule
    readme = (REPO / "README.md").read_text()
    for rule, rule_spec in lint.RULES.items():
        assert f"`{rule}`" in readme, f"README does not document {rule}"
        if rule in broken:
            assert broken[rule][3] == rule_spec.severity, rule


def test_a_missing_classification_table_is_named(checkout: Path) -> None:
    (checkout / "pathways" / "classification-2017.yaml").unlink()
    done = run(checkout, "pathway", "check")
    assert done.returncode == 1 and "[criteria-missing]" in done.stdout


def test_no_review_command_writes_over_the_pathway_or_a_case(checkout: Path) -> None:
    # -o and --details naming what the command reads were written over (the
    # committee's pathway replaced by its own document); now refused, exit 2
    case = "pathways/cases/acth-diabetes.yaml"
    before = {p: (checkout / p).read_bytes() for p in (PATHWAY, case)}
    attempts = [
        ("pathway", "doc", "-o", PATHWAY),
        ("pathway", "doc", PATHWAY, "-o", PATHWAY),
        ("pathway", "export", "--pathway", PATHWAY, "-o", PATHWAY),
        ("pathway", "diff", PATHWAY, PATHWAY, "--cases", case, "--details", PATHWAY),
        ("pathway", "diff", PATHWAY, PATHWAY, "--cases", case, "--details", case),
        ("pathway", "diff", PATHWAY, PATHWAY, "--cases", "pathways/cases", "--details", case),
    ]
    for args in attempts:
        done = run(checkout, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert "it would be destroyed" in done.stderr or "input folder" in done.stderr, args
        assert {p: (checkout / p).read_bytes() for p in (PATHWAY, case)} == before, args
    written = run(
        checkout, "pathway", "diff", PATHWAY, PATHWAY, "--cases", case, "--details", "d.md"
    )
    assert written.returncode == 0 and (checkout / "d.md").stat().st_size > 0


def test_export_refuses_to_write_over_the_bundled_pathway(checkout: Path) -> None:
    import myositis_cli
    from myositis_cli.pathway import load_pathway

    bundled = Path(load_pathway().source)  # site-packages, or the checkout when editable
    assert bundled.is_file() and Path(myositis_cli.__file__).exists()
    kept = bundled.read_bytes()
    try:
        done = run(checkout, "pathway", "export", "-o", str(bundled))
        assert done.returncode == 2 and "is the pathway" in done.stderr
    finally:  # never leave an installed or checked-out pathway replaced, even on failure
        if bundled.read_bytes() != kept:
            bundled.write_bytes(kept)
    assert bundled.read_bytes() == kept
