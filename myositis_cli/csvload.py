"""CSV input: one profile per row, under the column contract of ``myositis schema csv``.

The header names the columns (``id``, ``age``, ``diagnosis.subtype``,
``safety.egfr``, ``history.1.therapy``...; see ``flat.py`` for the rule). Each
row is one document, located by its line; a problem names the row's line and
the column (``cases.csv:4:7: /safety/egfr: column 'safety.egfr': ...``). A row
with every cell empty is skipped, as spreadsheets pad files with them. Cells
are separated by commas, or by semicolons or tabs when the header is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from .documents import Document
from .flat import unflatten
from .loading import DEFAULT_LIMITS, Limits, LoadError, decode
from .problems import Problem

csv.field_size_limit(10 * 1024 * 1024)  # one cell may be as large as a file may be


class CsvLocator:
    """JSON pointers of one row to its line and the column the value came from."""

    __slots__ = ("column_of", "index", "line")

    def __init__(self, line: int, index: dict[str, int], column_of: dict[str, str]) -> None:
        self.line = line
        self.index = index  # column name -> 1-based position in the header
        self.column_of = column_of  # pointer -> column name

    def column(self, parts: list[str | int]) -> str | None:
        pointer = "".join(f"/{p}" for p in parts)
        while pointer:
            name = self.column_of.get(pointer)
            if name is not None:
                return name
            pointer = pointer[: pointer.rfind("/")]
        return None

    def locate(self, parts: list[str | int], *, key: bool = False) -> tuple[int, int] | None:
        name = self.column(parts)
        return self.line, self.index.get(name, 1) if name else 1

    def written(self, parts: list[str | int]) -> str | None:
        return None

    def column_name(self, parts: list[str | int]) -> str | None:
        return self.column(parts)


def _delimiter(text: str) -> str:
    """``,``; or ``;`` or a tab when the header has one and no comma (a spreadsheet
    saved where the decimal mark is a comma, or a tab-separated export). No column
    name holds any of the three, so the header decides."""
    header = text[: text.find("\n")] if "\n" in text else text
    if "," not in header:
        for candidate in (";", "\t"):
            if candidate in header:
                return candidate
    return ","


def iter_csv(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document]:
    try:
        text = decode(data)
    except LoadError as exc:
        yield Document(0, problems=(exc.problem(),))
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=True)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        yield Document(0, problems=(Problem("csv", "empty file: expected a header row", "", 1, 1),))
        return
    except csv.Error as exc:
        yield Document(0, problems=(Problem("csv", f"header row: {exc}", "", 1, 1),))
        return
    index: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            problem = Problem(
                "csv", f"column {position} has no name in the header row", "", 1, position
            )
            yield Document(0, problems=(problem,))
            return
        if name in index:
            problem = Problem(
                "csv",
                f"column '{name}' appears twice in the header (columns {index[name]} and {position})",
                "",
                1,
                position,
            )
            yield Document(0, problems=(problem,))
            return
        index[name] = position
    number = 0
    previous_end = reader.line_num
    while True:
        line = previous_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Document(
                number, problems=(Problem("csv", f"row: {exc}", "", line, 1),), line=line
            )
            number += 1  # the broken row is the file's last document, not "no rows"
            break
        previous_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            problem = Problem(
                "csv", f"row has {len(row)} cells, the header has {len(header)}", "", line, 1
            )
            yield Document(number, problems=(problem,), line=line)
            number += 1
            continue
        flattened = unflatten(dict(zip(header, row, strict=True)))
        locator = CsvLocator(line, index, flattened.column_of)
        if flattened.problems:
            problems = tuple(
                p._replace(line=line, column=index.get(name, 1)) for p, name in flattened.problems
            )
            yield Document(number, problems=problems, locator=locator, line=line)
        else:
            yield Document(number, flattened.data, locator=locator, line=line)
        number += 1
    if number == 0:
        yield Document(
            0, problems=(Problem("csv", "no rows: expected one profile per row", "", 2, 1),)
        )
