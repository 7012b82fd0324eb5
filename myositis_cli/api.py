"""The public Python API: the same records as the command line, from Python.

>>> from myositis_cli import load_pathway, suggest
>>> pathway = load_pathway()                      # the bundled pathway, loaded once
>>> record = suggest({"id": "p1", "age": 52, "diagnosis": {"subtype": "dermatomyositis"}})
>>> record["options"][0]["therapy"]               # doctest: +SKIP

Every function goes through the same case pipeline as ``myositis suggest``:
a profile given as a mapping, as YAML or JSON text, or as a path gets the
same validation (a typo is an error record, never ignored), the same
recommendation and the same record. Pandas rows go through
``profile_from_row`` first.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .documents import format_for, parse
from .loading import read_file
from .pathway import Pathway
from .pathway import load_pathway as _load_pathway
from .pipeline import Pipeline
from .problems import Problem
from .results import CaseResult, record

Profile = Mapping[str, Any] | str | bytes | os.PathLike[str]
"""A profile as the API accepts it: a mapping, YAML or JSON text (str or bytes), or a path."""

_BUNDLED: Pathway | None = None
_PIPELINES: dict[tuple[int, bool, bool], tuple[Pathway, Pipeline]] = {}


def load_pathway(path: str | os.PathLike[str] | None = None) -> Pathway:
    """Read, validate and compile a pathway; the bundled one when ``path`` is None.

    Load it once and pass it to every call: it is reused, never re-read. A
    pathway pickles (as its bytes), so it can be sent to worker processes.
    Raises ``myositis_cli.errors.PathwayError`` (with every problem) for a bad file.
    """
    global _BUNDLED
    if path is None:
        if _BUNDLED is None:
            _BUNDLED = _load_pathway(None)
        return _BUNDLED
    return _load_pathway(Path(path))


def _pipeline(pathway: Pathway | None, *, explain: bool, engine: bool = True) -> Pipeline:
    chosen = pathway if pathway is not None else load_pathway()
    key = (id(chosen), explain, engine)
    hit = _PIPELINES.get(key)
    if hit is None or hit[0] is not chosen:
        hit = _PIPELINES[key] = (chosen, Pipeline(chosen, trace=explain, engine=engine))
    return hit[1]


def _results(
    pipeline: Pipeline, profile: Profile, source: str, number: int, input_format: str
) -> Iterator[CaseResult]:
    if isinstance(profile, Mapping):
        yield pipeline.run_data(profile, source, number)
        return
    if isinstance(profile, os.PathLike):
        path = os.fspath(profile)
        raw = read_file(path, pipeline.limits)
        yield from pipeline.run_bytes(path, raw, format_for(path, input_format))
        return
    if isinstance(profile, str):
        raw = profile.encode("utf-8")
    elif isinstance(profile, (bytes, bytearray, memoryview)):
        raw = bytes(profile)
    else:  # bytes(12) would be twelve NUL bytes, read as a "binary file"
        raise TypeError(
            "a profile is a mapping, YAML or JSON text (str or bytes) or a path "
            f"(os.PathLike), not {type(profile).__name__}"
        )
    fmt = _text_format(raw) if input_format == "auto" else input_format
    for document in parse(raw, fmt, pipeline.limits):
        yield pipeline.run_document(source, document._replace(number=number + document.number))


def _text_format(raw: bytes) -> str:
    """JSON when the text is a JSON object or array, else YAML."""
    head = raw.lstrip()[:1]
    if head in (b"{", b"["):
        import json

        try:
            json.loads(raw)
        except ValueError:
            return "yaml"  # a YAML flow mapping, or broken JSON: YAML reports it
        return "json"
    return "yaml"


def suggest(
    profile: Profile,
    pathway: Pathway | None = None,
    *,
    source: str = "<profile>",
    explain: bool = False,
    input_format: str = "auto",
) -> dict[str, Any]:
    """The record ``myositis suggest`` writes for one profile (ok, or an error record).

    ``profile`` is a mapping, YAML or JSON text, or a path to a file holding
    one profile. ``source`` is the label the record carries.
    """
    pipeline = _pipeline(pathway, explain=explain)
    results = list(_results(pipeline, profile, source, 0, input_format))
    if len(results) != 1:
        raise ValueError(
            f"expected one profile, found {len(results)} documents: use suggest_many for a stream"
        )
    return record(results[0], pipeline.pathway, explain=explain)


def suggest_many(
    profiles: Iterable[Profile],
    pathway: Pathway | None = None,
    *,
    source: str = "<profiles>",
    explain: bool = False,
    input_format: str = "auto",
) -> Iterator[dict[str, Any]]:
    """One record per document, streamed in input order.

    Items may be mappings, texts (several YAML documents each give a record)
    or paths (labelled by their path, as on the command line); items that are
    not paths are labelled ``source`` and numbered by their position.
    """
    pipeline = _pipeline(pathway, explain=explain)
    for number, item in enumerate(profiles):
        label = os.fspath(item) if isinstance(item, os.PathLike) else source
        first = 0 if isinstance(item, os.PathLike) else number
        for result in _results(pipeline, item, label, first, input_format):
            yield record(result, pipeline.pathway, explain=explain)


def validate(
    profile: Profile, pathway: Pathway | None = None, *, input_format: str = "auto"
) -> list[Problem]:
    """Every problem of one profile (empty when valid): the checks of ``myositis validate``."""
    pipeline = _pipeline(pathway, explain=False, engine=False)
    problems: list[Problem] = []
    for result in _results(pipeline, profile, "<profile>", 0, input_format):
        problems.extend(result.problems)
    return problems


__all__ = ["Profile", "load_pathway", "suggest", "suggest_many", "validate"]
