"""The safe loader: plain data only, located errors, bounded work."""

from __future__ import annotations

import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from myositis_cli import loading
from myositis_cli.loading import (
    Chunk,
    Limits,
    LoadError,
    iter_documents,
    load_document,
    split_documents,
)
from myositis_cli.problems import Problem


def load(text: str, limits: Limits = loading.DEFAULT_LIMITS) -> object:
    return load_document(Chunk(text, 0), limits)


def error(text: str, limits: Limits = loading.DEFAULT_LIMITS) -> LoadError:
    with pytest.raises(LoadError) as caught:
        load(text, limits)
    return caught.value


def test_dates_stay_text_and_core_types_load() -> None:
    assert load("a: 2021-07-15\nb: 3\nc: 1.5\nd: true\ne: null\nf: [x]\n") == {
        "a": "2021-07-15",
        "b": 3,
        "c": 1.5,
        "d": True,
        "e": None,
        "f": ["x"],
    }


def test_duplicate_key_names_both_lines() -> None:
    e = error("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert (e.line, e.column, e.pointer) == (4, 3, "/b/c")
    assert e.message == "duplicate key 'c' (first defined at line 3)"


def test_merge_keys_are_refused_so_nothing_is_silently_overridden() -> None:
    refused = "merge keys ('<<') are not allowed: write the keys out in full"
    assert error("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n").message == refused
    hidden = error("<<: {pregnancy: pregnant, pregnancy: none}\nid: a\n")
    assert (hidden.message, hidden.line, hidden.column) == (refused, 1, 1)
    assert load("base: &b {x: 1}\nm: *b\n") == {
        "base": {"x": 1},
        "m": {"x": 1},
    }  # plain aliases stay


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: !!python/object:os.system x\n", "tag '!!python/object:os.system' is not allowed"),
        ("a: !!binary aGk=\n", "tag '!!binary' is not allowed"),
        ("a: !!set {x}\n", "tag '!!set' is not allowed"),
        ("a: !!timestamp 2020-01-01\n", "tag '!!timestamp' is not allowed"),
        ("a: !custom x\n", "tag '!custom' is not allowed"),
        ("a: .inf\n", "'.inf' is not a finite number"),
        ("1: x\n", "key '1' is read as a number, not a string; quote it"),
        ("yes: x\n", "key 'yes' is read as the boolean true"),
        ("[a]: x\n", "a mapping key must be a plain string, found a list"),
    ],
)
def test_only_plain_data(text: str, message: str) -> None:
    assert message in error(text).message


def test_explicit_string_tag_is_plain_data() -> None:
    assert load("id: !!str 017\n") == {"id": "017"}


def test_recursive_alias_and_bomb() -> None:
    assert "recursive alias" in error("a: &a [*a]\n").message
    bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'] + [
        f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
    e = error("\n".join(bomb) + "\n")
    assert "aliases expand this document past 100,000 nodes" in e.message
    assert load("a: &a [1, 2]\nb: *a\n") == {"a": [1, 2], "b": [1, 2]}


def test_depth_limit_and_override() -> None:
    nested = "a: " + "[" * 150 + "]" * 150 + "\n"
    e = error(nested)
    assert e.message.startswith("nesting deeper than 100 levels") and e.line == 1
    raised = load(nested, Limits(max_depth=200))
    assert isinstance(raised, dict) and isinstance(raised["a"], list)
    block = "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60 + "v\n"
    assert isinstance(load(block), dict)


def test_split_documents_keeps_lines_and_markers() -> None:
    text = "# header\n%YAML 1.1\n---\na: 1\n...\n# between\n---\nb: 2\n---\n"
    chunks = split_documents(text)
    assert [c.line_offset for c in chunks] == [0, 5, 8]  # '# between' joins the next document
    assert [load_document(c) for c in chunks] == [{"a": 1}, {"b": 2}, None]
    assert split_documents("# nothing here\n\n") == []
    assert split_documents("a: 1\n") == [Chunk("a: 1\n", 0)]


def test_error_lines_count_from_the_file_start() -> None:
    docs = list(iter_documents(b"---\na: 1\n---\nb: [\n---\nc: 3\n"))
    assert docs[0].data == {"a": 1} and docs[2].data == {"c": 3}
    assert docs[1].error is not None and docs[1].error.line == 5


