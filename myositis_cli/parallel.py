"""``--jobs N``: cases in worker processes, records still in input order.

A small supervisor over worker processes, each fed chunks of whole files
through its own pipe (every document of a file stays together):

- workers start only when there is a chunk for them and every running worker
  is busy, never more than the CPUs the process may use: no idle workers;
- for JSON output a worker encodes its records, with the error lines
  already formatted, and the main process never reads them: into a regular
  file (``-o``, or standard output redirected to one) each worker writes
  its own blocks, in input order, when the main process says it is their
  turn (one writer at a time on the shared file offset; a worker that dies
  while writing is cut off at the last whole block and its work done
  again); to a pipe or a terminal, on Linux, a worker leaves its bytes in a
  memory file (``memfd``) and the kernel copies them to the output
  (``sendfile``); elsewhere, or with ``MYOSITIS_WORKER_OUTPUT=pipe``, it sends the
  bytes and the main process writes them as they are; for other formats it
  sends the results;
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

import errno
import multiprocessing
import os
import signal
import stat
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from multiprocessing.connection import Connection, wait
from typing import Any, NamedTuple

from .batch import Source, run, usable_cpus
from .errors import OutputError
from .pipeline import Pipeline
from .problems import Problem, format_problem
from .render.json import LIST_SEPARATOR  # between records of a JSON list
from .results import CaseResult

Encoder = Callable[[CaseResult], bytes]
Key = tuple[int, ...]  # a chunk's place in the input; a retried file's adds its position
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
    spooled: int = 0  # bytes kept by the worker (a memory file, or for it to write) not ``data``
    spool: Spool | None = None  # that memory file, once the main process holds it
    written: bool = False  # its records are in the output already (written by its worker)


class Direct(NamedTuple):
    """An output that workers write to themselves: a regular file they share."""

    fd: int
    as_list: bool  # a JSON list: "\n" before the first record, LIST_SEPARATOR between
    flush: Callable[[], None]  # what the main process buffered goes first
    where: str  # for messages: the file's name, or standard output


def worker_output() -> str:
    """How workers hand back encoded records: MYOSITIS_WORKER_OUTPUT=auto|spool|pipe."""
    chosen = os.environ.get("MYOSITIS_WORKER_OUTPUT", "auto") or "auto"
    if chosen not in ("auto", "spool", "pipe"):
        chosen = "auto"
    can_spool = sys.platform.startswith("linux") and hasattr(os, "memfd_create")
    if chosen != "pipe" and not can_spool:
        return "pipe"
    return chosen


def direct_output(sink: Any, *, as_list: bool) -> Direct | None:
    """The shared file for a sink that writes to a regular file, when workers can write it."""
    if worker_output() != "auto" or "fork" not in multiprocessing.get_all_start_methods():
        return None  # spawned workers would not share the descriptor
    try:
        fd = sink.binary_fileno()
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        os.lseek(fd, 0, os.SEEK_CUR)
    except (AttributeError, OSError, ValueError):
        return None
    return Direct(fd, as_list, sink.flush, getattr(sink, "where", "the output"))


class Spool:
    """Encoded records a worker left in a memory file: the kernel copies them to
    the output; they are read into this process only where it cannot."""

    __slots__ = ("fd", "size")

    def __init__(self, fd: int, size: int) -> None:
        self.fd = fd
        self.size = size

    def send(self, out: int, length: int) -> bool:
        """Copy the first ``length`` bytes to the descriptor ``out``; False if the
        kernel cannot copy to it (then nothing was written)."""
        offset = 0
        while offset < length:
            try:
                sent = os.sendfile(out, self.fd, offset, length - offset)
            except OSError as exc:
                if offset == 0 and exc.errno in _NO_SENDFILE:
                    return False
                raise
            if sent == 0:
                raise OSError(f"the records' memory file ended after {offset} bytes")
            offset += sent
        return True

    def read(self, length: int) -> bytes:
        parts = []
        offset = 0
        while offset < length:
            part = os.pread(self.fd, length - offset, offset)
            if not part:
                raise OSError(f"the records' memory file ended after {offset} bytes")
            parts.append(part)
            offset += len(part)
        return b"".join(parts)

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


# what sendfile says when it cannot write to that kind of output
_NO_SENDFILE = {
    getattr(errno, name)
    for name in ("EINVAL", "ENOSYS", "EOPNOTSUPP", "ENOTSUP")
    if hasattr(errno, name)
}


def write_all(fd: int, data: bytes | memoryview) -> None:
    """Every byte of ``data`` to ``fd`` (a write may take only part)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# --------------------------------------------------------------------------
