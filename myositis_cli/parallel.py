"""``--jobs N``: cases in worker processes, records still in input order.

Each worker builds its own CaseRunner once (the pathway is parsed once per
process) and takes whole files, so every document of a file stays together
and one record per document comes back, in order, through ``imap``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from typing import Any

from .batch import CaseRunner, Source
from .results import CaseResult

_runner: CaseRunner | None = None


def _init(pathway_source: str, limits: Any, trace: bool, engine: bool) -> None:
    global _runner
    if _runner is not None:  # inherited through fork: nothing to load
        return
    from .pathway import load_pathway, profile_validator

    _runner = CaseRunner(
        load_pathway(pathway_source, limits),
        profile_validator(),
        limits,
        trace=trace,
        engine=engine,
    )


def _work(source: Source) -> list[CaseResult]:
    assert _runner is not None
    return list(_runner.run([source]))


def run_parallel(runner: CaseRunner, sources: list[Source], workers: int) -> Iterator[CaseResult]:
    """Results of ``sources`` computed by ``workers`` processes, in input order."""
    if any(source.path is None for source in sources):  # stdin belongs to this process
        yield from runner.run(sources)
        return
    global _runner
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    if context.get_start_method() == "fork":
        _runner = runner
    chunk = max(1, min(64, len(sources) // (workers * 8) or 1))
    args = (runner.pathway.source, runner.limits, runner.trace, runner.engine)
    with context.Pool(workers, initializer=_init, initargs=args) as pool:
        for results in pool.imap(_work, sources, chunksize=chunk):
            yield from results
    _runner = None