@pytest.mark.parametrize(
    ("raw", "message", "where"),
    [
        (b"", "empty file", (1, 1)),
        (b"\xff\xfea\x00", "file is UTF-16; save it as UTF-8", (1, 1)),
        (b"a: 1\nb: \x00", "binary file", (2, 4)),
        (b"a: 1\nb: caf\xe9\n", "invalid UTF-8 byte 0xe9", (2, 7)),
        # after a byte-order mark: the byte and column as an editor shows them
        (b"\xef\xbb\xbfa: 1\nb: caf\xe9\n", "invalid UTF-8 byte 0xe9", (2, 7)),
        (b"\xef\xbb\xbfab: \xff\n", "invalid UTF-8 byte 0xff", (1, 5)),
        (b"a: b\x07c\n", "character U+0007 is not allowed", (1, 5)),
    ],
)
def test_bytes_problems_are_located(raw: bytes, message: str, where: tuple[int, int]) -> None:
    doc = next(iter_documents(raw))
    assert doc.error is not None and message in doc.error.message
    assert (doc.error.line, doc.error.column) == where


def test_bom_is_accepted() -> None:
    assert next(iter_documents(b"\xef\xbb\xbfa: 1\n")).data == {"a": 1}


def test_size_limit_is_checked_before_reading(tmp_path: object) -> None:
    from pathlib import Path

    big = Path(str(tmp_path)) / "big.yaml"
    big.write_bytes(b"a" * 2000)
    with pytest.raises(LoadError) as caught:
        loading.read_file(str(big), Limits(max_file_bytes=1000))
    assert (
        caught.value.kind == "io"
        and "2,000 bytes, over the 1,000-byte limit" in caught.value.message
    )


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 4097, 70_000])
def test_a_file_that_grew_after_it_was_measured_is_read_to_its_end(
    tmp_path: object, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "grown.yaml"
    content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    path.write_bytes(content)
    assert loading.read_file(str(path)) == content
    real_stat, real_fstat = os.stat, os.fstat

    def smaller(info: os.stat_result) -> os.stat_result:  # as if it grew since
        fields = list(info)
        fields[6] = fields[6] // 3  # st_size
        return os.stat_result(fields)

    monkeypatch.setattr(loading.os, "fstat", lambda fd: smaller(real_fstat(fd)))
    assert loading.read_file(str(path)) == content
    monkeypatch.setattr(loading.os, "stat", lambda p: smaller(real_stat(p)))
    assert loading.read_file(str(path)) == content
    if size > 10:  # grown past the limit after the checks: still refused
        with pytest.raises(LoadError) as caught:
            loading.read_file(str(path), Limits(max_file_bytes=size - 1))
        assert "over the" in caught.value.message


@given(st.text(max_size=300))
def test_arbitrary_text_never_raises(text: str) -> None:
    for doc in iter_documents(text.encode("utf-8", "replace")):
        assert (doc.error is None) or isinstance(doc.error, Problem)
        if doc.error is not None:
            assert doc.error.message


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    for doc in iter_documents(raw):
        assert doc.error is None or doc.error.message


@given(
    st.lists(
        st.sampled_from(
            [
                "a:",
                " - ",
                "[",
                "]",
                "{",
                "}",
                "&x ",
                "*x",
                "---\n",
                "\n",
                "  ",
                "b: c",
                "? ",
                "!!str ",
                "'",
                '"',
                "#",
                "|",
                ">",
            ]
        ),
        max_size=40,
    )
)
def test_yaml_shaped_noise_never_raises(parts: list[str]) -> None:
    for doc in iter_documents("".join(parts).encode()):
        assert doc.error is None or doc.error.message


def test_the_widest_limits_take_each_bound_at_its_largest() -> None:
    from myositis_cli.loading import DEFAULT_LIMITS, Limits, widest

    given = Limits(max_file_bytes=1, max_depth=500, max_alias_nodes=7)
    assert widest(given, DEFAULT_LIMITS) == Limits(DEFAULT_LIMITS.max_file_bytes, 500, 100_000)
    assert widest(DEFAULT_LIMITS, DEFAULT_LIMITS) == DEFAULT_LIMITS
