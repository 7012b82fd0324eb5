"""Measure myositis against floors taken in the same run, pair by pair, and print ratios.

Usage: python benchmarks/run.py [--cases 20000] [--small 2000] [--pairs 5]
                                [--startup-pairs 21] [--flat N] [--skip-peer] [--skip-dask]
                                [--only batch,startup,jobs,memory,progress,summarize,dask,peer]

Every ratio comes from A/B runs interleaved pair by pair (A, B, A, B...), so a
machine that slows down mid-run slows both sides. Each row reports the median
of the per-pair ratios and their min-max, for CPU time (user + system of the
process and its children, from wait4) and for wall time.

Rows:
  batch     ``suggest DIR --format jsonl`` against ``floor.py`` (read, strict C-loader
            parse, compiled schema validation, json.dumps of a 1 KB dict), on the
            project corpus and on an acceptance-shaped one (small profiles);
  start-up  ``suggest one.yaml --format json`` against ``typer_floor.py``;
  --jobs    ``--jobs 2`` against ``--jobs 1`` (wall), and the main process's share
            of the CPU (the tool reports its own and its workers' CPU when
            MYOSITIS_BENCH_RUSAGE names a file), with the Amdahl bound on 16 cores;
  memory    peak RSS of the large corpus against the small one, serial and --jobs 2;
            with --flat N, a flat folder of N files against the nested corpus;
  progress  the progress bar (stderr on a terminal) against --quiet;
  dask      ``myositis_cli.dask.suggest_bag`` on a 2-worker LocalCluster against
            ``--jobs 2``;
  summarize ``myositis summarize`` of the batch's records (time, peak RSS);
  peer      ``check-jsonschema`` validating the same files against the profile schema
            (it only validates), if it is installed.

The corpora are generated into benchmarks/corpus/ (git-ignored) on first use,
and the installed package is byte-compiled first, as ``pip install`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import pty
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROWS = ("batch", "startup", "jobs", "memory", "progress", "summarize", "dask", "peer")
HERE = Path(__file__).resolve().parent
PYTHON = sys.executable
MYOSITIS = (
    str(Path(PYTHON).parent / "myositis")
    if (Path(PYTHON).parent / "myositis").exists()
    else shutil.which("myositis")
)


def corpus(count: int, shape: str = "project", flat: bool = False) -> Path:
    path = HERE / "corpus" / f"{shape}-{count}{'-flat' if flat else ''}"
    if not (path / "done").exists():
        shutil.rmtree(path, ignore_errors=True)
        command = [PYTHON, str(HERE / "generate.py"), str(path), str(count), "--shape", shape]
        subprocess.run([*command, *(["--flat"] if flat else [])], check=True)
        (path / "done").write_text("")
    return path


class Run:
    def __init__(self, wall: float, cpu: float, rss_kib: int) -> None:
        self.wall, self.cpu, self.rss_kib = wall, cpu, rss_kib


def timed(command: list[str], *, env: dict[str, str] | None = None, tty: bool = False) -> Run:
    """One run: wall seconds, CPU seconds (with its children) and peak RSS (KiB)."""
    started = time.perf_counter()
    master = slave = None
    drain = None
    with open(os.devnull, "wb") as sink:
        stderr: object = sink
        if tty:  # stderr on a terminal: the progress bar shows
            master, slave = pty.openpty()
            stderr = slave

            def read() -> None:
                try:
                    while os.read(master, 65536):
                        pass
                except OSError:
                    pass

            drain = threading.Thread(target=read, daemon=True)
            drain.start()
        process = subprocess.Popen(
            command, stdout=sink, stderr=stderr, env={**os.environ, **(env or {})}
        )
        _, status, usage = os.wait4(process.pid, 0)
    if slave is not None:
        os.close(slave)
    if master is not None:
        os.close(master)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"failed: {' '.join(command)}")
    return Run(elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def paired(a: list[str], b: list[str], pairs: int, **kwargs: object) -> tuple[list[Run], list[Run]]:
    """Interleaved runs of ``a`` and ``b`` (after one warm-up each), both under the
    same conditions (``env``, stderr on a terminal)."""
    timed(a, **kwargs)  # type: ignore[arg-type]
    timed(b, **kwargs)  # type: ignore[arg-type]
    first, second = [], []
    for _ in range(pairs):
        first.append(timed(a, **kwargs))  # type: ignore[arg-type]
        second.append(timed(b, **kwargs))  # type: ignore[arg-type]
    return first, second


def ratio(first: list[Run], second: list[Run], what: str) -> str:
    values = [getattr(x, what) / getattr(y, what) for x, y in zip(first, second, strict=True)]
    return f"{statistics.median(values):.2f}x ({min(values):.2f}-{max(values):.2f})"


def med(runs: list[Run], what: str) -> float:
    return statistics.median(getattr(r, what) for r in runs)


def byte_compile() -> str:
    where = subprocess.run(
        [PYTHON, "-c", "import myositis_cli, os; print(os.path.dirname(myositis_cli.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tempfile.gettempdir(),  # the installed package, not a checkout beside us
    ).stdout.strip()
    subprocess.run([PYTHON, "-m", "compileall", "-q", where], check=True)
    return where


def files(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.yaml"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--startup-pairs", type=int, default=21)
    parser.add_argument("--flat", type=int, default=0, help="also a flat folder of N files")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated rows (default: all)")
    args = parser.parse_args()
    chosen = {r for r in args.only.split(",") if r}
    unknown = chosen - set(ROWS)
    if unknown:
        raise SystemExit(f"unknown rows {sorted(unknown)}: choose from {', '.join(ROWS)}")

    def want(row: str) -> bool:
        return not chosen or row in chosen

    if not MYOSITIS:
        raise SystemExit("install the project first: pip install .")
    package = byte_compile()
    big, small = corpus(args.cases), corpus(args.small)
    acceptance = corpus(args.cases, "acceptance")
    one = next(big.rglob("*.yaml"))
    n = files(big)
    rows: list[tuple[str, str, str]] = []
    print(
        f"myositis benchmark: {n:,} cases, {os.cpu_count()} CPUs, Python "
        f"{sys.version.split()[0]}, package {package}, {args.pairs} pairs per row",
        flush=True,
    )

    def suggest(*extra: str, folder: Path = big) -> list[str]:
        return [MYOSITIS, "suggest", str(folder), "--format", "jsonl", "--quiet", *extra]

    for label, folder in (("project", big), ("acceptance", acceptance)) if want("batch") else ():
        tool, floor = paired(
            suggest(folder=folder), [PYTHON, str(HERE / "floor.py"), str(folder)], args.pairs
        )
        rows.append(
            (
                f"batch, {label} corpus (per case {1000 * med(tool, 'cpu') / n:.3f} ms CPU, "
                f"floor {1000 * med(floor, 'cpu') / n:.3f})",
                ratio(tool, floor, "cpu"),
                ratio(tool, floor, "wall"),
            )
        )
        print(rows[-1], flush=True)

    if want("startup"):
        start, start_floor = paired(
            [MYOSITIS, "suggest", str(one), "--format", "json"],
            [PYTHON, str(HERE / "typer_floor.py"), str(one), "--format", "json"],
            args.startup_pairs,
        )
        rows.append(
            (
                f"start-up (tool {1000 * med(start, 'cpu'):.0f} ms CPU, floor "
                f"{1000 * med(start_floor, 'cpu'):.0f} ms)",
                ratio(start, start_floor, "cpu"),
                ratio(start, start_floor, "wall"),
            )
        )
        print(rows[-1], flush=True)

    usage_file = Path(tempfile.mkstemp(suffix=".json")[1])
    env = {"MYOSITIS_BENCH_RUSAGE": str(usage_file)}
    two: list[Run] = []
    one_job: list[Run] = []
    if want("jobs") or want("dask") or want("peer"):
        two, one_job = paired(suggest("--jobs", "2"), suggest(), args.pairs, env=env)
    if want("jobs"):
        shares = []
        for _ in range(max(1, args.pairs // 2)):
            timed(suggest("--jobs", "2", "-o", str(usage_file.with_suffix(".jsonl"))), env=env)
            usage = json.loads(usage_file.read_text())
            shares.append(usage["main_cpu"] / (usage["main_cpu"] + usage["workers_cpu"]))
        share = statistics.median(shares)
        amdahl = 1 / (share + (1 - share) / 16)
        speed = [b.wall / a.wall for a, b in zip(two, one_job, strict=True)]
        rows.append(
            (
                f"--jobs 2 against --jobs 1: {statistics.median(speed):.2f}x faster "
                f"({min(speed):.2f}-{max(speed):.2f}); main process {100 * share:.1f}% of the CPU "
                f"(writing to a file), so at most {amdahl:.1f}x on 16 cores",
                "",
                "",
            )
        )
        print(rows[-1], flush=True)

    if want("memory"):
        for extra, name in (((), "serial"), (("--jobs", "2"), "--jobs 2")):
            small_rss = max(timed(suggest(*extra, folder=small), env=env).rss_kib for _ in range(2))
            main_small = json.loads(usage_file.read_text())["main_max_rss_kib"]
            big_rss = max(timed(suggest(*extra), env=env).rss_kib for _ in range(2))
            main_big = json.loads(usage_file.read_text())["main_max_rss_kib"]
            rows.append(
                (
                    f"peak RSS {name}, {n:,} against {files(small):,} cases: main process "
                    f"{main_big / 1024:.1f} against {main_small / 1024:.1f} MiB",
                    f"{main_big / main_small:.2f}x",
                    f"largest process {big_rss / 1024:.1f} / {small_rss / 1024:.1f} MiB",
                )
            )
            print(rows[-1], flush=True)
        if args.flat:
            flat = corpus(args.flat, flat=True)
            nested = corpus(args.flat)
            flat_rss = timed(suggest(folder=flat), env=env).rss_kib
            nested_rss = timed(suggest(folder=nested), env=env).rss_kib
            rows.append(
                (
                    f"a flat folder of {args.flat:,} files against the same nested",
                    f"+{(flat_rss - nested_rss) / 1024:.1f} MiB",
                    "",
                )
            )
            print(rows[-1], flush=True)

    if want("progress"):
        bar, quiet = paired(
            [
                MYOSITIS,
                "suggest",
                str(big),
                "--format",
                "jsonl",
                "-o",
                str(usage_file.with_suffix(".out")),
            ],
            suggest("-o", str(usage_file.with_suffix(".out2"))),
            max(2, args.pairs // 2),
            tty=True,
        )
        rows.append(
            (
                "progress bar (stderr on a terminal) against --quiet",
                ratio(bar, quiet, "cpu"),
                ratio(bar, quiet, "wall"),
            )
        )
        print(rows[-1], flush=True)

    if want("summarize"):
        records = usage_file.with_suffix(".records.jsonl")
        timed(suggest("-o", str(records)))
        summary = timed([MYOSITIS, "summarize", str(records), "--format", "json"])
        size = records.stat().st_size
        rows.append(
            (
                f"summarize {n:,} records ({size / 1e6:.0f} MB): {summary.wall:.2f} s, peak RSS "
                f"{summary.rss_kib / 1024:.1f} MiB",
                "",
                "",
            )
        )
        print(rows[-1], flush=True)

    if want("dask") and not args.skip_dask:
        script = (
            "import sys, glob\n"
            "from dask.distributed import LocalCluster, Client\n"
            "import dask.bag as db\n"
            "from myositis_cli.dask import suggest_bag\n"
            "paths = sorted(glob.glob(sys.argv[1] + '/**/*.yaml', recursive=True))\n"
            "with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,\n"
            "                  dashboard_address=':0') as cluster, Client(cluster):\n"
            "    bag = db.from_sequence(paths, npartitions=40)\n"
            "    print(suggest_bag(bag).count().compute())\n"
        )
        try:
            dask_run = timed([PYTHON, "-c", script, str(big)])
            jobs = med(two, "wall")
            rows.append(
                (
                    f"dask LocalCluster, 2 workers: {dask_run.wall:.1f} s against --jobs 2 {jobs:.1f} s",
                    f"{dask_run.wall / jobs:.2f}x",
                    "",
                )
            )
        except SystemExit as exc:
            rows.append((f"dask: not run ({exc})", "", ""))
        print(rows[-1], flush=True)

    sibling = Path(PYTHON).parent / "check-jsonschema"
    peer = str(sibling) if sibling.exists() else shutil.which("check-jsonschema")
    if want("peer") and peer and not args.skip_peer:
        paths = sorted(str(p) for p in big.rglob("*.yaml"))
        schema = str(HERE.parent / "schemas" / "profile.schema.json")
        started = time.perf_counter()
        peer_cpu = 0.0
        for i in range(0, len(paths), 2000):
            done = subprocess.Popen(
                [peer, "--schemafile", schema, *paths[i : i + 2000]],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _, _, usage = os.wait4(done.pid, 0)
            peer_cpu += usage.ru_utime + usage.ru_stime
        peer_wall = time.perf_counter() - started
        rows.append(
            (
                f"peer: check-jsonschema validating the same {n:,} files: {peer_wall:.1f} s wall",
                f"{peer_cpu / med(one_job, 'cpu'):.2f}x the CPU of suggest",
                "",
            )
        )
        print(rows[-1], flush=True)

    print()
    print(f"{'measure':100} {'CPU ratio':>22} {'wall ratio':>22}")
    for name, cpu, wall in rows:
        print(f"{name:100} {cpu:>22} {wall:>22}")


if __name__ == "__main__":
    main()
