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


# the escapes display and label promise, spelt out without their shortcuts
_SHOWN_RAW_WITH_NEWLINES = frozenset("\t\n")


def _expected_display(text: str, newlines: bool) -> str:
    out = []
    for char in text:
        code = ord(char)
        control = code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"\\x{code - 0xDC00:02x}")
        elif control and not (newlines and char in _SHOWN_RAW_WITH_NEWLINES):
            named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}.get(char)
            out.append(named or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"))
        else:
            out.append(char)
    return "".join(out)


_ANY_CHARACTER = st.characters(exclude_categories=()) | st.sampled_from(
    ["\udc80", "\udcff", "\x1b", "\u2028", "\u2029", "\t", "\n", "\r", "\x85", "\x7f", "é"]
)


@given(st.text(_ANY_CHARACTER), st.booleans())
def test_text_from_files_reaches_a_terminal_escaped_and_records_valid(
    text: str, newlines: bool
) -> None:
    from myositis_cli.problems import display, label

    assert display(text, newlines=newlines) == _expected_display(text, newlines)
    assert label(text) == "".join(
        f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF else c for c in text
    )


_CSV_PIECES = st.sampled_from(
    ["id", "age", "diagnosis.subtype", "x1", "52", "polymyositis", "", " ", '"', '""', "\x00"]
)
_CSV_TEXT = st.lists(st.lists(_CSV_PIECES, min_size=1, max_size=4).map(",".join), max_size=5).map(
    lambda rows: "\n".join(rows)
)


@given(_CSV_TEXT | st.text(st.sampled_from('ab,;"\n\r\t 1'), max_size=40))
def test_csv_text_gives_one_result_per_document_numbered_once(text: str) -> None:
    from myositis_cli.csvload import iter_csv

    documents = list(iter_csv(text.encode()))
    assert documents, "every file yields at least one record"
    assert [d.number for d in documents] == list(range(len(documents)))
    for document in documents:
        result = RUNNER.run_document("fuzz.csv", document)
        assert result.ok == (result.recommendation is not None)
        assert result.ok or result.problems
