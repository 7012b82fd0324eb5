"""The clinic view as a rheumatologist meets it: one screen, a pager, why, a report, init."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
from pathlib import Path

import pytest
import yaml
from helpers import EXAMPLES, SCRIPT

LONG = EXAMPLES / "clinic-list.yaml"  # three cases: longer than a 24-line screen
GOOD = EXAMPLES / "refractory-dm-skin.yaml"


def on_a_terminal(
    args: list[str], env: dict[str, str], rows: int = 24, cols: int = 80
) -> tuple[int, str]:
    """Run the installed script with its stdout on a pseudo-terminal of rows x cols."""
    import fcntl
    import struct
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CI", "PAGER", "MYOSITIS_PAGER", "COLUMNS", "LINES")
    }
    full_env.update(env)
    proc = subprocess.Popen(
        [SCRIPT, *args],
        stdout=follower,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=full_env,
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(leader)
    assert proc.stderr is not None
    errors = proc.stderr.read()
    proc.stderr.close()
    assert b"Traceback" not in errors
    return proc.returncode, b"".join(chunks).decode("utf-8", "replace")


@pytest.fixture
def recording_pager(tmp_path: Path) -> tuple[str, Path]:
    log = tmp_path / "paged.txt"
    pager = tmp_path / "pager.sh"
    pager.write_text(f"#!/bin/sh\ncat > {log}\necho PAGED\n")
    pager.chmod(0o755)
    return str(pager), log


def test_a_long_answer_on_a_terminal_goes_through_the_pager(recording_pager) -> None:  # type: ignore[no-untyped-def]
    pager, log = recording_pager
    code, screen = on_a_terminal(["suggest", str(LONG)], {"MYOSITIS_PAGER": pager, "NO_COLOR": "1"})
    assert code == 0
    assert "PAGED" in screen and "clinic-ibm" in log.read_text()
    code, screen = on_a_terminal(["suggest", str(LONG)], {"PAGER": pager, "NO_COLOR": "1"})
    assert "PAGED" in screen  # $PAGER when $MYOSITIS_PAGER is not set


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["--no-pager"], {}),
        ([], {"CI": "true"}),
        ([], {"MYOSITIS_PAGER": "cat"}),
    ],
)
def test_no_pager_when_asked_under_ci_or_cat(
    recording_pager, args: list[str], env: dict[str, str]
) -> None:  # type: ignore[no-untyped-def]
    pager, log = recording_pager
    code, screen = on_a_terminal(
        ["suggest", str(LONG), *args], {"PAGER": pager, "NO_COLOR": "1", **env}
    )
    assert code == 0 and "PAGED" not in screen and "clinic-ibm" in screen
    assert not log.exists()


def test_no_pager_when_piped_or_short(recording_pager) -> None:  # type: ignore[no-untyped-def]
    pager, log = recording_pager
    piped = subprocess.run(
        [SCRIPT, "suggest", str(LONG)],
        capture_output=True,
        text=True,
        env={**os.environ, "PAGER": pager},
    )
    assert "PAGED" not in piped.stdout and "clinic-ibm" in piped.stdout
    code, screen = on_a_terminal(["suggest", str(GOOD)], {"PAGER": pager, "NO_COLOR": "1"}, rows=60)
    assert code == 0
    assert "PAGED" not in screen and "case-017" in screen  # fits the screen: printed
    assert not log.exists()


def test_why_as_a_user_asks_it() -> None:
    def why(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([SCRIPT, "why", *args], capture_output=True, text=True)

    offered = why(str(GOOD), "IVIG")
    assert offered.returncode == 0
    assert offered.stdout.startswith(
        "case-017: Intravenous immunoglobulin is offered at rank 1 of 9"
    )
    assert "+5  weight refractory_dm_muscle" in offered.stdout
    excluded = why(str(GOOD), "MTX")
    assert (
        excluded.returncode == 0
        and "left out: inadequate response after 6 months" in excluded.stdout
    )
    not_suggested = json.loads(why(str(GOOD), "cyclophosphamide", "-f", "json").stdout)
    assert not_suggested[0]["status"] == "not_suggested"
    assert {n["node"] for n in not_suggested[0]["nodes"]} >= {"refractory_ild_progressive"}
    unknown = why(str(GOOD), "ritux")
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip()
        == "'ritux' is not in the therapy catalogue (did you mean rituximab?)"
    )
    stdin = subprocess.run(
        [SCRIPT, "why", "-", "glucocorticoids"],
        input=GOOD.read_text(),
        capture_output=True,
        text=True,
    )
    assert stdin.returncode == 0 and "is taken now: continue" in stdin.stdout


def test_why_an_undecided_node_names_the_missing_fact(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text(
        "id: u\nage: 50\ndiagnosis: {subtype: polymyositis}\nglucocorticoids: {current_dose_mg: 10}\n"
        "history: [{therapy: methotrexate, months: 6, outcome: inadequate_response}]\n"
    )
    answer = json.loads(
        subprocess.run(
            [SCRIPT, "why", str(case), "nintedanib", "-f", "json"], capture_output=True, text=True
        ).stdout
    )[0]
    assert answer["status"] == "not_suggested"
    progressive = next(n for n in answer["nodes"] if n["node"] == "refractory_ild_progressive")
    assert progressive["state"] == "unknown" and progressive["not_recorded"] == [
        "/manifestations/ild"
    ]


def test_init_is_safe_and_points_editors_at_the_schema(tmp_path: Path) -> None:
    target = tmp_path / "new.yaml"
    assert subprocess.run([SCRIPT, "init", str(target)], capture_output=True).returncode == 0
    text = target.read_text()
    assert text.startswith("# yaml-language-server: $schema=file://")
    schema = text.splitlines()[0].split("$schema=file://", 1)[1]
    assert json.loads(Path(schema).read_text())["title"].startswith("Myositis patient profile")
    data = yaml.safe_load(text)
    assert data["profile_version"] == 2 and "safety" not in data and "history" not in data
    record = json.loads(
        subprocess.run(
            [SCRIPT, "suggest", str(target), "-f", "jsonl"], capture_output=True, text=True
        ).stdout
    )
    asked = {c["field"] for c in record["checks"]}
    assert {
        "/safety/pregnancy",
        "/safety/active_infection",
        "/safety/tpmt",
        "/safety/egfr",
    } <= asked


def test_progress_bar_prints_every_error_line_once_in_order(tmp_path: Path) -> None:
    # stderr on a terminal, the report to a file: the bar shows (from the start here),
    # and error lines that come while it shows are printed above it, each once
    cases = tmp_path / "cases"
    cases.mkdir()
    for i in range(40):
        (cases / f"c{i:02d}.yaml").write_bytes(GOOD.read_bytes())
    bad = [f"c{i:02d}.yaml" for i in (3, 17, 31)]
    for name in bad:
        (cases / name).write_text("id: bad\nage: fifty\n", encoding="utf-8")
    leader, follower = pty.openpty()
    env = {**os.environ, "MYOSITIS_PROGRESS_AFTER": "0"}
    for name in ("CI", "NO_COLOR"):
        env.pop(name, None)
    proc = subprocess.Popen(
        [SCRIPT, "suggest", str(cases), "-f", "jsonl", "-o", str(tmp_path / "out.jsonl")],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        ready, _, _ = select.select([leader], [], [], 30)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=30) == 1
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert "records" in screen  # the bar was drawn
    found = [name for name in bad if f"{name}:2:6: /age" in screen]
    assert found == bad
    assert [screen.count(f"{name}:2:6") for name in bad] == [1, 1, 1]
    positions = [screen.index(f"{name}:2:6") for name in bad]
    assert positions == sorted(positions)
    assert "40 cases: 37 ok, 3 failed" in screen
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 40
