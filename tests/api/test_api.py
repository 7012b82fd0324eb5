"""The public Python API as a notebook user meets it."""

from __future__ import annotations

import functools
import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import CASES_DIR, EXAMPLES, PATHWAY_FILE, repo_pathway

import myositis_cli
from myositis_cli import golden, impact
from myositis_cli.api import suggest, suggest_many, validate
from myositis_cli.pathway import Pathway, profile_validator
from myositis_cli.pathway import load_pathway as load_file
from myositis_cli.pipeline import Pipeline
from myositis_cli.results import CaseResult, record

PROMISED = {
    "__version__",
    "load_pathway",
    "suggest",
    "suggest_many",
    "validate",
    "profile_from_row",
    "Pathway",
    "Problem",
    "PathwayError",
}
EXAMPLE = EXAMPLES / "refractory-dm-skin.yaml"


def _line(data: dict[str, object]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def test_exactly_the_promised_names_are_public() -> None:
    assert set(myositis_cli.__all__) == PROMISED
    for name in PROMISED:
        assert getattr(myositis_cli, name) is not None
    with pytest.raises(AttributeError):
        myositis_cli.no_such_name  # noqa: B018


def test_the_api_from_another_directory(tmp_path: Path) -> None:
    script = (
        "import json, myositis_cli as m\n"
        "p = m.load_pathway()\n"
        f"r = m.suggest(open({str(EXAMPLE)!r}).read(), p, source='x.yaml')\n"
        "print(json.dumps([r['status'], r['options'][0]['therapy'], m.__version__]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    status, top, version = json.loads(out.stdout)
    assert (status, version) == ("ok", myositis_cli.__version__) and top


def test_a_typo_is_an_error_record_never_ignored() -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["safety"]["pregancy"] = "pregnant"
    rec = suggest(data)
    assert rec["status"] == "error" and "options" not in rec
    assert rec["error"]["path"] == "/safety/pregancy"
    assert "did you mean pregnancy?" in rec["error"]["message"]
    assert [p.pointer for p in validate(data)] == ["/safety/pregancy"]


def test_mapping_yaml_json_and_path_give_the_cli_record() -> None:
    cli = subprocess.run(
        [Path(sys.executable).parent / "myositis", "suggest", str(EXAMPLE), "-f", "jsonl"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    text = EXAMPLE.read_text()
    data = yaml.safe_load(text)
    assert _line(suggest(EXAMPLE)) == cli  # a path is labelled by its path, as on the CLI
    for given in (text, json.dumps(data), data):
        assert _line(suggest(given, source=str(EXAMPLE))) == cli


def test_what_is_not_a_profile_is_a_type_error_naming_what_is() -> None:
    # 12 was read as twelve NUL bytes ("binary file"), None as a bytes() failure
    for given in (12, None, 2.5, ["id: x"]):
        with pytest.raises(TypeError, match="a profile is a mapping, YAML or JSON text"):
            suggest(given)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=type(given).__name__):
            validate(given)  # type: ignore[arg-type]
    assert suggest(bytearray(EXAMPLE.read_bytes()))["status"] == "ok"


def test_suggest_many_streams_one_record_per_document() -> None:
    stream = (EXAMPLES / "clinic-list.yaml").read_text()
    records = list(suggest_many([stream, {"id": "x"}]))
    assert [r["document"] for r in records][-1] == 1
    assert records[-1]["status"] == "error"
    assert len(records) == 1 + stream.count(
        "\n---"
    )  # every document of the stream, then the mapping


def test_pandas_rows_through_the_helper() -> None:
    pd = pytest.importorskip("pandas")
    np = pytest.importorskip("numpy")
    frame = pd.DataFrame(
        [
            {
                "id": "a",
                "age": 61,
                "diagnosis.subtype": "polymyositis",
                "safety.egfr": np.nan,
                "history.1.therapy": "MTX",
                "history.1.months": 6.0,
                "history.1.outcome": "inadequate_response",
                "glucocorticoids.current_dose_mg": 10,
            },
            {
                "id": "b",
                "age": 44,
                "diagnosis.subtype": "dermatomyositis",
                "safety.egfr": 25.0,
                "history.1.therapy": None,
                "history.1.months": np.nan,
                "history.1.outcome": None,
                "glucocorticoids.current_dose_mg": np.nan,
            },
        ]
    )
    rows = [myositis_cli.profile_from_row(row) for _, row in frame.iterrows()]
    assert rows[0]["age"] == 61 and type(rows[0]["age"]) is int
    assert "safety" not in rows[0] and rows[1]["safety"] == {"egfr": 25.0}
    assert rows[0]["history"] == [
        {"therapy": "MTX", "months": 6.0, "outcome": "inadequate_response"}
    ]
    records = [suggest(r) for r in rows]
    assert [r["status"] for r in records] == ["ok", "ok"]
    with pytest.raises(
        ValueError, match=r"unknown column 'safety.pregancy' \(did you mean safety.pregnancy\?\)"
    ):
        myositis_cli.profile_from_row({"id": "c", "safety.pregancy": "none"})


def test_everything_that_crosses_a_process_boundary_pickles() -> None:
    pathway = myositis_cli.load_pathway()
    again = pickle.loads(pickle.dumps(pathway))
    assert again.sha256 == pathway.sha256 and again.version == pathway.version
    assert pickle.loads(pickle.dumps(again)) is again  # compiled once per process, then reused
    validator = pickle.loads(pickle.dumps(profile_validator()))
    assert validator.is_valid({"id": "a", "age": 3, "diagnosis": {"subtype": "polymyositis"}})
    pipeline = pickle.loads(pickle.dumps(Pipeline(pathway, trace=True)))
    result = pipeline.run_data(yaml.safe_load(EXAMPLE.read_text()), str(EXAMPLE))
    assert pickle.loads(pickle.dumps(result)) == result
    assert record(result, repo_pathway(), explain=True)["trace"]


def test_a_loaded_pathway_is_reused_not_reread() -> None:
    assert myositis_cli.load_pathway() is myositis_cli.load_pathway()


@functools.cache
def _read_afresh() -> Pathway:
    """The pathway file read again, bypassing the loader's reuse: the diff's second side."""
    return load_file(PATHWAY_FILE)


@pytest.mark.parametrize("path", golden.case_files(str(CASES_DIR)), ids=lambda p: Path(p).stem)
def test_pathway_test_diff_and_suggest_agree(path: str) -> None:
    pathway = repo_pathway()
    loaded, problems = golden.load_case(path, Pipeline(pathway))
    assert loaded is not None, problems
    from_test = record(loaded.result, pathway)
    (answer,) = impact.answers(pathway, _read_afresh(), [path])
    assert record(answer.before, pathway) == record(answer.after, pathway) == from_test
    profile = loaded.data["profile"]
    assert suggest(profile, pathway, source=path) == from_test
    again = CaseResult(path, 0, profile["id"], loaded.result.recommendation)
    assert record(again, pathway) == from_test
