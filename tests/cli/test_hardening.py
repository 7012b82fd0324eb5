"""No silent wrong answer, no destroyed file, no hang: attacks and faults, as a user meets them.

Each test runs the installed ``myositis`` script (or, for worker death and
the cache, the pieces in-process) and checks the documented answer. Timeouts
are generous and only there to turn a hang into a failure; speed itself is
measured in benchmarks/hostile.py, never asserted here.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from helpers import EXAMPLES, PATHWAY_FILE, SCRIPT

HOSTILE = Path(__file__).resolve().parent.parent / "hostile"
GOOD = EXAMPLES / "refractory-dm-skin.yaml"
PREGNANT = EXAMPLES / "pregnant-dermatomyositis.yaml"


def run(
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
    **kwargs: object,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NO_COLOR": "1", **(env or {})},
        cwd=cwd,
        **kwargs,  # type: ignore[call-overload]
    )
    assert "Traceback" not in proc.stderr + proc.stdout
    return proc


def wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Poll until ``condition()`` holds (a busy machine only makes this slower)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


def records(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines()]


# ---------------------------------------------------------------- no silent wrong answer


@pytest.mark.parametrize(
    ("written", "meant"), [("060", "60"), ("013", "13"), ("021", "21"), ("-013", "-13")]
)
def test_a_zero_padded_number_is_never_silently_another(
    tmp_path: Path, written: str, meant: str
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(f"id: z\nage: {written}\ndiagnosis: {{subtype: dermatomyositis}}\n")
    proc = run("suggest", str(case), "-f", "jsonl")
    (rec,) = records(proc.stdout)
    assert proc.returncode == 1 and rec["status"] == "error"
    assert rec["error"]["path"] == "/age" and rec["error"]["line"] == 2  # type: ignore[index]
    assert f"'{written}' is a zero-padded number" in proc.stderr
    assert f"write {meant}" in proc.stderr


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1:05", "is a base-60 number in YAML 1.1 (65)"),
        ("0x3C", "is a hexadecimal number (60)"),
        ("0b111100", "is a binary number (60)"),
        ("6_0", "has underscores, which YAML 1.1 drops (60); write 60"),
    ],
)
def test_yaml11_number_forms_are_errors_that_say_how_to_write_them(
    tmp_path: Path, value: str, fragment: str
) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(
        f"id: z\nage: 40\ndiagnosis: {{subtype: polymyositis}}\nsafety: {{egfr: {value}}}\n"
    )
    proc = run("suggest", str(case))
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"{case}:4:16: /safety/egfr: '{value}' {fragment}")


def test_a_merged_duplicate_is_refused_not_read_as_the_last(tmp_path: Path) -> None:
    proc = run("suggest", str(HOSTILE / "merge-duplicate.yaml"), "-f", "jsonl")
    (rec,) = records(proc.stdout)
    assert rec["status"] == "error"
    assert "merge keys ('<<') are not allowed" in proc.stderr


def test_a_tampered_cache_entry_never_changes_the_bundled_answer(tmp_path: Path) -> None:
    from myositis_cli import cache, resources

    expected = run("suggest", str(PREGNANT), "-f", "jsonl").stdout
    # plant, for the bundled pathway's own key, data with every contraindication deleted
    raw = resources.default_pathway().read_bytes()
    data = yaml.safe_load(raw)
    for therapy in data["therapies"].values():
        therapy.pop("contraindications", None)
    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    env = {"MYOSITIS_CACHE_DIR": str(folder)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYOSITIS_CACHE_DIR", str(folder))
        (folder / f"pathway-{cache.key(raw)}.json").write_text(json.dumps(data))
    answered = run("suggest", str(PREGNANT), "-f", "jsonl", env=env).stdout
    assert answered == expected
    (rec,) = records(answered)
    assert {"methotrexate", "mycophenolate"} <= {e["therapy"] for e in rec["excluded"]}  # type: ignore[union-attr]


def test_a_foreign_or_writable_cache_entry_is_ignored_and_rewritten(tmp_path: Path) -> None:
    from myositis_cli import cache

    pathway = tmp_path / "p.yaml"
    shutil.copy(PATHWAY_FILE, pathway)
    folder = tmp_path / "cache"
    env = {"MYOSITIS_CACHE_DIR": str(folder)}
    expected = run("suggest", str(PREGNANT), "--pathway", str(pathway), "-f", "jsonl", env=env)
    assert expected.returncode == 0
    (entry,) = folder.glob("pathway-*.json")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    data = json.loads(entry.read_text())
    for therapy in data["therapies"].values():
        therapy.pop("contraindications", None)
    entry.write_text(json.dumps(data))
    entry.chmod(0o666)  # writable by others: not trusted
    assert (
        run("suggest", str(PREGNANT), "--pathway", str(pathway), "-f", "jsonl", env=env).stdout
        == expected.stdout
    )
    entry.write_text("{not json")  # corrupt: ignored, never an exit 2
    entry.chmod(0o600)
    again = run("suggest", str(PREGNANT), "--pathway", str(pathway), "-f", "jsonl", env=env)
    assert again.returncode == 0 and again.stdout == expected.stdout
    assert json.loads(entry.read_text())["pathway"]["id"] == "refractory-myositis"  # rewritten
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYOSITIS_CACHE_DIR", str(folder))
        assert cache.read(entry.name[len("pathway-") : -len(".json")]) is not None
        folder.chmod(0o777)  # a folder others can write to: not used at all
        assert cache.read(entry.name[len("pathway-") : -len(".json")]) is None
        folder.chmod(0o700)


def test_the_cache_key_covers_schemas_and_version(monkeypatch: pytest.MonkeyPatch) -> None:
    from myositis_cli import cache, resources

    raw = PATHWAY_FILE.read_bytes()
    before = cache.key(raw)
    monkeypatch.setattr(resources, "schema_bytes", lambda name: b"{}")
    assert cache.key(raw) != before
    monkeypatch.undo()
    monkeypatch.setattr(cache, "__version__", "0.0.0")
    assert cache.key(raw) != before


def test_a_fifo_in_the_cache_is_never_opened(tmp_path: Path) -> None:
    from myositis_cli import cache

    folder = tmp_path / "cache"
    folder.mkdir(mode=0o700)
    os.mkfifo(folder / "pathway-abc.json")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYOSITIS_CACHE_DIR", str(folder))
        assert cache.read("abc") is None  # returns at once: O_NONBLOCK, then not a regular file


def test_cache_writes_through_a_random_exclusive_temporary(tmp_path: Path) -> None:
    from myositis_cli import cache

    folder = tmp_path / "cache"
    victim = tmp_path / "victim"
    victim.write_text("keep")
    folder.mkdir(mode=0o700)
    (folder / "pathway-k.json").symlink_to(victim)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYOSITIS_CACHE_DIR", str(folder))
        cache.write("k", {"a": 1})
    assert victim.read_text() == "keep"  # the link is replaced, never written through
    assert not (folder / "pathway-k.json").is_symlink()
    assert [p.name for p in folder.iterdir()] == ["pathway-k.json"]  # no temporary left


def test_no_home_means_no_cache_and_no_folder_named_tilde(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("HOME", "XDG_CACHE_HOME")}
    env["NO_COLOR"] = "1"
    pathway = tmp_path / "p.yaml"
    shutil.copy(PATHWAY_FILE, pathway)
    proc = subprocess.run(
        [SCRIPT, "suggest", str(GOOD), "--pathway", str(pathway)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0
    assert not (tmp_path / "~").exists()


@pytest.mark.parametrize("columns", ["0", "5", "39"])
def test_a_tiny_columns_clamps_and_keeps_the_options(columns: str) -> None:
    proc = run("suggest", str(GOOD), env={"COLUMNS": columns})
    assert proc.returncode == 0
    flat = " ".join(proc.stdout.split())
    assert "IVIg" in flat and "preferred" in flat and "Decision support" in flat
    assert "  1  " in proc.stdout or " 1   " in proc.stdout  # the rank survives


# ---------------------------------------------------------------- no destroyed or lost file


def test_output_that_is_an_input_the_pathway_or_inside_an_input_folder_is_refused(
    tmp_path: Path,
) -> None:
    case = tmp_path / "case.yaml"
    shutil.copy(GOOD, case)
    before = case.read_bytes()
    proc = run("suggest", str(case), "-o", str(case))
    assert proc.returncode == 2 and "is an input" in proc.stderr and case.read_bytes() == before
    link = tmp_path / "link.yaml"
    link.symlink_to(case)
    assert run("suggest", str(case), "-o", str(link)).returncode == 2  # same inode
    assert case.read_bytes() == before
    pathway = tmp_path / "p.yaml"
    shutil.copy(PATHWAY_FILE, pathway)
    proc = run("suggest", str(case), "--pathway", str(pathway), "-o", str(pathway))
    assert proc.returncode == 2 and "is the pathway" in proc.stderr
    assert pathway.read_bytes() == PATHWAY_FILE.read_bytes()
    proc = run("suggest", str(tmp_path), "-f", "jsonl", "-o", str(tmp_path / "out.jsonl"))
    assert proc.returncode == 2 and "inside the input folder" in proc.stderr
    assert not (tmp_path / "out.jsonl").exists()
    proc = run("validate", str(case), "-o", str(case))
    assert proc.returncode == 2 and case.read_bytes() == before


def test_output_is_written_whole_or_not_at_all(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for i in range(3000):
        shutil.copy(GOOD, corpus / f"c{i:04d}.yaml")
    out = tmp_path / "out"
    out.mkdir()
    report = out / "report.jsonl"
    report.write_text("the previous report\n")
    proc = subprocess.Popen(
        [SCRIPT, "suggest", str(corpus), "-f", "jsonl", "-o", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    temporary = lambda: [p for p in out.iterdir() if p.name.endswith(".tmp")]  # noqa: E731
    wait_for(lambda: any(p.stat().st_size > 0 for p in temporary()))  # writing has begun
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert report.read_text() == "the previous report\n"  # untouched, not half-written
    assert [p.name for p in out.iterdir()] == ["report.jsonl"]  # no temporary left
    small = tmp_path / "small"
    small.mkdir()
    for i in range(5):
        shutil.copy(GOOD, small / f"c{i}.yaml")
    done = run("suggest", str(small), "-f", "jsonl", "-o", str(report), "-q")
    assert done.returncode == 0 and len(report.read_text().splitlines()) == 5
    assert [p.name for p in out.iterdir()] == ["report.jsonl"]


def _report_bytes(tmp_path: Path) -> bytes:
    """The JSON report of GOOD, as -o writes it to a new regular file."""
    plain = tmp_path / "plain" / "report.json"
    plain.parent.mkdir()
    assert run("suggest", str(GOOD), "-f", "json", "-o", str(plain)).returncode == 0
    return plain.read_bytes()


def test_output_to_what_is_not_a_file_writes_into_it_and_never_replaces_it(
    tmp_path: Path,
) -> None:
    # renaming the report over a device put a regular file where it was: as
    # root, -o /dev/null broke the machine's /dev/null
    expected = _report_bytes(tmp_path)
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    proc = run("suggest", str(GOOD), "-f", "json", "-o", str(fifo))
    reader.join(timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert received == [expected] and stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain", "report.fifo"]  # no temporary
    if os.geteuid() == 0:  # a /dev/null of its own, in the test's folder
        device = tmp_path / "null"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        for jobs in ("1", "2"):
            proc = run("suggest", str(EXAMPLES), "-f", "jsonl", "-o", str(device), "--jobs", jobs)
            assert proc.returncode == 0, proc.stderr
            assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_output_to_an_inherited_descriptor_is_written_to_it(tmp_path: Path) -> None:
    # /dev/fd/N is what a shell's >(...) passes; /dev/stdout is the same case
    expected = _report_bytes(tmp_path)
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as pipe:
        proc = subprocess.run(
            [SCRIPT, "suggest", str(GOOD), "-f", "json", "-o", f"/dev/fd/{write_end}"],
            pass_fds=(write_end,),
            capture_output=True,
            timeout=60,
        )
        os.close(write_end)
        assert proc.returncode == 0, proc.stderr
        assert pipe.read() == expected
    appended = tmp_path / "log.jsonl"
    appended.write_text("the log so far\n")
    with open(appended, "ab") as log:  # >> log: appended to, never truncated
        proc = subprocess.run(
            [SCRIPT, "suggest", str(GOOD), "-f", "jsonl", "-o", "/dev/stdout"],
            stdout=log,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    assert proc.returncode == 0, proc.stderr
    lines = appended.read_text().splitlines()
    assert lines[0] == "the log so far" and json.loads(lines[1])["status"] == "ok"


def test_output_through_a_symbolic_link_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "reports" / "today.json"
    real.parent.mkdir()
    real.write_text("the previous report\n")
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    proc = run("suggest", str(GOOD), "-f", "json", "-o", str(link))
    assert proc.returncode == 0, proc.stderr
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert json.loads(real.read_text())[0]["status"] == "ok"
    assert sorted(p.name for p in real.parent.iterdir()) == ["today.json"]
    dangling = tmp_path / "next.json"
    dangling.symlink_to(tmp_path / "reports" / "tomorrow.json")
    assert run("suggest", str(GOOD), "-f", "json", "-o", str(dangling)).returncode == 0
    assert dangling.is_symlink() and (tmp_path / "reports" / "tomorrow.json").is_file()


def test_the_descriptor_a_path_names() -> None:
    from myositis_cli.outputs import named_descriptor

    assert named_descriptor(Path("/dev/stdout")) == 1
    assert named_descriptor(Path("/dev/stderr")) == 2
    assert named_descriptor(Path("/dev/fd/63")) == 63
    assert named_descriptor(Path("/proc/self/fd/3")) == 3
    assert named_descriptor(Path(f"/proc/{os.getpid()}/fd/4")) == 4
    for other in ("/dev/null", "/dev/fd/x", "/dev/fd/", "/dev/fd/٣", "report.json", "/proc/1/fd/3"):
        assert named_descriptor(Path(other)) is None, other


def test_an_unreadable_folder_is_a_permission_denied_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from myositis_cli import batch

    top = tmp_path / "cases"
    (top / "locked").mkdir(parents=True)
    shutil.copy(GOOD, top / "a.yaml")
    real = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(batch.os, "scandir", scandir)
    sources = list(batch.expand([str(top)]))
    assert [(s.label, s.problem.message if s.problem else None) for s in sources] == [
        (str(top / "a.yaml"), None),
        (str(top / "locked"), "permission denied: cannot list this folder"),
    ]


def test_an_unreadable_folder_through_the_installed_script() -> None:
    import tempfile

    base = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        base.chmod(0o755)
        top = base / "cases"
        (top / "locked").mkdir(parents=True)
        shutil.copy(GOOD, top / "a.yaml")
        top.chmod(0o755)
        (top / "a.yaml").chmod(0o644)
        (top / "locked").chmod(0)
        command = [SCRIPT, "suggest", str(top), "-f", "jsonl"]
        if os.geteuid() == 0:  # root reads any folder: run as nobody
            setpriv = shutil.which("setpriv")
            if setpriv is None:
                pytest.skip("running as root without setpriv: cannot drop privileges")
            command = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        proc = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=base,
            env={"PATH": os.environ.get("PATH", ""), "NO_COLOR": "1", "MYOSITIS_NO_CACHE": "1"},
        )
        if proc.returncode in (126, 127) or (not proc.stdout and "ermission denied" in proc.stderr):
            pytest.skip("the unprivileged user cannot run this interpreter")
        got = records(proc.stdout)
        assert [r["status"] for r in got] == ["ok", "error"]
        assert got[1]["error"]["message"] == "permission denied: cannot list this folder"  # type: ignore[index]
        assert proc.returncode == 1
    finally:
        (base / "cases" / "locked").chmod(0o755)
        shutil.rmtree(base)


def test_init_never_writes_through_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.txt"
    link = tmp_path / "new.yaml"
    link.symlink_to(target)
    for args in ([str(link)], [str(link), "--force"]):
        proc = run("init", *args)
        assert proc.returncode == 2
        assert not target.exists()


def test_diff_refuses_a_revision_that_looks_like_an_option(tmp_path: Path) -> None:
    proc = run(
        "pathway",
        "diff",
        "--cases",
        str(EXAMPLES),
        "--",
        "--output=/tmp/x:p.yaml",
        str(PATHWAY_FILE),
    )
    assert proc.returncode == 2 and "a revision may not start with '-'" in proc.stderr


@pytest.mark.parametrize("brk", ["\r", "\r\n", "\u2028", "\u2029", "\x85"])
def test_every_yaml_line_break_splits_documents_like_lf(tmp_path: Path, brk: str) -> None:
    text = GOOD.read_text().replace("\n", brk)
    stream = tmp_path / "stream.yaml"
    stream.write_text(f"{text}{brk}---{brk}{text.replace('case-017', 'case-018')}", newline="")
    got = records(run("suggest", str(stream), "-f", "jsonl").stdout)
    assert [r["id"] for r in got] == ["case-017", "case-018"]
    assert [r["status"] for r in got] == ["ok", "ok"]


def test_one_hostile_case_never_aborts_diff_or_test(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    for name in ("python-tag.yaml", "alias-bomb.yaml", "scalar.yaml", "non-ascii-digit-key.yaml"):
        shutil.copy(HOSTILE / name, cases / name)
    shutil.copy(GOOD, cases / "zz-good.yaml")
    proc = run("pathway", "diff", str(PATHWAY_FILE), str(PATHWAY_FILE), "--cases", str(cases))
    assert proc.returncode in (0, 1)
    assert "4 invalid (not compared)" in proc.stderr
    assert "hello" not in proc.stdout  # a string document's own text is never its error
    test = run("pathway", "test", "--pathway", str(PATHWAY_FILE), "--cases", str(cases))
    assert test.returncode == 1 and "golden case(s)" in test.stdout


# ---------------------------------------------------------------- no hang


def test_a_fifo_named_yaml_is_an_io_record_never_opened(tmp_path: Path) -> None:
    folder = tmp_path / "cases"
    folder.mkdir()
    shutil.copy(GOOD, folder / "a.yaml")
    os.mkfifo(folder / "b.yaml")
    proc = run("suggest", str(folder), str(folder / "b.yaml"), "-f", "jsonl", timeout=30)
    got = records(proc.stdout)
    assert [r["status"] for r in got] == ["ok", "error", "error"]
    assert got[1]["error"]["message"] == "not a regular file (a FIFO); use - for standard input"  # type: ignore[index]
    assert proc.returncode == 1


def test_ctrl_c_and_sigterm_with_jobs_exit_promptly_and_cleanly(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    corpus.mkdir()
    for i in range(3000):
        shutil.copy(GOOD, corpus / f"c{i:04d}.yaml")
    for sig, code, group in ((signal.SIGINT, 130, True), (signal.SIGTERM, 143, False)):
        proc = subprocess.Popen(
            [SCRIPT, "suggest", str(corpus), "-f", "jsonl", "--jobs", "2"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        assert proc.stdout is not None
        proc.stdout.readline()  # records are flowing: the workers are running
        (os.killpg if group else os.kill)(proc.pid, sig)
        started = time.monotonic()
        _, err = proc.communicate(timeout=10)  # a hang fails here
        assert proc.returncode == code
        assert time.monotonic() - started < 5
        assert b"Traceback" not in err
        time.sleep(0.2)
        left = subprocess.run(["pgrep", "-f", str(corpus)], capture_output=True, text=True)
        assert left.stdout.strip() == "", "no worker outlives the command"


def test_a_pathway_too_complex_to_analyse_is_named_not_hung(tmp_path: Path) -> None:
    data = yaml.safe_load(PATHWAY_FILE.read_text())
    leaves = [{"field": "age", "at_least": n} for n in range(5)]
    explosive = {"all": [{"any": leaves} for _ in range(30)]}  # 5**30 terms in normal form
    data["tree"]["children"].append({"id": "explosive", "title": "Explosive", "when": explosive})
    pathway = tmp_path / "p.yaml"
    pathway.write_text(yaml.safe_dump(data, sort_keys=False))
    proc = run("pathway", "check", str(pathway), "--cases", str(tmp_path), timeout=120)
    assert "[reachability-skipped] (explosive)" in proc.stdout
    assert "warning" in proc.stdout


# ---------------------------------------------------------------- no crash, one clear line


@pytest.mark.parametrize("args", [["suggest", str(GOOD)], ["--version"], ["--help"]])
def test_a_full_disk_is_a_write_error_line(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [SCRIPT, *args], stdout=full, stderr=subprocess.PIPE, text=True, timeout=60
        )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines()[-1] == (
        "myositis: cannot write standard output: No space left on device"
    )


def test_closed_standard_streams_give_one_line_and_an_exit_code() -> None:
    closed_out = subprocess.run(
        f"{SCRIPT} suggest {GOOD} >&-",
        shell=True,
        capture_output=False,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert closed_out.returncode == 2
    assert closed_out.stderr.strip() == "myositis: cannot write standard output: it is closed"
    closed_err = subprocess.run(
        f"{SCRIPT} suggest nope.yaml 2>&-", shell=True, stdout=subprocess.PIPE
    )
    assert closed_err.returncode == 1
    closed_in = subprocess.run(
        f"{SCRIPT} suggest - -f jsonl <&-", shell=True, capture_output=True, text=True
    )
    assert closed_in.returncode == 1
    assert json.loads(closed_in.stdout)["error"]["message"] == "standard input is closed"


def test_an_ascii_stdout_gets_valid_escaped_output() -> None:
    env = {"PYTHONIOENCODING": "ascii"}
    jsonl = run("suggest", str(GOOD), "-f", "jsonl", env=env)
    assert jsonl.returncode == 0 and jsonl.stdout.isascii()
    assert "TIF1γ" in jsonl.stdout.encode().decode("unicode_escape") or "\\u03b3" in jsonl.stdout
    assert json.loads(jsonl.stdout)["status"] == "ok"
    table = run("suggest", str(GOOD), env=env)
    assert table.returncode == 0 and "Decision support" in table.stdout


def test_a_non_utf8_file_name_gives_valid_utf8_json(tmp_path: Path) -> None:
    name = os.fsencode(str(tmp_path)) + b"/case\xff.yaml"
    shutil.copy(GOOD, name)
    proc = subprocess.run(
        [SCRIPT, "suggest", os.fsencode(str(tmp_path)), "-f", "jsonl"],
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 0
    rec = json.loads(proc.stdout.decode("utf-8"))  # valid UTF-8
    assert rec["source"].endswith("case\\xff.yaml")


def test_control_characters_in_file_names_never_reach_the_terminal(tmp_path: Path) -> None:
    evil = tmp_path / "x\x1b[2Jy\nz.yaml"
    shutil.copy(GOOD, evil)
    missing = str(tmp_path / "gone\x1b[31m.yaml")
    for fmt in ("table", "markdown"):
        proc = run("suggest", str(evil), missing, "-f", fmt, "--detail")
        assert "\x1b" not in proc.stdout + proc.stderr  # no raw escape anywhere
        unwrapped = "".join(proc.stdout.replace("│", "").split())  # the table may wrap the name
        assert "x\\x1b[2Jy\\nz.yaml" in unwrapped
        assert "gone\\x1b[31m.yaml: no such file or directory" in proc.stderr
    markdown = run("suggest", str(evil), "-f", "markdown").stdout
    assert "y\\nz.yaml" in markdown  # the newline does not break the note


def test_integers_past_the_digit_limit_and_huge_size_limits(tmp_path: Path) -> None:
    proc = run("suggest", str(HOSTILE / "huge-integer.yaml"))
    assert proc.returncode == 1 and "number with 5,000 digits is too long" in proc.stderr
    big = run("suggest", str(GOOD), "--max-file-size", str(10**18))
    assert big.returncode == 0


def test_jobs_starts_no_idle_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    from myositis_cli import batch, parallel
    from myositis_cli.api import load_pathway
    from myositis_cli.pipeline import Pipeline

    started: list[object] = []
    real = parallel._Worker

    def counting(*args: object) -> object:
        worker = real(*args)  # type: ignore[arg-type]
        started.append(worker)
        return worker

    monkeypatch.setattr(parallel, "_Worker", counting)
    blocks = list(parallel.run_blocks(Pipeline(load_pathway()), batch.expand([str(GOOD)]), 16))
    assert sum(b.ok for b in blocks) == 1
    assert len(started) == 1  # one input: one worker, though 16 were allowed


class _Poisoned:
    """A pipeline whose worker dies (SIGKILL) on files named poison*.yaml."""

    def __init__(self, real: object, always: bool) -> None:
        self.real = real
        self.always = always
        self.limits = real.limits  # type: ignore[attr-defined]

    def run_bytes(self, label: str, raw: bytes, fmt: str = "yaml"):  # type: ignore[no-untyped-def]
        marker = Path(label).parent / ".killed"
        if Path(label).name.startswith("poison") and (self.always or not marker.exists()):
            marker.touch()
            os.kill(os.getpid(), signal.SIGKILL)
        return self.real.run_bytes(label, raw, fmt)  # type: ignore[attr-defined]


@pytest.mark.parametrize("always", [False, True])
def test_a_worker_that_dies_costs_no_case(tmp_path: Path, always: bool) -> None:
    from myositis_cli import batch, parallel
    from myositis_cli.api import load_pathway
    from myositis_cli.pipeline import Pipeline

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("the poisoned pipeline reaches workers only through fork")
    for i in range(30):
        shutil.copy(GOOD, tmp_path / f"c{i:02d}.yaml")
    shutil.copy(GOOD, tmp_path / "poison.yaml")
    pipeline = _Poisoned(Pipeline(load_pathway()), always)
    blocks = list(parallel.run_blocks(pipeline, batch.expand([str(tmp_path)]), 2))  # type: ignore[arg-type]
    results = [r for b in blocks for r in b.results]
    assert [Path(r.source).name for r in results] == sorted(p.name for p in tmp_path.glob("*.yaml"))
    poisoned = next(r for r in results if r.source.endswith("poison.yaml"))
    if always:  # it kills every worker that reads it: its own error record, the rest go on
        assert poisoned.problems[0].kind == "internal"
        assert "worker process died while reading this file (killed by signal 9), twice" in (
            poisoned.problems[0].message
        )
        assert sum(1 for r in results if r.ok) == 30
    else:  # killed once (an OOM kill, say): the retry gives the normal record
        assert all(r.ok for r in results)


def _encoded_run(
    tmp_path: Path, pipeline: object, sources: list[object], how: str, as_list: bool = False
) -> bytes:
    """Records of ``sources`` through two workers, written as ``suggest -o`` writes
    them: by the workers into the file (direct), copied by the kernel from the
    workers' memory files (spool), or sent as bytes and written here (pipe)."""
    from myositis_cli import parallel
    from myositis_cli.outputs import Report
    from myositis_cli.render.json import Encoder, separator, write_blocks

    target = tmp_path / f"out-{how}-{as_list}.json"
    os.environ["MYOSITIS_WORKER_OUTPUT"] = "auto" if how == "direct" else how
    with contextlib.ExitStack() as restore, Report(target) as report:
        restore.callback(os.environ.pop, "MYOSITIS_WORKER_OUTPUT")
        encoder = Encoder(
            pipeline.real.pathway if isinstance(pipeline, _Poisoned) else pipeline.pathway,  # type: ignore[attr-defined]
            pretty=as_list,
        )
        direct = parallel.direct_output(report.sink, as_list=as_list) if how == "direct" else None
        assert (direct is not None) == (how == "direct")
        blocks = parallel.encode_parallel(
            pipeline,  # type: ignore[arg-type]
            sources,  # type: ignore[arg-type]
            2,
            encoder,
            separator(as_list=as_list),
            direct,
        )

        def payloads():  # type: ignore[no-untyped-def]
            for block in blocks:
                if block.spooled or block.spool is not None:
                    assert block.written == (how == "direct")
                    assert (block.spool is not None) == (how == "spool")
                if block.written:
                    yield None
                else:
                    yield block.spool if block.spool is not None else block.data

        write_blocks(payloads(), report.sink, encoder, as_list=as_list)
        report.commit()
    return target.read_bytes()


