"""Time the bounds promised for hostile input and faults (README "Bad input").

Usage: python benchmarks/hostile.py

Each row is measured in this run on this machine; tests only check that the
answers are right (with generous timeouts against hangs), never the speed.

- splitter: 800 KB of ``---`` lines split into documents (in-process);
- locator: a profile with 40,000 unknown keys validated and its problems
  located (in-process, after parsing);
- reachability budget: ``pathway check`` of a pathway with a condition whose
  normal form has 5**30 terms (whole process);
- worker death: ``suggest --jobs 2`` over 3,000 files with one worker killed
  (SIGKILL) after the first record: the run's wall time against an unharmed run;
- Ctrl-C / SIGTERM with ``--jobs 2``: from the signal to the exit.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SCRIPT = str(Path(sys.executable).parent / "myositis")
GOOD = ROOT / "examples" / "refractory-dm-skin.yaml"


def best(function, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def _interrupt(command: list[str], sig: int) -> float:
    """Seconds from the signal to the exit of a batch that is writing records."""
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True
    )
    assert proc.stdout is not None
    proc.stdout.readline()
    started = time.perf_counter()
    (os.killpg if sig == signal.SIGINT else os.kill)(proc.pid, sig)
    proc.wait()
    return time.perf_counter() - started


def main() -> None:
    from myositis_cli import loading
    from myositis_cli.api import load_pathway
    from myositis_cli.pipeline import Pipeline

    rows: list[tuple[str, str]] = []
    dashes = "---\n" * 200_000
    rows.append(
        (
            "splitter, 800 KB of '---' lines",
            f"{best(lambda: loading.split_documents(dashes)) * 1000:.0f} ms",
        )
    )

    keys = "id: a\nage: 40\ndiagnosis: {subtype: polymyositis}\n" + "".join(
        f"k{i}: 1\n" for i in range(40_000)
    )
    (document,) = list(loading.iter_documents(keys.encode()))
    pipeline = Pipeline(load_pathway())
    pipeline.run_document("warm", document)
    rows.append(
        (
            "locator, 40,000 unknown keys",
            f"{best(lambda: pipeline.run_document('k', document)) * 1000:.0f} ms",
        )
    )

    work = Path(tempfile.mkdtemp())
    try:
        data = yaml.safe_load((ROOT / "pathways" / "refractory-myositis.yaml").read_text())
        leaves = [{"field": "age", "at_least": n} for n in range(5)]
        data["tree"]["children"].append(
            {"id": "explosive", "title": "x", "when": {"all": [{"any": leaves} for _ in range(30)]}}
        )
        explosive = work / "p.yaml"
        explosive.write_text(yaml.safe_dump(data, sort_keys=False))
        command = [SCRIPT, "pathway", "check", str(explosive), "--cases", str(work)]
        rows.append(
            (
                "reachability budget, 5**30-term condition",
                f"{best(lambda: subprocess.run(command, capture_output=True), 3):.2f} s (whole check)",
            )
        )

        corpus = work / "in"
        corpus.mkdir()
        for i in range(3000):
            shutil.copy(GOOD, corpus / f"c{i:04d}.yaml")
        base = [SCRIPT, "suggest", str(corpus), "-f", "jsonl", "-q", "--jobs", "2"]
        unharmed = best(lambda: subprocess.run(base, capture_output=True), 3)

        def killed() -> None:
            proc = subprocess.Popen(base, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            assert proc.stdout is not None
            proc.stdout.readline()
            children = subprocess.run(
                ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
            ).stdout.split()
            os.kill(int(children[0]), signal.SIGKILL)
            lines = 1 + sum(1 for _ in proc.stdout)
            proc.wait()
            assert lines == 3000, lines

        rows.append(
            (
                "worker killed mid-batch (3,000 files, --jobs 2)",
                f"{best(killed, 3):.2f} s vs {unharmed:.2f} s unharmed; every record written",
            )
        )
        for sig, name in ((signal.SIGINT, "Ctrl-C"), (signal.SIGTERM, "SIGTERM")):
            times = [_interrupt(base, sig) for _ in range(3)]
            rows.append((f"{name} with --jobs 2, signal to exit", f"{min(times) * 1000:.0f} ms"))
    finally:
        shutil.rmtree(work)

    print(f"hostile-input bounds, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    for name, value in rows:
        print(f"  {name:48} {value}")


if __name__ == "__main__":
    main()
