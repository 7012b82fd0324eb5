"""Input expansion: sorted like full paths, streamed, symlinked folders not followed."""

from __future__ import annotations

import os
from pathlib import Path

from myositis_cli.batch import STDIN_LABEL, expand
from myositis_cli.documents import SUFFIXES, format_for


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


def test_a_folders_files_get_the_paths_and_formats_of_the_per_file_rules(tmp_path: Path) -> None:
    """The listing builds paths and reads suffixes without os.path.join and format_for
    per file: it must agree with them on every name, however odd."""
    names = [
        "a.yaml", "B.YML", "c.Json", "d.jsonl", "e.NDJSON", "f.csv", ".yaml", "g.yaml.txt",
        "h.txt.yaml", "yaml", "i.", "j..csv", "k.jsonl.json", "l.yaml~",
    ]  # fmt: skip
    for name in names:
        (tmp_path / name).write_text("id: x\n")
    assert all(s.count(".") == 1 and s.startswith(".") for s in SUFFIXES)
    for folder in (str(tmp_path), str(tmp_path) + "/", str(tmp_path) + "//"):
        for requested in ("auto", "json"):
            got = [(s.path, s.fmt) for s in expand([folder], requested)]
            want = [
                (os.path.join(folder, n), format_for(os.path.join(folder, n), requested))
                for n in sorted(names)
                if n.lower().endswith(tuple(SUFFIXES))
            ]
            assert got == want
            assert len(got) == 10