@pytest.mark.parametrize("always", [False, True])
def test_workers_writing_the_file_survive_a_dying_worker(tmp_path: Path, always: bool) -> None:
    from myositis_cli import batch
    from myositis_cli.api import load_pathway
    from myositis_cli.pipeline import Pipeline

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("workers share the output file only when forked")
    cases = tmp_path / "cases"
    cases.mkdir()
    for i in range(40):
        shutil.copy(GOOD, cases / f"c{i:02d}.yaml")
    shutil.copy(GOOD, cases / "poison.yaml")
    sources = list(batch.expand([str(cases)]))
    reference = _encoded_run(tmp_path, Pipeline(load_pathway()), sources, "pipe")
    for as_list in (False, True):
        written = {}
        for how in ("direct", "spool", "pipe"):
            (cases / ".killed").unlink(missing_ok=True)
            poisoned = _Poisoned(Pipeline(load_pathway()), always)
            written[how] = _encoded_run(tmp_path, poisoned, sources, how, as_list)
        got = written["direct"]
        assert got == written["spool"] == written["pipe"]  # byte for byte, whoever wrote it
        records = json.loads(got) if as_list else [json.loads(x) for x in got.splitlines()]
        assert len(records) == 41
        if not always and not as_list:
            assert got == reference  # killed once: the retry gives the normal record


