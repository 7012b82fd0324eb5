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
