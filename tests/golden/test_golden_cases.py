"""Every golden case in pathways/cases/, one test each, against this checkout's pathway."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import CASES_DIR, repo_pathway

from myositis_cli.golden import case_files, check_case, run_cases
from myositis_cli.pipeline import Pipeline

FILES = case_files(str(CASES_DIR))


def test_there_are_enough_golden_cases() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=[Path(f).stem for f in FILES])
def test_golden_case(path: str) -> None:
    outcome, _ = check_case(Pipeline(repo_pathway()), path)
    assert not outcome.problems, outcome.problems
    assert not outcome.failures, "\n".join(outcome.failures)


def test_golden_cases_reach_every_node_rule_and_alert() -> None:
    report = run_cases(repo_pathway(), str(CASES_DIR))
    assert report.total == len(FILES) and report.failed == 0 and report.errors == 0
    assert report.unreached("node") == []
    assert report.unreached("rule") == []
    assert report.unreached("alert") == []
