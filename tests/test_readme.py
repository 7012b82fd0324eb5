"""The README is the truth: its two commands, and every command of the tool."""

from __future__ import annotations

import re

from helpers import REPO

README = (REPO / "README.md").read_text()
CI = (REPO / ".ci" / "run").read_text()


def _setup_commands() -> list[str]:
    block = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", block, re.S)


def test_two_setup_commands_run_the_example_and_the_tests() -> None:
    run, tests = _setup_commands()
    assert "pip install ." in run and "myositis suggest examples/" in run
    assert "pip install '.[test]'" in tests and "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    assert _setup_commands()[1] in CI


def test_every_command_is_documented() -> None:
    for command in (
        "myositis suggest",
        "myositis validate",
        "myositis pathway check",
        "myositis pathway test",
        "myositis pathway diff",
        "myositis pathway show",
        "myositis pathway export",
        "myositis therapies",
        "myositis schema",
        "myositis init",
        "myositis --version",
    ):
        assert f"`{command}" in README, command


def test_every_suggest_option_is_documented() -> None:
    for option in (
        "--format",
        "--pathway",
        "--explain",
        "--top",
        "--output",
        "--jobs",
        "--quiet",
        "--max-file-size",
        "--max-depth",
        "--max-alias-nodes",
        "--cases",
        "--min-coverage",
        "--fail-on-change",
        "--max-age-days",
        "-k",
    ):
        assert option in README, option
