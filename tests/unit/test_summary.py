"""Reading suggest output as a stream: lists, envelopes and lines, whatever the chunk edges."""

from __future__ import annotations

import io
import json

from myositis_cli.summary import read_records

RECORDS = [{"id": f"c{i}", "status": "ok", "note": "γ" * (i % 97)} for i in range(3000)]


def test_a_list_and_an_envelope_read_whole_across_chunk_edges() -> None:
    # 3,000 records with two-byte characters: many reads end inside a character
    for text in (
        json.dumps(RECORDS, indent=2, ensure_ascii=False),
        json.dumps(
            {"tool": {}, "references": {}, "records": RECORDS}, indent=2, ensure_ascii=False
        ),
        "\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS) + "\n",
    ):
        items = list(read_records(io.BytesIO(text.encode("utf-8"))))
        assert [i.data for i in items] == RECORDS


def test_a_broken_list_ends_at_its_problem_with_the_line() -> None:
    text = json.dumps(RECORDS[:10], indent=2)[:-5]
    items = list(read_records(io.BytesIO(text.encode())))
    assert [i.data for i in items[:-1]] == RECORDS[:9]
    assert (
        items[-1].problem is not None
        and items[-1].problem.line == text.count("\n", 0, text.rindex("{")) + 1
    )


def test_json_lines_are_told_from_an_envelope_by_the_first_line_not_its_length() -> None:
    # a first record longer than one read (an --explain record of a long history),
    # and a first line cut short (a killed batch's file, concatenated): each is
    # JSON Lines, read on past its first line, never taken for an envelope
    long_first = {"id": "long", "status": "ok", "note": "x" * 200_000}
    lines = [json.dumps(r) for r in [long_first, *RECORDS[:5]]]
    items = list(read_records(io.BytesIO(("\n".join(lines) + "\n").encode())))
    assert [i.data for i in items] == [long_first, *RECORDS[:5]]
    cut = lines[1][:20] + "\n" + "\n".join(lines[2:]) + "\n"
    items = list(read_records(io.BytesIO(cut.encode())))
    assert items[0].data is None and items[0].problem is not None
    assert items[0].problem.line == 1 and items[0].problem.message.startswith("not JSON")
    assert [i.data for i in items[1:]] == RECORDS[1:5]


def test_an_envelope_opens_with_a_brace_alone_on_its_line_with_any_line_ending() -> None:
    envelope = json.dumps({"tool": {}, "records": RECORDS[:3]}, indent=2)
    for text in (envelope, envelope.replace("\n", "\r\n"), "\n\n" + envelope):
        items = list(read_records(io.BytesIO(text.encode())))
        assert [i.data for i in items] == RECORDS[:3]
