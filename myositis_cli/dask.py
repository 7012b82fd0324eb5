"""The case pipeline on a Dask cluster (``pip install 'myositis[dask]'``).

>>> import dask.bag as db
>>> from myositis_cli.dask import suggest_bag
>>> records = suggest_bag(db.from_sequence(paths, npartitions=16)).compute()

Each partition runs ``suggest_partition``: the pathway is compiled once per
worker process (it travels pickled, as its bytes) and every item goes
through the same pipeline as ``myositis suggest``, so a record is the same,
key for key, as the command line's for the same file. The same function
serves Spark: ``sc.binaryFiles(glob).mapPartitions(suggest_partition)``.

Items may be paths (``str`` or ``os.PathLike``), profile texts (YAML or
JSON), raw bytes, mappings, or ``(label, bytes)`` pairs as Spark's
``binaryFiles`` gives them. A ``str`` is read as text when it holds a
newline or starts with ``{`` (no file name does), else as a path; pass
``kind="path"`` or ``kind="text"`` to decide explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .documents import format_for
from .loading import LoadError, read_file
from .pathway import Pathway
from .pipeline import Pipeline, internal_problem
from .results import CaseResult, record

_PIPELINES: dict[tuple[str, bool], Pipeline] = {}


def _pipeline(pathway: Pathway | None, explain: bool) -> Pipeline:
    """One pipeline per worker process and pathway, built on first use."""
    if pathway is None:
        from .api import load_pathway

        pathway = load_pathway()
    key = (pathway.sha256 or str(id(pathway)), explain)
    pipeline = _PIPELINES.get(key)
    if pipeline is None:
        pipeline = _PIPELINES[key] = Pipeline(pathway, trace=explain)
    return pipeline


def _is_path(item: str, kind: str) -> bool:
    if kind != "auto":
        return kind == "path"
    return "\n" not in item and not item.lstrip().startswith(("{", "["))


def _results(pipeline: Pipeline, item: Any, position: int, kind: str) -> Iterator[CaseResult]:
    if isinstance(item, tuple) and len(item) == 2:  # (label, bytes), as Spark's binaryFiles
        label, raw = item
        label = str(label)
        yield from pipeline.run_bytes(label, bytes(raw), format_for(label))
        return
    if isinstance(item, Mapping):
        yield pipeline.run_data(item, "<profiles>", position)
        return
    if isinstance(item, os.PathLike) or (isinstance(item, str) and _is_path(item, kind)):
        path = os.fspath(item)
        try:
            raw = read_file(path, pipeline.limits)
        except LoadError as exc:
            yield CaseResult(path, 0, None, problems=(exc.problem(),))
            return
        yield from pipeline.run_bytes(path, raw, format_for(path))
        return
    raw = item.encode("utf-8") if isinstance(item, str) else bytes(item)
    for result in pipeline.run_bytes("<text>", raw, "yaml"):
        yield result._replace(document=position + result.document)


def suggest_partition(
    items: Iterable[Any],
    pathway: Pathway | None = None,
    *,
    explain: bool = False,
    kind: str = "auto",
) -> list[dict[str, Any]]:
    """Records for every item of one partition, in order; a bad item is an error record."""
    pipeline = _pipeline(pathway, explain)
    out: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        try:
            for result in _results(pipeline, item, position, kind):
                out.append(record(result, pipeline.pathway, explain=explain))
        except Exception as exc:  # a bug costs one record, never the partition
            label = os.fspath(item) if isinstance(item, (str, os.PathLike)) else "<item>"
            failed = CaseResult(label, 0, None, problems=(internal_problem(exc),))
            out.append(record(failed, pipeline.pathway))
    return out


def suggest_bag(
    bag: Any, pathway: Pathway | None = None, *, explain: bool = False, kind: str = "auto"
) -> Any:
    """A ``dask.bag.Bag`` of records, one per document of the bag's items, in order."""
    return bag.map_partitions(suggest_partition, pathway, explain=explain, kind=kind)
