"""Data teams' inputs and outputs, through the installed script: JSON, JSON Lines, CSV,
file lists, the published record and the cohort summary."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from helpers import EXAMPLES, SCRIPT

from myositis_cli import resources
from myositis_cli.flat import columns

RECORD = jsonschema.Draft202012Validator(resources.schema("record"))
PROFILE = {
    "id": "dm-1",
    "age": 52,
    "sex": "female",
    "diagnosis": {"subtype": "dermatomyositis", "autoantibodies": ["tif1g"]},
    "glucocorticoids": {"current_dose_mg": 10, "months": 8},
    "history": [{"therapy": "methotrexate", "months": 6, "outcome": "inadequate_response"}],
    "safety": {"pregnancy": "none", "egfr": 75},
}


def myositis(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    return subprocess.run([SCRIPT, *args], input=data, capture_output=True, timeout=120)


def records(out: bytes) -> list[dict[str, Any]]:
    found = [json.loads(line) for line in out.splitlines() if line.strip()]
    for rec in found:
        assert RECORD.is_valid(rec), next(RECORD.iter_errors(rec)).message[:300]
    return found


def test_json_lines_with_one_bad_line_keeps_the_others(tmp_path: Path) -> None:
    lines = [
        json.dumps(PROFILE),
        '{"id": "broken", "age": 50,,}',
        json.dumps({**PROFILE, "id": "dm-3"})[:-1] + ', "age": 53}',  # a duplicate key
        json.dumps({**PROFILE, "id": "dm-4"}),
    ]
    batch = tmp_path / "cohort.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    done = myositis("suggest", str(batch), "-f", "jsonl")
    assert done.returncode == 1
    got = records(done.stdout)
    assert [r["status"] for r in got] == ["ok", "error", "error", "ok"]
    assert [r["document"] for r in got] == [0, 1, 2, 3]
    assert got[3]["id"] == "dm-4"
    errors = done.stderr.decode().splitlines()
    assert errors[0].startswith(f"{batch}:2:")
    assert f"{batch}:3:" in errors[1] and "duplicate key 'age'" in errors[1]


def test_a_folder_picks_up_every_input_format(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(yaml.safe_dump({**PROFILE, "id": "y1"}))
    (tmp_path / "b.json").write_text(json.dumps({**PROFILE, "id": "j1"}))
    (tmp_path / "c.jsonl").write_text(json.dumps({**PROFILE, "id": "l1"}) + "\n")
    (tmp_path / "d.csv").write_text("id,age,diagnosis.subtype\nc1,60,polymyositis\n")
    (tmp_path / "notes.txt").write_text("not a profile")
    done = myositis("suggest", str(tmp_path), "-f", "jsonl")
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in records(done.stdout)] == ["y1", "j1", "l1", "c1"]


def test_a_csv_column_typo_is_named_with_the_column_it_meant(tmp_path: Path) -> None:
    table = tmp_path / "clinic.csv"
    table.write_text(
        "id,age,diagnosis.subtype,safety.pregancy,history.1.therapy,history.1.months\n"
        "r1,34,dermatomyositis,pregnant,MTX,6\n"
        "r2,61,polymyositis,,azathioprine,4\n"
    )
    done = myositis("suggest", str(table), "-f", "jsonl")
    assert done.returncode == 1
    first, second = records(done.stdout)
    assert first["status"] == "error" and first["error"]["kind"] == "csv"
    assert (
        "unknown column 'safety.pregancy' (did you mean safety.pregnancy?)"
        in (first["error"]["message"])
    )
    assert first["error"]["line"] == 2
    assert second["status"] == "ok" and second["id"] == "r2"
    assert (
        "unknown column 'safety.pregancy' (did you mean safety.pregnancy?)" in done.stderr.decode()
    )


def test_a_csv_saved_with_semicolons_or_tabs_reads_as_with_commas(tmp_path: Path) -> None:
    # a spreadsheet where the decimal mark is a comma saves ';'-separated cells
    rows = [
        ["id", "age", "diagnosis.subtype", "diagnosis.autoantibodies", "safety.egfr"],
        ["r1", "34", "antisynthetase_syndrome", "jo1;ro52", "55.5"],
        ["r2", "61", "polymyositis", "", ""],
    ]
    outputs = []
    for name, delimiter in (("comma.csv", ","), ("semi.csv", ";"), ("tab.csv", "\t")):
        table = tmp_path / name
        quoted = [[f'"{c}"' if ";" in c else c for c in row] for row in rows]
        table.write_text("\r\n".join(delimiter.join(row) for row in quoted) + "\r\n")
        done = myositis("suggest", str(table), "-f", "jsonl")
        assert done.returncode == 0, done.stderr
        outputs.append([{**r, "source": ""} for r in records(done.stdout)])
    assert outputs[0] == outputs[1] == outputs[2] and len(outputs[0]) == 2
    assert outputs[0][0]["subtype"] == "antisynthetase_syndrome"


def test_a_csv_whose_only_row_is_broken_gives_one_record(tmp_path: Path) -> None:
    table = tmp_path / "clinic.csv"
    table.write_text('id,age,diagnosis.subtype\n"r1,34,polymyositis\n')  # a quote never closed
    done = myositis("suggest", str(table), "-f", "jsonl")
    assert done.returncode == 1
    (only,) = records(done.stdout)  # and not a second "no rows" record beside it
    assert only["document"] == 0 and "unexpected end of data" in only["error"]["message"]
    assert done.stderr.decode().splitlines() == [
        f"{table}:2:1: row: unexpected end of data",
        "1 case: 0 ok, 1 failed",
    ]


def test_files_from_with_a_missing_path_gives_its_io_record(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(PROFILE))
    listing = f"{good}\n{tmp_path / 'gone.yaml'}\n"
    done = myositis("suggest", "--files-from", "-", "-f", "jsonl", stdin=listing)
    assert done.returncode == 1
    ok, missing = records(done.stdout)
    assert ok["status"] == "ok"
    assert missing["error"]["kind"] == "io" and missing["source"].endswith("gone.yaml")
    nul = myositis("suggest", "-T", "-", "-0", "-f", "jsonl", stdin=f"{good}\0{good}\0")
    assert [r["id"] for r in records(nul.stdout)] == ["dm-1", "dm-1"]


def test_json_and_yaml_of_the_same_profile_give_byte_identical_records() -> None:
    as_yaml = myositis("suggest", "-", "-f", "jsonl", stdin=yaml.safe_dump(PROFILE))
    as_json = myositis(
        "suggest", "-", "-f", "jsonl", "--input-format", "json", stdin=json.dumps(PROFILE)
    )
    as_line = myositis(
        "suggest", "-", "-f", "jsonl", "--input-format", "jsonl", stdin=json.dumps(PROFILE)
    )
    assert as_yaml.returncode == 0 and as_yaml.stdout
    assert as_yaml.stdout == as_json.stdout == as_line.stdout


def test_the_published_contracts_print(tmp_path: Path) -> None:
    schema = myositis("schema", "record")
    assert schema.returncode == 0
    assert json.loads(schema.stdout) == resources.schema("record")
    contract = myositis("schema", "csv")
    rows = contract.stdout.decode().splitlines()
    assert rows[0] == "column,type,values,required,since_version,description"
    named = [row.split(",", 1)[0] for row in rows[1:]]
    assert named == list(columns()) and "safety.pregnancy" in named
    assert "history.N.therapy" in named


def test_references_once_gives_one_header_line_then_the_records() -> None:
    done = myositis("suggest", str(EXAMPLES), "-f", "jsonl", "--references", "once", "-q")
    head, *rest = [json.loads(line) for line in done.stdout.splitlines()]
    assert head["header"] is True and "sp0173" in head["references"]
    assert len(rest) == 9 and all("references" not in r for r in rest)
    cited = {rid for r in rest for o in r["options"] for rid in o["references"]}
    assert cited <= set(head["references"])
    envelope = json.loads(
        myositis("suggest", str(EXAMPLES), "-f", "json", "--references", "once", "-q").stdout
    )
    assert [r["id"] for r in envelope["records"]] == [r["id"] for r in rest]
    plain = json.loads(myositis("suggest", str(EXAMPLES), "-f", "json", "-q").stdout)
    assert isinstance(plain, list) and all(r["references"] for r in plain)


def test_the_summary_of_a_known_batch_has_exact_counts(tmp_path: Path) -> None:
    batch = tmp_path / "batch.jsonl"
    made = myositis("suggest", str(EXAMPLES), "-f", "jsonl", "-o", str(batch), "-q")
    assert made.returncode == 0
    with batch.open("a") as handle:  # one failed case and one line that is not a record
        handle.write(json.dumps({"source": "x.yaml", "status": "error", "error": {"kind": "yaml"}}))
        handle.write("\nnot json\n")
    done = myositis("summarize", str(batch), "-f", "json")
    assert done.returncode == 1  # a line was not a record: said, and the rest counted
    assert f"{batch}:11:" in done.stderr.decode()
    data = json.loads(done.stdout)
    whole = data["summary"]
    assert (whole["cases"], whole["ok"], whole["failed"]) == (10, 9, 1)
    assert whole["failed_by_kind"] == {"yaml": 1} and data["unreadable"] == 1
    truth = records(b"\n".join(batch.read_bytes().splitlines()[:9]))
    assert whole["refractory"]["yes"] == sum(r["refractory"] is True for r in truth)
    tops: dict[str, int] = {}
    for r in truth:
        key = r["options"][0]["therapy"] if r["options"] else "(none)"
        tops[key] = tops.get(key, 0) + 1
    assert whole["top_option"] == dict(sorted(tops.items(), key=lambda i: (-i[1], i[0])))
    assert sum(data["by_subtype"][s]["cases"] for s in data["by_subtype"]) == 10
    alerts = sum(1 for r in truth for a in r["alerts"] if a["code"] == "exercise")
    assert whole["alerts"]["exercise"]["cases"] == alerts
    for fmt in ("table", "markdown", "html"):
        shown = myositis("summarize", str(batch), "-f", fmt)
        assert shown.returncode == 1 and b"Cohort summary" in shown.stdout
    html = myositis("summarize", str(batch), "-f", "html").stdout.decode()
    assert "<svg" in html and "<script" not in html and "http" not in html.split("</style>")[1]
    piped = myositis("summarize", "-", "-f", "json", stdin=batch.read_bytes())
    assert json.loads(piped.stdout)["summary"] == whole


def test_a_batch_whose_first_line_was_cut_is_still_read_line_by_line(tmp_path: Path) -> None:
    # a killed run's last line, then a whole run appended: the cut line is one
    # problem at line 1 and the nine records after it are counted (they were
    # all taken for a broken envelope before)
    whole = myositis("suggest", str(EXAMPLES), "-f", "jsonl", "-q").stdout
    batch = tmp_path / "batch.jsonl"
    batch.write_bytes(whole.splitlines()[0][:300] + b"\n" + whole)
    done = myositis("summarize", str(batch), "-f", "json")
    assert done.returncode == 1
    assert done.stderr.decode().startswith(f"{batch}:1: not JSON")
    assert json.loads(done.stdout)["summary"]["cases"] == 9


def _lean(rec: dict[str, Any], n: int) -> str:
    """A short record of the shape summarize reads, varied by n."""
    return json.dumps(
        {
            "source": f"c{n}.yaml",
            "status": "ok",
            "subtype": rec["subtype"],
            "refractory": rec["refractory"],
            "options": [{k: o[k] for k in ("rank", "therapy", "name")} for o in rec["options"][:3]],
            "alerts": [{"level": a["level"], "code": a["code"]} for a in rec["alerts"][:3]],
            "excluded": [{"codes": e["codes"]} for e in rec["excluded"][:2]],
            "checks": [{"field": c["field"], "options": c["options"]} for c in rec["checks"][:2]],
        }
    )


def _peak_kib(*args: str) -> tuple[int, bytes]:
    child = subprocess.Popen([SCRIPT, *args], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    with child.stdout:
        out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # the rusage of this child alone
    child.returncode = os.waitstatus_to_exitcode(status)
    assert child.returncode == 0
    return usage.ru_maxrss, out


@pytest.mark.slow
@pytest.mark.parametrize("count", [100_000])
def test_the_summary_streams_in_flat_memory(tmp_path: Path, count: int) -> None:
    examples = json.loads(myositis("suggest", str(EXAMPLES), "-f", "json", "-q").stdout)
    small, big = tmp_path / "small.jsonl", tmp_path / "big.jsonl"
    small.write_text("".join(_lean(examples[n % 9], n) + "\n" for n in range(1_000)))
    with big.open("w") as handle:
        for start in range(0, count, 10_000):
            handle.write(
                "".join(_lean(examples[n % 9], n) + "\n" for n in range(start, start + 10_000))
            )
    small_kib, _ = _peak_kib("summarize", str(small), "-f", "json")
    big_kib, out = _peak_kib("summarize", str(big), "-f", "json")
    assert json.loads(out)["summary"]["cases"] == count
    assert big_kib <= small_kib * 1.1, (small_kib, big_kib)


def test_duckdb_sees_a_late_error_column_given_the_published_columns(tmp_path: Path) -> None:
    duckdb = pytest.importorskip("duckdb")
    ok = myositis("suggest", str(EXAMPLES / "refractory-dm-skin.yaml"), "-f", "jsonl").stdout
    late = myositis("suggest", "-", "-f", "jsonl", stdin="age: [").stdout  # one yaml error record
    path = tmp_path / "cohort.jsonl"
    path.write_bytes(ok * 300 + late)
    con = duckdb.connect()
    # sampling only the first rows, a reader never learns that 'error' exists
    sampled = con.execute(f"select * from read_json('{path}', sample_size=100) limit 0")
    assert "error" not in [d[0] for d in sampled.description]
    columns = json.loads(myositis("schema", "record", "--columns").stdout)
    typed = con.execute(
        f"select status, error->>'kind', count(*) from read_json(?, columns={_sql(columns)}) "
        "group by all order by 1",
        [str(path)],
    ).fetchall()
    assert typed == [("error", "yaml", 1), ("ok", None, 300)]


def _sql(columns: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{key}': '{kind}'" for key, kind in columns.items()) + "}"


def test_the_file_list_and_the_bundled_pathway_are_never_written_over(tmp_path: Path) -> None:
    from myositis_cli.pathway import load_pathway

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(PROFILE))
    listing = tmp_path / "list.txt"
    listing.write_text(f"{good}\n")
    done = myositis("suggest", "-T", str(listing), "-o", str(listing), "-f", "jsonl")
    assert done.returncode == 2 and b"is an input" in done.stderr
    assert listing.read_text() == f"{good}\n"  # it held the report before
    bundled = Path(load_pathway().source)
    kept = bundled.read_bytes()
    try:
        done = myositis("suggest", str(good), "-o", str(bundled), "-f", "jsonl")
        assert done.returncode == 2 and b"is the pathway" in done.stderr
    finally:  # never leave the installed or checked-out pathway replaced
        if bundled.read_bytes() != kept:
            bundled.write_bytes(kept)
