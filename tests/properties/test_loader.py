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


def _full(raw: bytes) -> list[Any]:
    """Every document of ``raw`` read by the full constructor alone."""
    loading.FAST_PATH = False
    try:
        return list(loading.iter_documents(raw))
    finally:
        loading.FAST_PATH = True


def _both(raw: bytes) -> tuple[Any, Any]:
    fast, full = list(loading.iter_documents(raw)), _full(raw)
    return [(d.data, d.problems, d.line) for d in fast], [
        (d.data, d.problems, d.line) for d in full
    ]


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


# ---------------------------------------------------------------------------- the line reader
#
# fastload.lines reads the commonest profile line by line. Its documents are
# drawn here line by line from the shapes it accepts and the near misses
# around them (columns between two levels, a scalar continued, a comment
# glued to a word, a sequence in its key's column, keys YAML 1.1 reads as
# booleans, flow and quoted forms): whatever it accepts must be exactly what
# the full constructor reads, types included, and the full path must accept it.

LINE_KEYS = ["a", "b", "id", "history", "y", "yes", "Null", "on", "_x", "k" * 201, "a b", "'a'"]
LINE_VALUES = [
    *TRICKY,
    "[]",
    "{}",
    "[ ]",
    "[a]",
    "{a: 1}",
    "-1",
    "-x",
    "- x",
    "a#b",
    "a #b",
    "a  b",
    "a -",
    "a - b",
    "(x)",
    "/x",
    "x/y+z.w",
    ".",
    "...",
    "---",
    "'q'",
    '"q"',
    "&a x",
    "*a",
    "!x y",
    "|",
    ">",
    "%x",
    "@x",
    "a,b",
    "a:b",
    "a:",
    "x\ty",
]
line_shapes = st.one_of(
    st.tuples(st.sampled_from(LINE_KEYS)).map(lambda t: f"{t[0]}:"),
    st.tuples(st.sampled_from(LINE_KEYS), st.sampled_from(LINE_VALUES)).map(
        lambda t: f"{t[0]}: {t[1]}"
    ),
    st.sampled_from(LINE_VALUES),
    st.just(""),
    st.just("# a comment: with - odd [ ] text"),
)
one_line = st.tuples(
    st.sampled_from([0, 0, 0, 2, 2, 4, 1, 3, 6]),
    st.sampled_from(["", "", "- ", "-  ", "-"]),
    line_shapes,
    st.sampled_from(["", "", " # note", "#glued", "   ", " \t"]),
).map(lambda t: " " * t[0] + t[1] + t[2] + t[3])
PROFILE_KEYS = ["id", "age", "history", "therapy", "months", "safety", "ild", "egfr", "_x"]
line_words = st.sampled_from(["x", "7.5", "16", "false", "no", "pm_scl", "a b", "[]", "{}", "-1"])
# what the grammar holds: a sequence holds words or mappings (a sequence in a
# sequence, "-" alone above it, comes only as a near miss)
line_maps: st.SearchStrategy[Any] = st.deferred(
    lambda: st.lists(
        st.tuples(st.sampled_from(PROFILE_KEYS), line_values),
        min_size=1,
        max_size=3,
        unique_by=lambda pair: pair[0],
    ).map(Pairs)
)
line_values: st.SearchStrategy[Any] = st.deferred(
    lambda: line_words | st.lists(line_words | line_maps, min_size=1, max_size=3) | line_maps
)


def _lines_of(value: Any, column: int, indentless: bool) -> list[str]:
    """Block YAML as a profile is written: ``key:`` alone above what it holds."""
    pad = " " * column
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value:
            if isinstance(item, (dict, list)):
                out.append(f"{pad}{key}:")
                inner = column if isinstance(item, list) and indentless else column + 2
                out.extend(_lines_of(item, inner, indentless))
            else:
                out.append(f"{pad}{key}: {item}")
    else:
        for item in value:
            if isinstance(item, dict):
                nested = _lines_of(item, column + 2, indentless)
                out.append(f"{pad}- {nested[0].lstrip()}")
                out.extend(nested[1:])
            elif isinstance(item, list):
                out.append(f"{pad}-")
                out.extend(_lines_of(item, column + 2, indentless))
            else:
                out.append(f"{pad}- {item}")
    return out