@pytest.mark.parametrize("always", [False, True])
def test_a_worker_dead_before_its_turn_to_write_costs_no_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, always: bool
) -> None:
    # The race behind a rare failure: a worker sends its block, is handed its
    # next chunk, dies on that chunk's first file, and only then is told to
    # write the block. Telling it must not end the batch on a broken pipe:
    # its block runs again elsewhere. A pause before the turn makes the
    # worker's death certain to come first.
    import time

    from myositis_cli import batch, parallel
    from myositis_cli.api import load_pathway
    from myositis_cli.pipeline import Pipeline

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("workers share the output file only when forked")
    cases = tmp_path / "cases"
    cases.mkdir()
    first = parallel.FIRST_CHUNK + 2 * parallel.FIRST_CHUNK  # the first two chunks
    for i in range(first):
        shutil.copy(GOOD, cases / f"c{i:02d}.yaml")
    shutil.copy(GOOD, cases / "poison.yaml")  # sorted after them: the third chunk's first file
    for i in range(5):
        shutil.copy(GOOD, cases / f"z{i}.yaml")
    sources = list(batch.expand([str(cases)]))
    reference = _encoded_run(tmp_path, Pipeline(load_pathway()), sources, "pipe")
    framing = parallel._framing

    def late(direct: object, turn: object) -> object:
        time.sleep(0.1)  # the worker meets the poison meanwhile
        return framing(direct, turn)  # type: ignore[arg-type]

    monkeypatch.setattr(parallel, "_framing", late)
    poisoned = _Poisoned(Pipeline(load_pathway()), always)
    got = _encoded_run(tmp_path, poisoned, sources, "direct")
    records = [json.loads(line) for line in got.splitlines()]
    assert [Path(r["source"]).name for r in records] == sorted(p.name for p in cases.glob("*.yaml"))
    if always:
        (dead,) = [r for r in records if r["status"] != "ok"]
        assert Path(dead["source"]).name == "poison.yaml"
    else:
        assert got == reference


