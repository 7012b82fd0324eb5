"""The pipeline on a real Dask cluster gives the command line's records, byte for byte."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import CASES_DIR

from myositis_cli.golden import case_files

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
bag = pytest.importorskip("dask.bag")


def test_local_cluster_records_equal_the_cli_jsonl(tmp_path: Path) -> None:
    from myositis_cli.dask import suggest_bag

    paths = []
    for case in case_files(str(CASES_DIR)):
        target = tmp_path / Path(case).name
        target.write_text(yaml.safe_dump(yaml.safe_load(Path(case).read_text())["profile"]))
        paths.append(str(target))
    (tmp_path / "broken.yaml").write_text("id: [\n")
    paths.append(str(tmp_path / "broken.yaml"))
    cli = subprocess.run(
        [str(Path(sys.executable).parent / "myositis"), "suggest", *paths, "-f", "jsonl", "-q"],
        capture_output=True,
        text=True,
    )
    assert cli.returncode == 1  # the broken file
    with (
        # ":0", not None: None still serves HTTP on 8787, and a second test run
        # (or any cluster) on the machine turns that into a warning, here an error
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster),
    ):
        records = suggest_bag(bag.from_sequence(paths, npartitions=4)).compute()
    lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
    assert lines == cli.stdout.splitlines()
    assert records[-1]["status"] == "error"
