"""A cohort summary of ``suggest`` records (``myositis summarize``).

Records are read as a stream (JSON Lines, a JSON list, or the ``--references
once`` header and envelope) and folded into counters, so memory depends on
the number of distinct therapies, codes and fields, never on the number of
records. Everything here is a pure function of the records; the wording of
the report is in ``render/summary.py``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import IO, Any, NamedTuple

from .problems import Problem

CHUNK = 1 << 16
UNKNOWN_SUBTYPE = "(unreadable)"  # error records carry no subtype


class Item(NamedTuple):
    """One record read from a stream, or the problem that stopped a line or document."""

    line: int
    data: dict[str, Any] | None
    problem: Problem | None = None


def read_records(stream: IO[bytes]) -> Iterator[Item]:
    """Records from a stream of JSON Lines, a JSON list or an envelope, one at a time.

    A line of JSON Lines that is not JSON, or not an object, is a problem at
    that line and the stream goes on; a broken JSON list ends at its problem.
    """
    head = stream.read(CHUNK)
    start = len(head) - len(head.lstrip())
    if head[start : start + 1] == b"[":
        yield from _array(stream, head, start + 1, 1 + head[:start].count(b"\n"))
        return
    if head[start : start + 1] == b"{" and not head[start + 1 :].split(b"\n", 1)[0].strip():
        # a pretty envelope opens with "{" alone on its line; a JSON Lines record
        # never does (it is one line), however long, and even when it is broken
        yield from _envelope(stream, head)
        return
    yield from _lines(stream, head)


def _lines(stream: IO[bytes], head: bytes) -> Iterator[Item]:
    number = 0
    pending = head
    while True:
        *complete, pending = pending.split(b"\n")
        for raw in complete:
            number += 1
            yield from _one_line(raw, number)
        more = stream.read(CHUNK)
        if not more:
            break
        pending += more
    if pending.strip():
        yield from _one_line(pending, number + 1)


def _one_line(raw: bytes, number: int) -> Iterator[Item]:
    if not raw.strip():
        return
    try:
        data = json.loads(raw)
    except ValueError as exc:
        yield Item(number, None, Problem("json", f"not JSON: {exc}", "", number, None))
        return
    if not isinstance(data, dict):
        message = f"expected a record (an object), got {type(data).__name__}"
        yield Item(number, None, Problem("json", message, "", number, None))
        return
    yield Item(number, data)


def _array(stream: IO[bytes], buffer: bytes, pos: int, line: int) -> Iterator[Item]:
    """Items of a JSON list, decoded one at a time with ``raw_decode`` over a sliding window."""
    import codecs

    decoder = json.JSONDecoder()
    utf8 = codecs.getincrementaldecoder("utf-8")("replace")  # a character may span two reads
    text = utf8.decode(buffer[pos:])
    pos = 0

    def more() -> bool:
        nonlocal text, pos
        chunk = stream.read(CHUNK)
        text = text[pos:] + utf8.decode(chunk, final=not chunk)
        pos = 0
        return bool(chunk)

    while True:
        while pos < len(text) and text[pos] in " \t\r\n,":
            line += text[pos] == "\n"
            pos += 1
        if pos >= len(text) and not more():
            yield Item(line, None, Problem("json", "unterminated list of records", "", line, None))
            return
        if pos >= len(text):
            continue
        if text[pos] == "]":
            return
        try:
            data, end = decoder.raw_decode(text, pos)
        except ValueError as exc:
            if more():  # the record may run past what has been read
                continue
            yield Item(line, None, Problem("json", f"not JSON: {exc.args[0]}", "", line, None))
            return
        if isinstance(data, dict):
            yield Item(line, data)
        else:
            message = f"expected a record (an object), got {type(data).__name__}"
            yield Item(line, None, Problem("json", message, "", line, None))
        line += text.count("\n", pos, end)
        pos = end


def _envelope(stream: IO[bytes], head: bytes) -> Iterator[Item]:
    """``--format json --references once``: ``{..., "records": [ ... ]}``; the list streams."""
    buffer = head
    marker = b'"records": ['
    while marker not in buffer:
        more = stream.read(CHUNK)
        if not more:
            message = "a JSON object without a records list: not suggest output"
            yield Item(1, None, Problem("json", message, "", 1, None))
            return
        buffer += more
    at = buffer.index(marker) + len(marker)
    yield from _array(stream, buffer[at:], 0, 1 + buffer[:at].count(b"\n"))


# ---------------------------------------------------------------------------
# Folding records into counts


class Tally:
    """Counts for one group of records (the cohort, or one subtype)."""

    def __init__(self) -> None:
        self.cases = 0
        self.ok = 0
        self.failed: Counter[str] = Counter()  # by error kind
        self.refractory: Counter[str] = Counter()  # yes | no | undecided
        self.top: Counter[str] = Counter()  # the top option's therapy key, or "(none)"
        self.ranks: dict[str, Counter[int]] = {}  # option -> rank -> cases
        self.alerts: Counter[str] = Counter()
        self.alert_levels: dict[str, str] = {}
        self.excluded: Counter[str] = Counter()  # by rule code
        self.checks: Counter[str] = Counter()  # field -> options it could change, summed
        self.checks_cases: Counter[str] = Counter()  # field -> cases asking it
        self.names: dict[str, str] = {}

    def add(self, rec: dict[str, Any]) -> None:
        self.cases += 1
        if rec.get("status") != "ok" or "options" not in rec:
            error = rec.get("error")
            kind = error.get("kind") if isinstance(error, dict) else None
            self.failed[str(kind or "unknown")] += 1
            return
        self.ok += 1
        refractory = rec.get("refractory")
        self.refractory[
            "yes" if refractory is True else "no" if refractory is False else "undecided"
        ] += 1
        options = rec.get("options") or []
        self.top[options[0]["therapy"] if options else NO_OPTION] += 1
        for option in options:
            key = option["therapy"]
            self.names.setdefault(key, option.get("name", key))
            self.ranks.setdefault(key, Counter())[int(option["rank"])] += 1
        for alert in rec.get("alerts") or []:
            self.alerts[alert["code"]] += 1
            self.alert_levels.setdefault(alert["code"], alert.get("level", ""))
        for exclusion in rec.get("excluded") or []:
            for code in dict.fromkeys(exclusion.get("codes") or exclusion.get("rules") or ()):
                self.excluded[code] += 1
        for check in rec.get("checks") or []:
            self.checks[check["field"]] += len(check.get("options") or ())
            self.checks_cases[check["field"]] += 1

    def data(self) -> dict[str, Any]:
        failed = sum(self.failed.values())
        return {
            "cases": self.cases,
            "ok": self.ok,
            "failed": failed,
            "failed_by_kind": _sorted(self.failed),
            "refractory": {k: self.refractory.get(k, 0) for k in ("yes", "no", "undecided")},
            "refractory_share": round(self.refractory["yes"] / self.ok, 4) if self.ok else None,
            "top_option": _sorted(self.top),
            "option_ranks": {
                key: {
                    "name": self.names.get(key, key),
                    "offered": sum(ranks.values()),
                    "ranks": {str(rank): count for rank, count in sorted(ranks.items())},
                    "mean_rank": round(
                        sum(rank * count for rank, count in ranks.items()) / sum(ranks.values()), 2
                    ),
                }
                for key, ranks in sorted(
                    self.ranks.items(), key=lambda item: (-sum(item[1].values()), item[0])
                )
            },
            "alerts": {
                code: {"level": self.alert_levels.get(code, ""), "cases": count}
                for code, count in _sorted(self.alerts).items()
            },
            "excluded_by_rule": _sorted(self.excluded),
            "missing_that_could_change_the_answer": {
                field: {"options_affected": count, "cases": self.checks_cases[field]}
                for field, count in sorted(
                    self.checks.items(),
                    key=lambda item: (-item[1], -self.checks_cases[item[0]], item[0]),
                )
            },
        }


NO_OPTION = "(none)"


def _sorted(counter: Counter[str]) -> dict[str, int]:
    """Most frequent first, ties by name: the same records always give the same report."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0])))


