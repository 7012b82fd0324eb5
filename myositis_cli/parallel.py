"""``--jobs N``: cases in worker processes, records still in input order.

Each worker gets its Pipeline once (the pathway is loaded once per
process) and takes chunks of whole files, so every document of a file stays
together and the chunks come back in order through ``imap``.

For JSON output the main process would otherwise un-pickle and encode every
recommendation while the workers wait for CPU, so there a worker encodes its
chunk itself and sends back one block of text, a count of good cases and
only the failed results (for their error lines). The main process writes.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any, NamedTuple

from .batch import Source, run
from .pipeline import Pipeline
from .results import CaseResult

Encoder = Callable[[CaseResult], str]
FIRST_CHUNK, LAST_CHUNK = (
    8,
    128,
)  # files per task: grows so both workers start at once, then IPC is amortised

_runner: Pipeline | None = None
_encoder: Encoder | None = None
_separator = "\n"


class Block(NamedTuple):
    """The encoded records of a chunk of files, in order."""

    text: str  # records joined by the separator; empty if none
    ok: int
    failures: list[CaseResult]  # without recommendations: what the error lines need


def _init(pipeline: Pipeline | None, encoder: Encoder | None, separator: str) -> None:
    global _runner, _encoder, _separator
    _encoder, _separator = encoder, separator
    if pipeline is not None:  # spawned: the pipeline arrives pickled
        _runner = pipeline


def _results(chunk: list[Source]) -> list[CaseResult]:
    assert _runner is not None
    return list(run(_runner, chunk))


def _block(chunk: list[Source]) -> Block:
    assert _runner is not None and _encoder is not None
    texts: list[str] = []
    failures: list[CaseResult] = []
    for result in run(_runner, chunk):
        texts.append(_encoder(result))
        if not result.ok:
            failures.append(result._replace(recommendation=None))
    return Block(_separator.join(texts), len(texts) - len(failures), failures)


def _chunks(sources: Iterable[Source]) -> Iterator[list[Source]]:
    iterator = iter(sources)
    size = FIRST_CHUNK
    while chunk := list(islice(iterator, size)):
        yield chunk
        size = min(size * 2, LAST_CHUNK)


def _pool(runner: Pipeline, workers: int, encoder: Encoder | None, separator: str) -> Any:
    global _runner
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    forked = context.get_start_method() == "fork"
    _runner = runner if forked else None
    args = (None if forked else runner, encoder, separator)
    return context.Pool(workers, initializer=_init, initargs=args)


def run_parallel(runner: Pipeline, sources: Iterable[Source], workers: int) -> Iterator[CaseResult]:
    """Every document's result, computed by ``workers`` processes, in input order."""
    global _runner
    try:
        with _pool(runner, workers, None, "") as pool:
            for results in pool.imap(_results, _chunks(sources)):
                yield from results
    finally:
        _runner = None


def encode_parallel(
    runner: Pipeline, sources: Iterable[Source], workers: int, encoder: Encoder, separator: str
) -> Iterator[Block]:
    """Blocks of encoded records, computed and encoded by ``workers`` processes, in input order."""
    global _runner
    try:
        with _pool(runner, workers, encoder, separator) as pool:
            yield from pool.imap(_block, _chunks(sources))
    finally:
        _runner = None
