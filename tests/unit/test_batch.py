"""Input expansion: sorted like full paths, streamed, symlinked folders not followed."""

from __future__ import annotations

import os
from pathlib import Path

from myositis_cli.batch import STDIN_LABEL, expand


def test_directory_order_is_the_sorted_order_of_full_paths(tmp_path: Path) -> None:
    for name in (
        "z.yaml",
        "a.yaml",
        "a/x.yml",
        "a/b/c.yaml",
        "a-b.yaml",
        "m/y.yaml",
        "m/notes.txt",
        "A/upper.yaml",
        "a.b/d.yaml",
        ".hidden/e.yaml",
    ):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("id: x\n")
    (tmp_path / "link").symlink_to(tmp_path / "m", target_is_directory=True)
    found = [s.path for s in expand([str(tmp_path)])]
    expected = sorted(
        os.path.join(root, f)
        for root, _, files in os.walk(tmp_path)
        for f in files
        if f.endswith((".yaml", ".yml"))
    )
    assert found == expected
    assert not any("/link/" in p for p in found)


def test_inputs_keep_their_order_and_problems_are_sources(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text("id: x\n")
    (tmp_path / "empty").mkdir()
    sources = list(
        expand([str(tmp_path / "one.yaml"), "-", str(tmp_path / "empty"), str(tmp_path / "nope")])
    )
    assert [s.label for s in sources] == [
        str(tmp_path / "one.yaml"),
        STDIN_LABEL,
        str(tmp_path / "empty"),
        str(tmp_path / "nope"),
    ]
    assert [s.problem.message if s.problem else None for s in sources] == [
        None,
        None,
        "no profile files in this folder (*.yaml, *.yml, *.json, *.jsonl, *.ndjson, *.csv)",
        "no such file or directory",
    ]