@st.composite
def line_documents(draw: st.DrawFn) -> str:
    """A document of the line grammar, then up to two near misses made of its lines."""
    top = draw(
        st.lists(
            st.tuples(st.sampled_from(PROFILE_KEYS), line_values),
            min_size=1,
            unique_by=lambda pair: pair[0],
        )
    )
    written = _lines_of(Pairs(top), 0, draw(st.booleans()))
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):  # half of them left clean
        at = draw(st.integers(0, len(written) - 1))
        change = draw(st.sampled_from(["indent", "outdent", "line", "tail", "insert"]))
        if change == "indent":
            written[at] = " " * draw(st.integers(1, 3)) + written[at]
        elif change == "outdent":
            written[at] = written[at][draw(st.integers(1, 2)) :]
        elif change == "line":
            written[at] = draw(one_line)
        elif change == "tail":
            written[at] += draw(st.sampled_from([" # c", "#c", " :", ": x", " x", "  "]))
        else:
            written.insert(at, draw(one_line))
    return "\n".join(written) + draw(st.sampled_from(["", "\n"]))


def _typed(value: Any) -> Any:
    """Data with every scalar's type beside it: == alone cannot tell 1, 1.0 and True apart."""
    if isinstance(value, dict):
        return ("dict", [(_typed(k), _typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [_typed(v) for v in value])
    return (type(value).__name__, value)


LINES_TAKEN: list[bool] = []


def _read_alike(text: str) -> None:
    """Whatever the line reader accepts is the full constructor's data, types included."""
    try:
        data = fastload.lines(text)
    except fastload.Fallback:
        LINES_TAKEN.append(False)
        return
    LINES_TAKEN.append(True)
    (document,) = _full(text.encode("utf-8"))
    assert document.problems == (), text
    assert _typed(data) == _typed(document.data), text


@given(line_documents())
def test_what_the_line_reader_accepts_is_what_the_full_constructor_reads(text: str) -> None:
    _read_alike(text)


@given(documents)
def test_the_line_reader_reads_tricky_yaml_as_the_full_constructor_does(doc: Any) -> None:
    _read_alike(_render(doc).lstrip("\n") + "\n")


def test_the_line_reader_is_exercised_both_ways() -> None:
    LINES_TAKEN.clear()
    test_what_the_line_reader_accepts_is_what_the_full_constructor_reads()
    # about half the drawn documents are read, the rest fall back
    assert LINES_TAKEN.count(True) >= 5 and LINES_TAKEN.count(False) >= 5


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: 1\nb:\n- x\n- 2\nc: yes\n", {"a": 1, "b": ["x", 2], "c": True}),
        (
            "h:\n- t: a\n  m: 1.5\n- t: b\nz: []\n",
            {"h": [{"t": "a", "m": 1.5}, {"t": "b"}], "z": []},
        ),
        (
            "a:\n  b:\n    c: x y  # note\n  d:\ne: {}\n",
            {"a": {"b": {"c": "x y"}, "d": None}, "e": {}},
        ),
        ("# only\n\na: -1   \n", {"a": -1}),
    ],
)
def test_the_line_reader_reads_ordinary_profiles(text: str, expected: Any) -> None:
    assert _typed(fastload.lines(text)) == _typed(expected)
    (document,) = _full(text.encode("utf-8"))
    assert _typed(document.data) == _typed(expected)


@pytest.mark.parametrize(
    "text",
    [
        "a: x\n  y\n",  # a scalar continued: "x y"
        "a:\n  x\n",  # a scalar on the line after its key
        "a: x#y\n",  # no space before '#': part of the word
        "a:#y\n",  # no space after ':': one word
        "a: 1\n b: 2\n",  # between two columns
        "a:\n  - x\n  b: 1\n",  # a sequence's column reused by a key
        "yes: 1\n",  # PyYAML reads the key as true
        "Null: 1\n",  # and this one as null
        "a: 1\na: 2\n",  # a duplicate: the full path names it
        "a: 060\n",  # octal: the full path explains it
        "a: 'x'\n",
        "a: [x]\n",
        "a:\tx\n",
        "- a\n",  # not a mapping
        "---\na: 1\n",
        "  a: 1\n",  # not from the first column
        "",
    ],
)
def test_the_line_reader_leaves_everything_else_to_the_parsers(text: str) -> None:
    with pytest.raises(fastload.Fallback):
        fastload.lines(text)


# ---------------------------------------------------------------------------- text checks
# Each cheap test before a regular expression over the whole text answers as
# the expression alone would.

texts = st.text(alphabet=st.sampled_from(list(" -.?#a:\n\r\t\x85\u2028\u2029é")), max_size=60)


@given(texts, st.integers(1, 6))
def test_the_cheap_text_checks_answer_as_their_patterns_do(text: str, width: int) -> None:
    import re

    assert loading.normalise_breaks(text) == loading._BREAKS.sub("\n", text)
    if loading._MARKER.search(text) is not None:
        assert loading._may_have_marker(text)
    deep = re.search(f"^[ ?-]{{{width},}}", text, re.MULTILINE) is not None
    assert loading._deeply_indented(text, width) == deep


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
