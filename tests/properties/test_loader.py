"""The fast loading path and the full one give identical data or identical errors.

The fast path reads libyaml's events straight into data and hands anything
unusual (aliases, tags, merge keys, duplicates, YAML 1.1 numbers, odd keys)
back to the full constructor. These properties compare both paths on
generated profiles, on generated YAML full of the forms that trip readers
up, and on the hostile corpus; the record encoders are compared the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers import CASES_DIR, EXAMPLES, repo_pathway
from hypothesis import given
from hypothesis import strategies as st
from strategies import profiles

from myositis_cli import fastload, loading
from myositis_cli.render import json as json_render

HOSTILE = Path(__file__).resolve().parent.parent / "hostile"
PATHWAY = repo_pathway()

# plain scalars that YAML 1.1 reads as something else, or that look like it
TRICKY = [
    "060",
    "013",
    "0",
    "-0",
    "+5",
    "1:05",
    "0x3C",
    "0b101",
    "6_0",
    "1e3",
    "1E-5",
    "1.5e-7",
    ".5",
    "5.",
    "-.inf",
    ".inf",
    ".NaN",
    "nan",
    "yes",
    "No",
    "ON",
    "off",
    "y",
    "n",
    "true",
    "False",
    "~",
    "null",
    "Null",
    "NULL",
    "<<",
    "=",
    "2021-07-15",
    "12:30:00",
    "3.14",
    "1000000000000000000000000",
    "9" * 5000,
    "-",
    "--",
    "a: b",
    "#x",
    "é",
    "hello world",
]
plain = st.sampled_from(TRICKY) | st.from_regex(r"\A[a-z][a-z0-9_ ]{0,12}\Z")
quoted = plain.map(lambda s: json.dumps(s, ensure_ascii=False))


def _render(value: Any, indent: int = 0) -> str:
    """Block-style YAML written by hand, so scalars stay plain (unquoted) where drawn so."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "\n" + "\n".join(f"{pad}{k}: {_render(v, indent + 2)}" for k, v in value)
    if isinstance(value, list):
        if not value:
            return "[]"
        return "\n" + "\n".join(f"{pad}- {_render(v, indent + 2).lstrip()}" for v in value)
    return str(value)