# The worker side.


def _error_lines(result: CaseResult) -> str:
    return "".join(
        format_problem(result.source, p, result.document) + "\n" for p in result.problems
    )


def _run_chunk(
    pipeline: Pipeline,
    chunk: list[Source],
    encoder: Encoder | None,
    separator: bytes,
    between: Callable[[], None] | None = None,
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
        if between is not None:
            between()
    return Block(b"".join(parts), ok, failed, "".join(errors), results, len(chunk))


class _Writer:
    """A worker's blocks waiting for their turn in the shared output file."""

    def __init__(self, conn: Connection, fd: int) -> None:
        self.conn = conn
        self.fd = fd
        self.held: dict[Key, bytes] = {}

    def write(self, number: Key, prefix: bytes, trim: int) -> None:
        data = self.held.pop(number)
        try:
            write_all(self.fd, prefix)
            write_all(self.fd, memoryview(data)[: len(data) - trim])
        except OSError as exc:
            self.conn.send(("written", number, exc.strerror or str(exc)))
            return
        self.conn.send(("written", number, None))

    def serve(self) -> None:
        """Between two cases: write whatever it is this worker's turn to write."""
        while self.conn.poll():
            message = self.conn.recv()
            self.write(*message[1:])  # busy, it is sent nothing else (see run_blocks)


def _worker(
    conn: Connection,
    pipeline: Pipeline,
    encoder: Encoder | None,
    separator: bytes,
    mode: str = "pipe",
    out: int = -1,
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    writer = _Writer(conn, out) if mode == "direct" else None
    while True:
        try:
            message = conn.recv()
            if message is None:
                return
            if message[0] == "write":
                assert writer is not None
                writer.write(*message[1:])
                continue
            _, number, fields = message
            block = _run_chunk(
                pipeline,
                [Source._make(f) for f in fields],
                encoder,
                separator,
                writer.serve if writer else None,
            )
            if writer is not None and block.data:
                writer.held[number] = block.data
                conn.send(("block", number, block._replace(data=b"", spooled=len(block.data))))
            elif mode == "spool" and block.data:
                _send_spooled(conn, number, block)
            else:
                conn.send(("block", number, block))
        except (EOFError, OSError):  # the main process went away
            return


def _send_spooled(conn: Connection, number: Key, block: Block) -> None:
    from multiprocessing.reduction import send_handle

    fd = os.memfd_create("myositis-records", os.MFD_CLOEXEC)
    try:
        write_all(fd, block.data)
        conn.send(("block", number, block._replace(data=b"", spooled=len(block.data))))
        send_handle(conn, fd, os.getppid())
    finally:
        os.close(fd)  # the main process holds its own descriptor now


# --------------------------------------------------------------------------
# The main side.


class _Worker:
    __slots__ = ("conn", "held", "process", "task")

    def __init__(
        self,
        context: Any,
        pipeline: Pipeline,
        encoder: Any,
        separator: bytes,
        mode: str,
        out: int,
    ) -> None:
        parent, child = context.Pipe()  # a socket pair on Unix: it can carry descriptors
        self.process = context.Process(
            target=_worker, args=(child, pipeline, encoder, separator, mode, out), daemon=True
        )
        self.process.start()
        child.close()
        self.conn: Connection = parent
        self.task: tuple[Key, list[Source]] | None = None
        self.held: set[Key] = set()  # its blocks waiting to be written (direct output)


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


class _Turn:
    """Direct output: whose block is being written now, and where the file stood."""

    __slots__ = ("fd", "frontier", "key", "started", "worker")

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.key: Key | None = None
        self.worker: _Worker | None = None
        self.frontier = 0  # the file offset before the block being written
        self.started = False  # a non-empty block is in the file (JSON list: "\n" then ",\n")


def run_blocks(
    pipeline: Pipeline,
    sources: Iterable[Source],
    workers: int,
    encoder: Encoder | None = None,
    separator: bytes = b"\n",
    direct: Direct | None = None,
) -> Iterator[Block]:
    """The blocks of every chunk of ``sources``, in input order.

    With ``direct``, every block's records are in the file by the time it is
    yielded (``written``), each written by its worker in turn.
    """
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    limit = max(1, min(workers, usable_cpus()))
    mode = "pipe" if encoder is None or worker_output() == "pipe" else "spool"
    if direct is not None and encoder is not None and "fork" in methods:
        mode = "direct"
        direct.flush()  # what the main process wrote (a header, "[") goes before
    else:
        direct = None
    out = direct.fd if direct is not None else -1
    chunks = _chunks(sources)
    pending: deque[tuple[Key, list[Source]]] = deque()  # retries go first
    running: list[_Worker] = []
    done: dict[Key, Block] = {}
    order: list[Key] = []  # keys waiting to be written, in order
    chunk_of: dict[Key, list[Source]] = {}  # direct: to run again if its worker dies unwritten
    turn = _Turn(out)

    def retire(worker: _Worker) -> None:
        _retire(worker, running, pending, done, order, encoder, separator, chunk_of, turn)

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
                    key: Key = (next_number,)
                    next_number += 1
                    order.append(key)
                    pending.append((key, chunk))
                idle = next((w for w in running if w.task is None), None)
                if idle is None:
                    if len(running) >= limit:
                        break
                    idle = _Worker(context, pipeline, encoder, separator, mode, out)
                    running.append(idle)
                task = pending.popleft()
                try:
                    # plain tuples: pickled in C, where a NamedTuple calls back into Python per file
                    idle.conn.send(("task", task[0], [tuple(source) for source in task[1]]))
                except OSError:  # it died while idle: drop it, the task waits for another
                    pending.appendleft(task)
                    retire(idle)
                    continue
                idle.task = task
                if direct is not None:
                    chunk_of[task[0]] = task[1]
            # write what is ready, in order
            while order and order[0] in done:
                head = order[0]
                block = done[head]
                if direct is not None and not block.written:
                    if block.spooled:  # in its worker: its turn to write it
                        if turn.key is None:
                            dead = _give_turn(direct, head, running, turn)
                            if dead is not None:  # its blocks run again, in another worker
                                retire(dead)
                        break
                    if block.data:  # made here (a file that killed two workers)
                        _write_here(direct, block, turn)
                    block = block._replace(written=True)
                order.pop(0)
                del done[head]
                chunk_of.pop(head, None)
                yield block
            waiting = [w for w in running if w.task is not None or w is turn.worker]
            if not waiting:
                if exhausted and not pending and not order:
                    return
                continue
            ready = set(wait([w.conn for w in waiting] + [w.process.sentinel for w in waiting]))
            for worker in waiting:
                if worker.conn in ready:
                    try:
                        message = worker.conn.recv()
                        if message[0] == "written":
                            _written(direct, message, done, worker, turn)
                            continue
                        _, key, block = message
                        if block.spooled and mode == "spool":
                            block = block._replace(spool=_receive_spool(worker.conn, block))
                        elif block.spooled:
                            worker.held.add(key)
                    except (EOFError, OSError, RuntimeError):  # it died while sending
                        retire(worker)
                        continue
                    done[key] = block
                    worker.task = None
                if worker.process.sentinel in ready and worker in running:
                    if worker.task is None and not worker.held:
                        _drop(worker, running)
                    else:
                        retire(worker)
    finally:
        for block in done.values():  # not written: an early end (Ctrl-C, a write error)
            if block.spool is not None:
                block.spool.close()
        for worker in running:
            if worker.process.is_alive():
                worker.process.kill()
        for worker in running:
            worker.process.join(timeout=1)
            worker.conn.close()


def _give_turn(direct: Direct, key: Key, running: list[_Worker], turn: _Turn) -> _Worker | None:
    """Tell the worker holding ``key`` to write it; the worker, if it has died.

    A worker can die (a later file of its next chunk killed it) after sending
    a block and before its turn comes: the send then fails, and the block
    must run again rather than the batch end on a broken pipe.
    """
    owner = next(w for w in running if key in w.held)
    turn.key, turn.worker = key, owner
    turn.frontier = os.lseek(direct.fd, 0, os.SEEK_CUR)
    prefix, trim = _framing(direct, turn)
    try:
        owner.conn.send(("write", key, prefix, trim))
    except OSError:
        return owner
    return None


def _framing(direct: Direct, turn: _Turn) -> tuple[bytes, int]:
    """What goes before a block, and how much of its end is left off (JSON list)."""
    if not direct.as_list:
        return b"", 0
    return (LIST_SEPARATOR if turn.started else b"\n"), len(LIST_SEPARATOR)


def _write_here(direct: Direct, block: Block, turn: _Turn) -> None:
    prefix, trim = _framing(direct, turn)
    try:
        write_all(direct.fd, prefix + block.data[: len(block.data) - trim])
    except OSError as exc:
        raise OutputError(direct.where, exc.strerror or str(exc)) from None
    turn.started = True


def _written(
    direct: Direct | None, message: Any, done: dict[Key, Block], worker: _Worker, turn: _Turn
) -> None:
    _, key, problem = message
    if problem is not None:
        raise OutputError(direct.where if direct else "the output", problem)
    worker.held.discard(key)
    done[key] = done[key]._replace(spooled=0, written=True)
    turn.key = turn.worker = None
    turn.started = True


def _receive_spool(conn: Connection, block: Block) -> Spool:
    from multiprocessing.reduction import recv_handle

    return Spool(recv_handle(conn), block.spooled)


def _drop(worker: _Worker, running: list[_Worker]) -> None:
    worker.process.join(timeout=1)
    running.remove(worker)
    worker.conn.close()


def _retire(
    worker: _Worker,
    running: list[_Worker],
    pending: deque[tuple[Key, list[Source]]],
    done: dict[Key, Block],
    order: list[Key],
    encoder: Encoder | None,
    separator: bytes,
    chunk_of: dict[Key, list[Source]] | None = None,
    turn: _Turn | None = None,
) -> None:
    """A worker died. Its chunk runs again file by file (a lone file that killed
    twice gets its record); blocks it held unwritten run again whole; a block it
    was writing is cut from the file first."""
    if worker in running:
        _drop(worker, running)
    if turn is not None and turn.worker is worker:
        # nothing after the frontier is ours yet: cut the half-written block away
        os.ftruncate(turn.fd, turn.frontier)
        os.lseek(turn.fd, turn.frontier, os.SEEK_SET)
        turn.key = turn.worker = None
    for key in sorted(worker.held, reverse=True):
        done.pop(key, None)
        assert chunk_of is not None
        pending.appendleft((key, chunk_of[key]))
    worker.held.clear()
    if worker.task is None:
        return
    key, chunk = worker.task
    worker.task = None
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
        if chunk_of is not None:
            chunk_of[sub] = [source]
    if chunk_of is not None:
        chunk_of.pop(key, None)


def run_parallel(pipeline: Pipeline, sources: Iterable[Source], workers: int) -> Iterator[Block]:
    """Blocks of results (not encoded), for renderers that need the results."""
    return run_blocks(pipeline, sources, workers)


def encode_parallel(
    pipeline: Pipeline,
    sources: Iterable[Source],
    workers: int,
    encoder: Encoder,
    separator: bytes,
    direct: Direct | None = None,
) -> Iterator[Block]:
    """Blocks of encoded records, computed and encoded by worker processes, in input
    order; with ``direct``, already written to its file by the workers."""
    return run_blocks(pipeline, sources, workers, encoder, separator, direct)