class Cohort:
    """The whole summary: the cohort, each subtype, provenance, and unreadable lines."""

    def __init__(self) -> None:
        self.all = Tally()
        self.subtypes: dict[str, Tally] = {}
        self.pathways: Counter[tuple[str, str, str]] = Counter()
        self.tools: Counter[str] = Counter()
        self.unreadable = 0

    def add(self, rec: dict[str, Any]) -> None:
        if rec.get("header") is True:  # --references once: provenance, not a case
            return
        self.all.add(rec)
        subtype = rec.get("subtype") if rec.get("status") == "ok" else None
        self.subtypes.setdefault(str(subtype or UNKNOWN_SUBTYPE), Tally()).add(rec)
        pathway = rec.get("pathway")
        if isinstance(pathway, dict):
            self.pathways[
                (str(pathway.get("id")), str(pathway.get("version")), str(pathway.get("sha256")))
            ] += 1
        tool = rec.get("tool")
        if isinstance(tool, dict):
            self.tools[str(tool.get("version"))] += 1

    def data(self) -> dict[str, Any]:
        return {
            "summary": self.all.data(),
            "unreadable": self.unreadable,
            "pathways": [
                {
                    "id": pid,
                    "version": version,
                    "sha256": None if sha == "None" else sha,
                    "cases": n,
                }
                for (pid, version, sha), n in sorted(self.pathways.items(), key=lambda i: -i[1])
            ],
            "tool_versions": _sorted(self.tools),
            "by_subtype": {
                name: tally.data()
                for name, tally in sorted(self.subtypes.items(), key=lambda i: (-i[1].cases, i[0]))
            },
        }


def summarize(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The summary of records already read (the API's entry point)."""
    cohort = Cohort()
    for rec in records:
        cohort.add(rec)
    return cohort.data()