def test_a_worker_killed_while_writing_leaves_no_half_block(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from myositis_cli import batch, parallel
    from myositis_cli.api import load_pathway
    from myositis_cli.pipeline import Pipeline

    if "fork" not in __import__("multiprocessing").get_all_start_methods():
        pytest.skip("workers share the output file only when forked")
    cases = tmp_path / "cases"
    cases.mkdir()
    for i in range(60):
        shutil.copy(GOOD, cases / f"c{i:02d}.yaml")
    sources = list(batch.expand([str(cases)]))
    pipeline = Pipeline(load_pathway())
    expected = _encoded_run(tmp_path, pipeline, sources, "pipe")
    main, marker = os.getpid(), tmp_path / ".cut"
    real_write_all = parallel.write_all

    def dies_halfway(fd: int, data: bytes | memoryview) -> None:
        if os.getpid() != main and len(data) > 10_000 and not marker.exists():
            marker.touch()
            real_write_all(fd, memoryview(data)[: len(data) // 2])
            os.kill(os.getpid(), signal.SIGKILL)  # half a block in the file
        real_write_all(fd, data)

    monkeypatch.setattr(parallel, "write_all", dies_halfway)  # workers are forked with it
    got = _encoded_run(tmp_path, pipeline, sources, "direct")
    assert marker.exists()  # a worker did die mid-block
    assert got == expected


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_file_size_limit_is_one_line_and_no_file(tmp_path: Path, jobs: str) -> None:
    # with --jobs the workers write the file themselves: their failure is still one line
    import resource

    cases = tmp_path / "cases"
    cases.mkdir()
    for i in range(60):
        shutil.copy(GOOD, cases / f"c{i:02d}.yaml")
    target = tmp_path / "out.jsonl"

    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (200_000, 200_000))  # about 12 records

    proc = subprocess.run(
        [SCRIPT, "suggest", str(cases), "-f", "jsonl", "--jobs", jobs, "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=limited,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [f"myositis: cannot write {target}: File too large"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cases"]  # nothing half-written


@pytest.mark.skipif(
    not os.path.exists("/proc/self/fd") and sys.platform != "darwin",
    reason="the system cannot name the file standard output goes to",
)
def test_standard_output_redirected_into_an_input_folder_is_refused(tmp_path: Path) -> None:
    # `myositis suggest . > out.jsonl` read its own records back as cases:
    # 2 ok cases became "4 cases: 2 ok, 2 failed" with a screen of unknown keys
    folder = tmp_path / "cases"
    folder.mkdir()
    for name in ("a.yaml", "b.yaml"):
        shutil.copy(GOOD, folder / name)
    inside = folder / "out.jsonl"
    with inside.open("wb") as out:
        done = subprocess.run(
            [SCRIPT, "suggest", ".", "-f", "jsonl"], cwd=folder, stdout=out, stderr=subprocess.PIPE
        )
    assert done.returncode == 2
    message = done.stderr.decode()
    assert message.startswith("standard output (") and "inside the input folder ." in message
    assert inside.read_bytes() == b""
    outside = tmp_path / "out.jsonl"
    with outside.open("wb") as out:  # beside the folder: written as ever
        done = subprocess.run([SCRIPT, "suggest", str(folder), "-f", "jsonl"], stdout=out)
    assert done.returncode == 1  # the shell's empty out.jsonl inside is now an input
    assert [r["status"] for r in records(outside.read_text())] == ["ok", "ok", "error"]
    piped = run("suggest", str(folder / "a.yaml"), "-f", "jsonl")  # a pipe: nothing to check
    assert piped.returncode == 0
