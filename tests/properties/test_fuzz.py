"""Nothing anyone can write makes the pipeline raise: every document becomes one result."""

from __future__ import annotations

from typing import Any

import yaml
from helpers import repo_pathway
from hypothesis import given
from hypothesis import strategies as st
from strategies import profiles

from myositis_cli import loading
from myositis_cli.pipeline import Pipeline

RUNNER = Pipeline(repo_pathway(), loading.DEFAULT_LIMITS, trace=True)

json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=25,
)
field_names = st.sampled_from(
    [
        "id",
        "age",
        "sex",
        "diagnosis",
        "subtype",
        "history",
        "therapy",
        "months",
        "outcome",
        "safety",
        "pregnancy",
        "egfr",
        "manifestations",
        "ild",
    ]
)
near_profile = st.fixed_dictionaries(
    {"id": st.text(max_size=10) | st.integers(), "age": json_like, "diagnosis": json_like},
    optional={
        "history": st.lists(st.dictionaries(field_names, json_like, max_size=4), max_size=3),
        "safety": st.dictionaries(field_names, json_like, max_size=4),
        "extra": json_like,
    },
)


def _run_text(text: str) -> list[Any]:
    results = []
    for document in loading.iter_documents(text.encode("utf-8", "replace")):
        result = RUNNER.run_document("fuzz.yaml", document)
        assert result.ok == (result.recommendation is not None)
        for problem in result.problems:
            assert problem.kind in ("yaml", "schema", "semantic") and problem.message
        results.append(result)
    return results


@given(profiles(repo_pathway()))
def test_valid_profiles_round_trip_through_yaml(data: dict[str, Any]) -> None:
    (result,) = _run_text(yaml.safe_dump(data, sort_keys=False))
    assert result.ok, result.problems


@given(profiles(repo_pathway()), st.lists(st.text(min_size=1, max_size=15), min_size=1, max_size=3))
def test_any_therapy_name_is_accepted_or_named(data: dict[str, Any], names: list[str]) -> None:
    data["history"] = [{"therapy": n} for n in names]
    (result,) = _run_text(yaml.safe_dump(data, sort_keys=False))
    assert result.ok or all(p.pointer.startswith("/history/") for p in result.problems)


@given(near_profile)
def test_arbitrary_structures_never_raise(data: dict[str, Any]) -> None:
    results = _run_text(yaml.safe_dump(data, sort_keys=False))
    assert len(results) == 1


@given(st.text(max_size=400))
def test_arbitrary_text_gives_one_result_per_document(text: str) -> None:
    decoded = text.encode("utf-8", "replace").decode("utf-8")
    # a NUL byte makes the whole file one 'binary file' record; otherwise one per document
    expected = (
        1
        if "\x00" in decoded
        else max(1, len(loading.split_documents(decoded.removeprefix("\ufeff"))))
    )
    assert len(_run_text(text)) == expected
