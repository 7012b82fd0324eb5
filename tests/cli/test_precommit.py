"""The pre-commit hooks in a scratch repository, as ``pre-commit try-repo`` installs them.

Slow (pre-commit builds a virtual environment with the tool in it): it runs
when ``MYOSITIS_SLOW=1``, as ``.ci/run`` sets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import REPO

pytestmark = pytest.mark.slow


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _try(scratch: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pre_commit", "try-repo", str(REPO), hook, "--verbose"]
    command += ["--files", *files] if files else ["--all-files"]
    env = {**os.environ, "PRE_COMMIT_HOME": str(scratch.parent / "pre-commit-home")}
    return subprocess.run(
        command, cwd=scratch, capture_output=True, text=True, env=env, timeout=900
    )


def test_hooks_run_on_the_files_they_understand(tmp_path: Path) -> None:
    scratch = tmp_path / "repo"
    scratch.mkdir()
    shutil.copytree(REPO / "pathways", scratch / "pathways")
    (scratch / "cases").mkdir()
    shutil.copy(REPO / "examples" / "refractory-dm-skin.yaml", scratch / "cases" / "dm.yaml")
    # YAML that is not a profile must be left alone
    (scratch / ".pre-commit-config.yaml").write_text("repos: []\n")
    (scratch / "mkdocs.yml").write_text("site_name: pathway\nnav: [index.md]\n")
    _git(scratch, "init", "-q")
    _git(scratch, "add", ".")
    _git(scratch, "commit", "-qm", "scratch")

    validated = _try(scratch, "myositis-validate")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "mkdocs.yml" not in validated.stdout

    case = next((scratch / "pathways" / "cases").glob("*.yaml"))
    tested = _try(scratch, "myositis-pathway-test", str(case.relative_to(scratch)))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "golden case(s)" in tested.stdout

    data = yaml.safe_load(case.read_text())
    data["expect"] = {"top": "cyclophosphamide"}
    case.write_text(yaml.safe_dump(data, sort_keys=False))
    broken = _try(scratch, "myositis-pathway-test", str(case.relative_to(scratch)))
    assert broken.returncode == 1 and "FAIL" in broken.stdout

    bad = scratch / "cases" / "typo.yaml"
    bad.write_text("id: t\nage: 50\ndiagnosis: {subtype: polymyositis}\nsafety: {pregancy: none}\n")
    rejected = _try(scratch, "myositis-validate", "cases/typo.yaml", "mkdocs.yml")
    assert rejected.returncode == 1 and "pregancy" in rejected.stdout
    checked = _try(scratch, "myositis-pathway-check", "pathways/refractory-myositis.yaml")
    assert checked.returncode == 0, checked.stdout
