"""Measure myositis against floors taken in the same run, and print ratios.

Usage: python benchmarks/run.py [--cases 20000] [--small 2000] [--repeat 5] [--startup-repeat 21]

All timings are whole-process wall times (medians), taken on the same corpus
in the same run, so machine speed cancels out of the ratios:

1. batch: per-case cost of ``myositis suggest DIR --format jsonl`` against
   ``floor.py`` (read, strict C-loader parse, compiled schema validation,
   json.dumps of a 1 KB dict). Target: <= 1.3x.
2. start-up: ``myositis suggest one.yaml --format json`` against
   ``typer_floor.py``, a do-nothing app of the same Typer version. Target: <= 1.3x.
3. ``--jobs 2`` against ``--jobs 1`` on the large corpus. Target: >= 1.7x faster.
4. peak memory (max RSS) for the large corpus against the small one. Target: within 10%.

The corpus is generated into benchmarks/corpus/ (git-ignored) on first use,
and the installed package is byte-compiled first, as ``pip install`` does.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MYOSITIS = (
    str(Path(PYTHON).parent / "myositis")
    if (Path(PYTHON).parent / "myositis").exists()
    else shutil.which("myositis")
)


def corpus(count: int) -> Path:
    path = HERE / "corpus" / str(count)
    if not (path / "done").exists():
        shutil.rmtree(path, ignore_errors=True)
        subprocess.run([PYTHON, str(HERE / "generate.py"), str(path), str(count)], check=True)
        (path / "done").write_text("")
    return path


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one run, output discarded."""
    started = time.perf_counter()
    with open(os.devnull, "wb") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=sink)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(command)}")
    return elapsed, usage.ru_maxrss


def median(command: list[str], repeat: int) -> float:
    timed(command)  # warm the page cache and the pathway cache
    return statistics.median(timed(command)[0] for _ in range(repeat))


def byte_compile() -> str:
    """Byte-compile the installed package, as pip does on install.

    An editable install under PYTHONDONTWRITEBYTECODE would otherwise compile
    its source on every start while Typer and Rich load bytecode, which is
    not what a user's ``pip install .`` runs.
    """
    where = subprocess.run(
        [PYTHON, "-c", "import myositis_cli, os; print(os.path.dirname(myositis_cli.__file__))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    subprocess.run([PYTHON, "-m", "compileall", "-q", where], check=True)
    return where


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--startup-repeat", type=int, default=21)
    args = parser.parse_args()
    if not MYOSITIS:
        raise SystemExit("install the project first: pip install .")
    package = byte_compile()
    big, small = corpus(args.cases), corpus(args.small)
    one = next(big.rglob("*.yaml"))
    rows: list[tuple[str, str, str, str, bool]] = []

    floor = median([PYTHON, str(HERE / "floor.py"), str(big)], args.repeat)
    tool = median([MYOSITIS, "suggest", str(big), "--format", "jsonl", "--quiet"], args.repeat)
    per_floor, per_tool = floor / args.cases * 1000, tool / args.cases * 1000
    rows.append(
        (
            "batch, per case",
            f"{per_tool:.3f} ms",
            f"{per_floor:.3f} ms",
            f"{tool / floor:.2f}x",
            tool / floor <= 1.3,
        )
    )

    start_floor = median(
        [PYTHON, str(HERE / "typer_floor.py"), str(one), "--format", "json"], args.startup_repeat
    )
    start_tool = median([MYOSITIS, "suggest", str(one), "--format", "json"], args.startup_repeat)
    rows.append(
        (
            "start-up, one case",
            f"{start_tool * 1000:.1f} ms",
            f"{start_floor * 1000:.1f} ms",
            f"{start_tool / start_floor:.2f}x",
            start_tool / start_floor <= 1.3,
        )
    )

    two = median(
        [MYOSITIS, "suggest", str(big), "--format", "jsonl", "--quiet", "--jobs", "2"], args.repeat
    )
    rows.append(
        (
            "--jobs 2 vs --jobs 1",
            f"{two:.2f} s",
            f"{tool:.2f} s",
            f"{tool / two:.2f}x faster",
            tool / two >= 1.7,
        )
    )

    rss_small = max(
        timed([MYOSITIS, "suggest", str(small), "--format", "jsonl", "--quiet"])[1]
        for _ in range(2)
    )
    rss_big = max(
        timed([MYOSITIS, "suggest", str(big), "--format", "jsonl", "--quiet"])[1] for _ in range(2)
    )
    rows.append(
        (
            f"peak RSS, {args.cases:,} vs {args.small:,} cases",
            f"{rss_big / 1024:.1f} MiB",
            f"{rss_small / 1024:.1f} MiB",
            f"{rss_big / rss_small:.2f}x",
            rss_big <= rss_small * 1.10,
        )
    )

    print(
        f"myositis benchmark: {args.cases:,} cases, {os.cpu_count()} CPUs, "
        f"Python {sys.version.split()[0]}, package {package}"
    )
    print(f"{'measure':34} {'myositis':>14} {'floor':>12} {'ratio':>14}  target")
    for name, mine, base, ratio, ok in rows:
        print(f"{name:34} {mine:>14} {base:>12} {ratio:>14}  {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
