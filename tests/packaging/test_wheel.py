"""The wheel carries pathways/ and schemas/, and works from any directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from helpers import EXAMPLES, REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
    )
    (built,) = out.glob("myositis-*.whl")
    return built


def test_wheel_contains_the_clinical_content(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for required in (
        "myositis_cli/pathways/refractory-myositis.yaml",
        "myositis_cli/pathways/refractory-myositis.compiled.json",
        "myositis_cli/pathways/classification-2017.yaml",
        "myositis_cli/schemas/classification.schema.json",
        "myositis_cli/schemas/record.schema.json",
        "myositis_cli/schemas/profile.schema.json",
        "myositis_cli/schemas/pathway.schema.json",
        "myositis_cli/schemas/profile-template.yaml",
    ):
        assert required in names
    assert sum(n.startswith("myositis_cli/pathways/cases/") for n in names) >= 30


def test_installed_wheel_runs_outside_the_repository(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run(
        [
            str(bindir / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
    )
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = subprocess.run(
        [
            str(bindir / "myositis"),
            "suggest",
            str(EXAMPLES / "refractory-dm-skin.yaml"),
            "-f",
            "json",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    (record,) = json.loads(run.stdout)
    assert record["status"] == "ok" and record["options"][0]["therapy"] == "ivig"
    check = subprocess.run(
        [str(bindir / "myositis"), "pathway", "test"], cwd=outside, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    classified = subprocess.run(
        [
            str(bindir / "myositis"),
            "classify",
            str(EXAMPLES / "refractory-dm-skin.yaml"),
            "-f",
            "json",
        ],
        cwd=outside,
        capture_output=True,
        text=True,
    )
    assert classified.returncode == 0, classified.stderr
    assert json.loads(classified.stdout)[0]["criteria"]["id"] == "eular-acr-2017"
