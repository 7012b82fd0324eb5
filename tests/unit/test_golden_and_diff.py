"""Golden-case runs and pathway diffs on the small fixture pathway."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers import FIXTURES

from myositis_cli import impact
from myositis_cli.golden import compare, run_cases
from myositis_cli.pathway import load_pathway

MINI = FIXTURES / "pathways" / "mini.yaml"
CASES = FIXTURES / "pathways" / "mini-cases"


def test_passing_cases_and_coverage() -> None:
    report = run_cases(load_pathway(MINI), str(CASES))
    assert (report.total, report.failed, report.errors) == (2, 0, 0)
    assert report.node_coverage() == 1.0
    assert report.unreached("rule") == ["methotrexate.pregnancy", "rituximab.hepatitis_b"]
    assert report.coverage("rule") == 0.0


def test_failures_are_said_in_words(tmp_path: Path) -> None:
    (tmp_path / "wrong.yaml").write_text(
        "description: wrong on purpose\nprofile: {id: w, age: 40, diagnosis: {subtype: polymyositis}}\n"
        "expect: {top: rituximab, refractory: true, alerts: [juvenile], excluded: [anti_tnf]}\n"
    )
    report = run_cases(load_pathway(MINI), str(tmp_path))
    (outcome,) = report.outcomes
    assert outcome.failures == (
        "refractory: expected True, got False",
        "top option: expected rituximab, got methotrexate (options: methotrexate (preferred))",
        "expected anti_tnf to be excluded (excluded: none)",
        "expected alert juvenile (alerts: none)",
    )


def test_pattern_selects_cases() -> None:
    report = run_cases(load_pathway(MINI), str(CASES), pattern="juvenile")
    assert [Path(o.file).name for o in report.outcomes] == ["refractory-juvenile.yaml"]


def test_compare_checks_order_and_withheld() -> None:
    report = run_cases(load_pathway(MINI), str(CASES))
    assert report.outcomes and compare({}, _rec()) == []
    assert compare({"order": ["anti_tnf", "rituximab"]}, _rec())[0].startswith(
        "order: expected anti_tnf > rituximab"
    )


def _rec():  # type: ignore[no-untyped-def]
    from myositis_cli.engine import suggest
    from myositis_cli.profile import build_profile

    pw = load_pathway(MINI)
    data = {
        "id": "x",
        "age": 12,
        "diagnosis": {"subtype": "polymyositis"},
        "history": [{"therapy": "mtx", "months": 4, "outcome": "inadequate_response"}],
    }
    return suggest(pw, build_profile(data, pw))


def test_diff_reports_what_changes(tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(
        MINI.read_text().replace(
            "          weight: 1\n          reason: limited evidence option",
            "          weight: 6\n          reason: limited evidence option",
        )
    )
    report = impact.compare(str(MINI), str(new), [str(CASES)])
    assert (report.total, report.changed, report.errors) == (2, 1, 0)
    changed = next(c for c in report.cases if c.changes)
    assert changed.id == "mini-2"
    texts = [c.text for c in changed.changes]
    assert texts[0] == "top option: rituximab -> acth_gel"
    assert changed.changes[0].data() == {
        "kind": "top",
        "therapy": "",
        "old": "rituximab",
        "new": "acth_gel",
    }
    for text in (
        "acth_gel: rank 2 -> 1",
        "acth_gel: tier consider -> preferred",
        "acth_gel: score 3 -> 8",
        "rituximab: rank 1 -> 2",
    ):
        assert text in texts


def test_diff_same_pathway_changes_nothing() -> None:
    report = impact.compare(str(MINI), str(MINI), [str(CASES)])
    assert report.changed == 0 and report.errors == 0 and report.total == 2


def test_diff_reads_a_git_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    path = repo / "pathway.yaml"
    path.write_text(MINI.read_text())
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run([*git, "add", "."], cwd=repo, check=True)
    subprocess.run([*git, "commit", "-qm", "mini"], cwd=repo, check=True)
    path.write_text(MINI.read_text().replace("  preferred_at: 5", "  preferred_at: 50"))
    monkeypatch.chdir(repo)
    report = impact.compare("HEAD:pathway.yaml", "pathway.yaml", [str(CASES)])
    assert report.old == "HEAD:pathway.yaml" and report.changed == 2
    with pytest.raises(impact.UsageError, match="git show failed"):
        impact.compare("HEAD:nope.yaml", "pathway.yaml", [str(CASES)])