class Pairs(dict):  # type: ignore[type-arg]
    """A mapping kept as its key/value pairs, so a drawn duplicate key is written twice."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__()
        self.pairs = pairs

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.pairs)

    def __bool__(self) -> bool:
        return bool(self.pairs)


keys = st.sampled_from(["a", "b", "id", "age", "<<", "1", "yes", "x y", "'q'"])
values = st.recursive(
    plain | quoted,
    lambda inner: (
        st.lists(inner, max_size=3) | st.lists(st.tuples(keys, inner), max_size=4).map(Pairs)
    ),
    max_leaves=12,
)
documents = st.lists(st.tuples(keys, values), min_size=1, max_size=6).map(Pairs)


def _both(raw: bytes) -> tuple[Any, Any]:
    results = []
    for fast in (True, False):
        loading.FAST_PATH = fast
        try:
            results.append([(d.data, d.problems, d.line) for d in loading.iter_documents(raw)])
        finally:
            loading.FAST_PATH = True
    return results[0], results[1]


FAST_TAKEN: list[bool] = []


@given(documents)
def test_tricky_yaml_reads_the_same_on_both_paths(doc: Any) -> None:
    text = _render(doc).lstrip("\n") + "\n"
    fast, full = _both(text.encode("utf-8"))
    assert fast == full, text
    try:
        loading._fast_events(text)
        FAST_TAKEN.append(True)
    except loading._Fallback:
        FAST_TAKEN.append(False)


def test_the_generated_yaml_exercises_both_paths() -> None:
    test_tricky_yaml_reads_the_same_on_both_paths()
    assert True in FAST_TAKEN and False in FAST_TAKEN


@given(profiles(PATHWAY), st.sampled_from([False, True]), st.sampled_from([None, "'", '"']))
def test_generated_profiles_read_the_same_on_both_paths(
    data: dict[str, Any], flow: bool, style: str | None
) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, default_style=style, allow_unicode=True)
    fast, full = _both(text.encode("utf-8"))
    assert fast == full
    assert fast[0][0] == data  # and what was written is what is read


@pytest.mark.parametrize(
    "path",
    sorted(HOSTILE.glob("*.yaml"))
    + sorted(EXAMPLES.glob("*.yaml"))
    + sorted(CASES_DIR.glob("*.yaml"))[:40],
    ids=lambda p: p.name,
)
def test_every_corpus_file_reads_the_same_on_both_paths(path: Path) -> None:
    fast, full = _both(path.read_bytes())
    assert fast == full


def test_the_fast_path_is_taken_for_ordinary_files_and_left_for_unusual_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    taken: list[bool] = []
    original = loading._fast_events

    def spy(text: str) -> Any:
        try:
            out = original(text)
        except loading._Fallback:
            taken.append(False)
            raise
        taken.append(True)
        return out

    monkeypatch.setattr(loading, "_fast_events", spy)
    list(loading.iter_documents((EXAMPLES / "refractory-dm-skin.yaml").read_bytes()))
    list(loading.iter_documents(b"age: 060\n"))
    list(loading.iter_documents(b"a: 1\na: 2\n"))
    list(loading.iter_documents(b"a: !!python/object:os.system x\n"))
    assert taken == [True, False, False, False]


def test_plain_scalars_read_once_keep_their_types_and_the_memory_is_bounded() -> None:
    text = b"a: 1\nb: 1.0\nc: true\nd: yes\ne: null\nf: 1e3\ng: no_response\n"
    first, again = (loading.load_document(loading.Chunk(text.decode(), 0)) for _ in range(2))
    for data in (first, again):  # == cannot tell 1, 1.0 and True apart: compare the types
        assert [(k, type(v).__name__, v) for k, v in data.items()] == [
            ("a", "int", 1),
            ("b", "float", 1.0),
            ("c", "bool", True),
            ("d", "bool", True),
            ("e", "NoneType", None),
            ("f", "str", "1e3"),  # YAML 1.1: no dot, no float
            ("g", "str", "no_response"),
        ]
    for n in range(2 * fastload.READ_LIMIT):
        loading.load_document(loading.Chunk(f"n: {n}\n", 0))
    assert len(fastload.READ) <= fastload.READ_LIMIT
    for _ in range(2):  # what the full path must explain is never remembered
        (doc,) = loading.iter_documents(b"age: 060\n")
        assert doc.problems and "octal" in doc.problems[0].message
    assert "060" not in fastload.READ


# ---------------------------------------------------------------------------- encoders


def _records() -> list[Any]:
    from myositis_cli.batch import expand, run
    from myositis_cli.pipeline import Pipeline
    from myositis_cli.results import record

    pipeline = Pipeline(PATHWAY, trace=True)
    found = list(run(pipeline, expand([str(EXAMPLES), str(HOSTILE)])))
    return [record(r, PATHWAY, explain=True) for r in found]


@pytest.mark.skipif(json_render.orjson is None, reason="orjson is not installed")
def test_orjson_and_the_stdlib_write_the_same_bytes() -> None:
    odd = [
        {"months": 1e-05, "score": 2.5e-7, "text": "one-line e-5 1e-5"},
        {"months": 1e-05},  # orjson writes 0.00001: no 'e-' to find
        {"months": [9.74439e-05, -1.00048e-05, 3.8e-06, 0.0001, 0.00012, 5e-324]},
        {"huge": 10**30},
        {"mixed": ["\u2028", "\x7f", "\x00", "é", 5.300000000000001, -0.0, 1e16]},
    ]
    for data in [*_records(), *odd]:
        assert json_render._fast_compact(data) == json_render._compact(data).encode("utf-8")
        assert json_render._fast_pretty(data) == json_render._pretty(data).encode("utf-8")


def _floats(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, float):
        return [path]
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _floats(v, (*path, k))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _floats(v, (*path, i))]
    return []


@pytest.mark.skipif(json_render.orjson is None, reason="orjson is not installed")
@given(profiles(PATHWAY), st.sampled_from([None, 1e-05, 9.9e-05, 2.5e-7, 0.0001, 0.0, 6.5]))
def test_a_record_is_written_as_the_stdlib_writes_it(data: dict[str, Any], months: Any) -> None:
    # records skip the output scan when their floats are ones orjson writes as
    # Python does; that holds only while scores and months are a record's floats
    from myositis_cli.engine import suggest
    from myositis_cli.profile import ProfileProblems, build_profile
    from myositis_cli.results import CaseResult, record

    if months is not None:  # a therapy taken now, for how long (tiny ones too)
        data = {**data, "history": [{"therapy": "rituximab", "months": months, "current": True}]}
    try:
        profile = build_profile(data, PATHWAY)
    except ProfileProblems:
        return
    result = CaseResult("x.yaml", 0, profile.id, suggest(PATHWAY, profile))
    for explain in (False, True):
        encode = json_render.Encoder(PATHWAY, pretty=False, explain=explain)
        written = record(result, PATHWAY, explain=explain)
        assert encode(result) == json_render._compact(written).encode("utf-8")
        for path in _floats(written):
            assert path[0] in ("options", "taking") and path[2:] in (("score",), ("months",))


def test_without_orjson_the_output_is_the_same(tmp_path: Path) -> None:
    import os
    import subprocess

    from helpers import SCRIPT

    args = [SCRIPT, "suggest", str(EXAMPLES), str(HOSTILE), "-f", "jsonl", "-q", "--explain"]
    with_orjson = subprocess.run(args, capture_output=True).stdout
    without = subprocess.run(
        args, capture_output=True, env={**os.environ, "MYOSITIS_NO_ORJSON": "1"}
    ).stdout
    assert with_orjson and with_orjson == without
