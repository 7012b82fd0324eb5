"""``--jobs N``: cases in worker processes, records still in input order.

A small supervisor over worker processes, each fed chunks of whole files
through its own pipe (every document of a file stays together):

- workers start only when there is a chunk for them and every running worker
  is busy, never more than the CPUs the process may use: no idle workers;
- for JSON output a worker encodes its records and sends back bytes, which
  the main process writes without decoding, with the error lines already
  formatted; for other formats it sends the results;
- at most a few chunks per worker are in flight or waiting to be written, so
  memory stays flat however many cases there are;
- a worker that dies (killed, out of memory) costs no case: its chunk is run
  again one file at a time in a fresh worker, and a file that kills its
  worker a second time becomes that file's error record;
- workers ignore Ctrl-C; the main process kills them at once on Ctrl-C or
  SIGTERM, so the command exits 130 or 143 within a second, without a
  traceback from any worker.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple

from .batch import Source, run, usable_cpus
from .pipeline import Pipeline
from .problems import Problem, format_problem
from .results import CaseResult

Encoder = Callable[[CaseResult], bytes]
FIRST_CHUNK, LAST_CHUNK = 8, 128  # files per task: grows so every worker starts at once
IN_FLIGHT_PER_WORKER = 3


class Block(NamedTuple):
    """The outcome of one chunk: encoded records (or results), counts and error lines."""

    data: bytes  # records, each followed by the separator (empty without an encoder)
    ok: int
    failed: int
    errors: str  # the located error lines, formatted
    results: list[CaseResult]  # only when there is no encoder
    sources: int  # how many files the chunk held (for the progress bar)


# --------------------------------------------------------------------------
# The worker side.


def _error_lines(result: CaseResult) -> str:
    return "".join(
        format_problem(result.source, p, result.document) + "\n" for p in result.problems
    )


def _run_chunk(
    pipeline: Pipeline, chunk: list[Source], encoder: Encoder | None, separator: bytes
) -> Block:
    parts: list[bytes] = []
    errors: list[str] = []
    results: list[CaseResult] = []
    ok = failed = 0
    for result in run(pipeline, chunk):
        if result.ok:
            ok += 1
        else:
            failed += 1
            errors.append(_error_lines(result))
        if encoder is None:
            results.append(result)
        else:
            parts.append(encoder(result))
            parts.append(separator)
    return Block(b"".join(parts), ok, failed, "".join(errors), results, len(chunk))


def _worker(
    conn: Connection, pipeline: Pipeline, encoder: Encoder | None, separator: bytes
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):  # the main process went away
            return
        if task is None:
            return
        number, chunk = task
        try:
            conn.send((number, _run_chunk(pipeline, chunk, encoder, separator)))
        except (BrokenPipeError, OSError):
            return


# --------------------------------------------------------------------------
# The main side.


class _Worker:
    __slots__ = ("conn", "process", "task")

    def __init__(self, context: Any, pipeline: Pipeline, encoder: Any, separator: bytes) -> None:
        parent, child = context.Pipe()
        self.process = context.Process(
            target=_worker, args=(child, pipeline, encoder, separator), daemon=True
        )
        self.process.start()
        child.close()
        self.conn: Connection = parent
        self.task: tuple[tuple[int, ...], list[Source]] | None = None


def _chunks(sources: Iterable[Source]) -> Iterator[list[Source]]:
    iterator = iter(sources)
    size = FIRST_CHUNK
    while chunk := list(islice(iterator, size)):
        yield chunk
        size = min(size * 2, LAST_CHUNK)


def _died(source: Source, exitcode: int | None) -> CaseResult:
    how = f"killed by signal {-exitcode}" if exitcode and exitcode < 0 else f"exit {exitcode}"
    problem = Problem(
        "internal",
        f"the worker process died while reading this file ({how}), twice; "
        "check the file (it may need more memory than the machine has)",
    )
    return CaseResult(source.label, 0, None, problems=(problem,))


def run_blocks(
    pipeline: Pipeline,
    sources: Iterable[Source],
    workers: int,
    encoder: Encoder | None = None,
    separator: bytes = b"\n",
) -> Iterator[Block]:
    """The blocks of every chunk of ``sources``, in input order."""
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    limit = max(1, min(workers, usable_cpus()))
    chunks = _chunks(sources)
    pending: deque[tuple[tuple[int, ...], list[Source]]] = deque()  # retries go first
    running: list[_Worker] = []
    done: dict[tuple[int, ...], Block] = {}
    order: list[tuple[int, ...]] = []  # keys waiting to be written, in order
    next_number = 0
    exhausted = False
    try:
        while True:
            # hand out work while there is room in the backlog
            while len(order) < limit * IN_FLIGHT_PER_WORKER or pending:
                if not pending:
                    if exhausted:
                        break
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                        break
                    key = (next_number,)
                    next_number += 1
                    order.append(key)
                    pending.append((key, chunk))
                idle = next((w for w in running if w.task is None), None)
                if idle is None:
                    if len(running) >= limit:
                        break
                    idle = _Worker(context, pipeline, encoder, separator)
                    running.append(idle)
                task = pending.popleft()
                try:
                    idle.conn.send(task)
                except OSError:  # it died while idle: drop it, the task waits for another
                    pending.appendleft(task)
                    _drop(idle, running)
                    continue
                idle.task = task
            # write what is ready, in order
            while order and order[0] in done:
                yield done.pop(order.pop(0))
            busy = [w for w in running if w.task is not None]
            if not busy:
                if exhausted and not pending and not order:
                    return
                continue
            ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
            for worker in busy:
                if worker.conn in ready:
                    try:
                        key, block = worker.conn.recv()
                    except (EOFError, OSError):
                        _retire(worker, running, pending, done, order, encoder, separator)
                        continue
                    done[key] = block
                    worker.task = None
                if worker.process.sentinel in ready and worker in running:
                    if worker.task is None:
                        _drop(worker, running)
                    else:
                        _retire(worker, running, pending, done, order, encoder, separator)
    finally:
        for worker in running:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in running:
            worker.process.join(timeout=1)
            worker.conn.close()


def _drop(worker: _Worker, running: list[_Worker]) -> None:
    worker.process.join(timeout=1)
    running.remove(worker)
    worker.conn.close()


def _retire(
    worker: _Worker,
    running: list[_Worker],
    pending: deque[tuple[tuple[int, ...], list[Source]]],
    done: dict[tuple[int, ...], Block],
    order: list[tuple[int, ...]],
    encoder: Encoder | None,
    separator: bytes,
) -> None:
    """A worker died with a chunk: run it again file by file; a lone file gets its record."""
    _drop(worker, running)
    assert worker.task is not None
    key, chunk = worker.task
    if len(chunk) == 1 and len(key) > 1:  # already retried alone: this file kills workers
        result = _died(chunk[0], worker.process.exitcode)
        if encoder is None:
            done[key] = Block(b"", 0, 1, _error_lines(result), [result], 1)
        else:
            done[key] = Block(encoder(result) + separator, 0, 1, _error_lines(result), [], 1)
        return
    keys = [(*key, i) for i in range(len(chunk))]
    position = order.index(key)
    order[position : position + 1] = keys
    for sub, source in reversed(list(zip(keys, chunk, strict=True))):
        pending.appendleft((sub, [source]))


def run_parallel(pipeline: Pipeline, sources: Iterable[Source], workers: int) -> Iterator[Block]:
    """Blocks of results (not encoded), for renderers that need the results."""
    return run_blocks(pipeline, sources, workers)


def encode_parallel(
    pipeline: Pipeline,
    sources: Iterable[Source],
    workers: int,
    encoder: Encoder,
    separator: bytes,
) -> Iterator[Block]:
    """Blocks of encoded records, computed and encoded by worker processes, in input order."""
    return run_blocks(pipeline, sources, workers, encoder, separator)
