"""The published record: its schema, provenance, stable codes and references by id."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from helpers import CASES_DIR, EXAMPLES, PATHWAY_FILE, repo_pathway

from myositis_cli import golden, loading, resources
from myositis_cli.batch import expand, run
from myositis_cli.pipeline import Pipeline
from myositis_cli.render.json import Encoder
from myositis_cli.results import REFERENCES_EACH, REFERENCES_ONCE, CaseResult, header, record

HOSTILE = Path(__file__).resolve().parent.parent / "hostile"
SCHEMA = resources.schema("record")
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)
HEADER = jsonschema.Draft202012Validator({**SCHEMA, "oneOf": [{"$ref": "#/$defs/header"}]})


def conforms(data: Any, validator: jsonschema.Draft202012Validator = VALIDATOR) -> None:
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in errors[:5]
    )


def _results(*, trace: bool = False, engine: bool = True) -> list[CaseResult]:
    """Every bundled example, golden case's profile and hostile file, and a missing path."""
    pipeline = Pipeline(repo_pathway(), loading.DEFAULT_LIMITS, trace=trace, engine=engine)
    found = list(run(pipeline, expand([str(EXAMPLES), str(HOSTILE), "/no/such/file.yaml"])))
    for path in golden.case_files(str(CASES_DIR)):
        loaded, problems = golden.load_case(path, pipeline)
        assert loaded is not None, problems
        found.append(loaded.result)
    return found


@pytest.fixture(scope="module")
def everything() -> list[CaseResult]:
    found = _results()
    assert {r.status for r in found} == {"ok", "error"}
    return found


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("mode", [REFERENCES_EACH, REFERENCES_ONCE])
def test_every_record_conforms(everything: list[CaseResult], mode: str) -> None:
    for result in everything:
        rec = record(result, repo_pathway(), references=mode)
        conforms(rec)
        assert ("references" in rec) == (mode == REFERENCES_EACH and result.ok)


def test_explained_and_validated_records_conform() -> None:
    for result in _results(trace=True)[:40]:
        rec = record(result, repo_pathway(), explain=True)
        conforms(rec)
        assert rec["status"] == "error" or rec["trace"]
    for result in _results(engine=False):
        conforms(record(result, repo_pathway()))


def test_the_schema_is_not_a_rubber_stamp(everything: list[CaseResult]) -> None:
    rec = record(next(r for r in everything if r.ok and r.recommendation.options), repo_pathway())  # type: ignore[union-attr]
    for broken in (
        {**rec, "surprise": 1},
        {**rec, "options": [{**rec["options"][0], "tier": "best"}]},
        {**rec, "pathway": {"id": "x", "version": "1", "sha256": "abc"}},
        {k: v for k, v in rec.items() if k != "tool"},
        {**rec, "status": "error"},
    ):
        assert not VALIDATOR.is_valid(broken)


def test_every_record_names_the_tool_and_the_exact_pathway(everything: list[CaseResult]) -> None:
    sha = hashlib.sha256(PATHWAY_FILE.read_bytes()).hexdigest()
    for result in everything:
        rec = record(result, repo_pathway())
        assert rec["pathway"]["sha256"] == sha, rec["source"]
        assert rec["tool"]["name"] == "myositis"


def test_references_are_ids_resolved_once_per_record(everything: list[CaseResult]) -> None:
    known = repo_pathway().references
    for result in everything:
        if not result.ok:
            continue
        rec = record(result, repo_pathway())
        cited = [
            rid
            for section in ("alerts", "options", "excluded", "checks")
            for item in rec[section]
            for rid in item["references"]
        ]
        assert all(rid in known for rid in cited)
        # the map holds exactly what the record cites, in first-cited order
        assert list(rec["references"]) == list(dict.fromkeys(cited))
        assert all(not rid.startswith(" ") and "," not in rid for rid in cited)


def test_caveats_and_exclusions_carry_one_stable_code_each(everything: list[CaseResult]) -> None:
    pathway = repo_pathway()
    rule_keys = {rule.key for rule in pathway.safety_rules()}
    standing = {f"{t.id}.{c.code}" for t in pathway.therapies.values() for c in t.caveats}
    caps = {f"cap.{node}" for node in pathway.nodes()}
    alerts = pathway.alert_codes
    seen: set[str] = set()
    for result in everything:
        if not result.ok:
            continue
        rec = record(result, pathway)
        for option in rec["options"]:
            assert len(option["caveat_codes"]) == len(option["caveats"])
            assert set(option["caveat_codes"]) <= rule_keys | standing | caps, option["therapy"]
            seen.update(option["caveat_codes"])
        for exclusion in rec["excluded"]:
            assert len(exclusion["codes"]) == len(exclusion["reasons"])
            assert set(exclusion["codes"]) <= rule_keys | {"history.failure", "history.intolerance"}
        assert {a["code"] for a in rec["alerts"]} <= alerts
    # each kind of code actually occurs, so the checks above bite
    assert seen & rule_keys and seen & standing and seen & caps


def test_references_once_writes_one_header_then_lean_records(everything: list[CaseResult]) -> None:
    pathway = repo_pathway()
    lines = Encoder(pathway, pretty=False, references=REFERENCES_ONCE)
    head = json.loads(lines.opening(as_list=False))
    conforms(head, HEADER)
    assert head["header"] is True and set(head["references"]) == set(pathway.references)
    assert head == {"header": True, **header(pathway)}
    ok = next(r for r in everything if r.ok)
    lean = json.loads(lines(ok))
    assert "references" not in lean and lean["options"][0]["references"]
    envelope = Encoder(pathway, pretty=True, references=REFERENCES_ONCE)
    text = (
        envelope.opening(as_list=True)
        + b"\n"
        + envelope(ok)
        + envelope.closing(as_list=True, empty=False)
    )
    whole = json.loads(text)
    conforms(whole, HEADER)
    assert whole["records"] == [lean]
    empty = envelope.opening(as_list=True) + envelope.closing(as_list=True, empty=True)
    assert json.loads(empty)["records"] == []
