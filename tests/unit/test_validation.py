"""Compiled validation agrees with jsonschema; messages are written for people."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from helpers import repo_pathway
from hypothesis import given
from hypothesis import strategies as st
from strategies import profiles

from myositis_cli import loading, resources
from myositis_cli.loading import Chunk
from myositis_cli.pathway import profile_validator
from myositis_cli.validation import SchemaCompileError, Validator, compile_schema, json_equal

PROFILE = resources.schema("profile")
FULL = jsonschema.Draft202012Validator(PROFILE)
FAST = profile_validator()


def test_shipped_schemas_are_valid_draft_2020_12() -> None:
    for name in ("profile", "pathway", "case"):
        jsonschema.Draft202012Validator.check_schema(resources.schema(name))
        compile_schema(resources.schema(name))


def test_unknown_keyword_is_refused() -> None:
    with pytest.raises(SchemaCompileError):
        compile_schema({"type": "object", "dependentSchemas": {}})


def test_json_equality_keeps_booleans_apart() -> None:
    assert not json_equal(True, 1) and not json_equal(1, True) and json_equal(1, 1.0)
    assert not compile_schema({"const": 1})(True)
    assert compile_schema({"type": "integer"})(3.0) and not compile_schema({"type": "integer"})(
        True
    )


MUTATIONS = [
    lambda d: d.pop("age", None),
    lambda d: d.update(extra=1),
    lambda d: d.update(age="52"),
    lambda d: d.update(age=True),
    lambda d: d.update(age=130),
    lambda d: d.update(age=5.5),
    lambda d: d.update(id="has space"),
    lambda d: d.update(id=""),
    lambda d: d["diagnosis"].update(subtype="dm"),
    lambda d: d["diagnosis"].update(autoantibodies=["jo1", "jo1"]),
    lambda d: d.update(safety={"egfr": 250}),
    lambda d: d.update(safety={"pregnancy": True}),
    lambda d: d.update(history=[{"months": 3}]),
    lambda d: d.update(history=[{"therapy": "x", "outcome": "cured"}]),
    lambda d: d.update(glucocorticoids={"toxicity": ["diabetes", "diabetes"]}),
    lambda d: d.update(profile_version=2),
    lambda d: d.update(profile_version=True),
    lambda d: d.update(manifestations=[]),
]


@given(profiles(repo_pathway()), st.lists(st.sampled_from(range(len(MUTATIONS))), max_size=3))
def test_fast_path_agrees_with_jsonschema(data: dict[str, Any], mutations: list[int]) -> None:
    mutated = copy.deepcopy(data)
    for index in mutations:
        MUTATIONS[index](mutated)
    assert FAST.is_valid(mutated) == FULL.is_valid(mutated)
    if not FAST.is_valid(mutated):
        assert FAST.problems(mutated)


def _problems(text: str) -> list[tuple[int | None, int | None, str, str]]:
    chunk = Chunk(text, 0)
    data = loading.load_document(chunk)
    locator = loading.YamlLocator(chunk)
    return [
        (p.line, p.column, p.pointer, p.message)
        for p in (
            q.located(locator, key=q.message.startswith("unknown key"))
            for q in FAST.problems(data, locator)
        )
    ]


def test_messages_are_located_and_helpful() -> None:
    found = _problems(
        "id: case 1\nage: 17\nsex: femal\ndiagnosis: {subtype: polymyositis}\n"
        "manifestations: {dysphagia: yes, muscle: off}\nsafety: {pregancy: none}\n"
    )
    assert (
        1,
        5,
        "/id",
        "'case 1' is not a valid case id: case identifier, echoed in every output: "
        "1-64 letters, digits, '.', '_' or '-'",
    ) in found
    assert (
        3,
        6,
        "/sex",
        "expected one of: female, male, other, unknown; got 'femal' (did you mean female?)",
    ) in found
    assert (
        5,
        42,
        "/manifestations/muscle",
        "expected one of: none, mild, moderate, severe; got 'off' (YAML reads off as false; quote it)",
    ) in found
    assert (6, 10, "/safety/pregancy", "unknown key 'pregancy' (did you mean pregnancy?)") in found
    assert not [f for f in found if f[2] == "/age"]


def test_a_zero_padded_string_says_how_to_write_the_number() -> None:
    (problem,) = _problems("id: a\nage: 08\ndiagnosis: {subtype: polymyositis}\n")
    assert problem == (
        2,
        6,
        "/age",
        "expected a whole number, got '08': a zero-padded number is not read as a number; write 8",
    )


def test_missing_required_and_wrong_root() -> None:
    assert _problems("id: x\nage: 3\n") == [(1, 1, "", "missing required key 'diagnosis'")]
    assert _problems("- a\n") == [(1, 1, "", "expected a mapping (a profile), got a list")]


def test_validator_for_a_pathway_reports_rule() -> None:
    validator = Validator(resources.schema("pathway"), what="a pathway")
    assert not validator.is_valid({})
    assert any("missing required key 'therapies'" in p.message for p in validator.problems({}))


def test_a_guess_is_difflib_s_and_remembered_within_bounds(monkeypatch: Any) -> None:
    import difflib

    from myositis_cli import problems

    monkeypatch.setattr(problems, "_GUESSES", {})
    asked: list[str] = []
    real = difflib.get_close_matches

    def counting(word: str, *args: Any, **kwargs: Any) -> Any:
        asked.append(word)
        return real(word, *args, **kwargs)

    monkeypatch.setattr(difflib, "get_close_matches", counting)
    names = ["pregnancy", "egfr", "malignancy"]
    for _ in range(3):
        assert problems.did_you_mean("Pregancy", names) == "pregnancy"
        assert problems.did_you_mean("zzz", names) is None
    assert problems.did_you_mean("pregancy", ["egfr"]) is None  # other names, another answer
    assert problems.did_you_mean("pregancy", names, cutoff=0.99) is None  # another cutoff
    assert asked == ["pregancy", "zzz", "pregancy", "pregancy"]
    for n in range(2 * problems.GUESSES_LIMIT):
        problems.did_you_mean(f"word{n}", names)
    assert len(problems._GUESSES) == problems.GUESSES_LIMIT
