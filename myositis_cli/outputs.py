"""Where a report goes, and what happens when it cannot get there.

- ``-o FILE`` is written to a temporary file beside it and renamed only when
  the report is complete, so Ctrl-C, a killed process or a full disk leaves
  no half-written report (and the previous file, if any, untouched). The
  temporary file is created with ``O_EXCL | O_NOFOLLOW``: never through a
  symlink, never over another file. A symbolic link is kept: the file it
  names is the one replaced.
- What is not a file is never replaced: ``-o`` naming a device or a FIFO
  (``/dev/null``, ``mkfifo``) writes into it as ``> PATH`` would (a FIFO
  waits for its reader), and ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N``
  (a shell's ``>(...)``) write to that open descriptor. Renaming over them
  would put a regular file where the device was: as root, ``-o /dev/null``
  broke the machine's ``/dev/null``.
- ``-o`` naming an input, the pathway, or a place inside an input folder is
  refused before anything is opened (compared by device and inode, as
  ``cat`` does: "input file is output file"); so is standard output
  redirected there (``myositis suggest . > out.jsonl``), which would read
  its own records back as cases.
- Any failure to write (a full disk, a closed stream) becomes one
  ``OutputError`` line and exit 2, never an internal error.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import os
import stat
import sys
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, TextIO

from .errors import OutputError, UsageError

_FILE_BUFFER = 1 << 20


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def is_utf8(stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


class Sink(io.TextIOBase):
    """A text stream whose write failures are ``OutputError`` with their place named."""

    def __init__(self, stream: TextIO, where: str, binary: BinaryIO | None = None) -> None:
        self._stream = stream
        self.where = where
        self._binary = binary
        self._text_pending = False  # text written since the last bytes: flush it first
        self.utf8 = is_utf8(stream)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._stream, "encoding", "utf-8") or "utf-8"

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self._stream.fileno()

    def binary_fileno(self) -> int:
        """The descriptor beneath ``write_bytes`` (flush first): for kernel copies."""
        if self._binary is None:
            raise ValueError("no binary stream")
        return self._binary.fileno()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._text_pending = True
        try:
            return self._stream.write(text)
        except OSError as exc:
            raise OutputError(self.where, _reason(exc)) from None
        except ValueError:  # written after close
            raise OutputError(self.where, "the stream is closed") from None

    def write_bytes(self, data: bytes) -> None:
        """UTF-8 bytes straight to the underlying binary stream (after any buffered text)."""
        if self._binary is None:
            self.write(data.decode("utf-8"))
            return
        try:
            if self._text_pending:  # a flush is a write(2): once per switch, not per record
                self._stream.flush()
                self._text_pending = False
            self._binary.write(data)
        except OSError as exc:
            raise OutputError(self.where, _reason(exc)) from None

    def flush(self) -> None:
        try:
            self._stream.flush()
            self._text_pending = False
            if self._binary is not None:
                self._binary.flush()
        except OSError as exc:
            raise OutputError(self.where, _reason(exc)) from None
        except ValueError:
            raise OutputError(self.where, "the stream is closed") from None


class Report:
    """The destination of one command's report: standard output, or ``-o FILE``.

    Use as a context manager; ``commit()`` makes an ``-o`` file appear.
    """

    def __init__(self, target: Path | None) -> None:
        self.target = target
        self._temporary: str | None = None
        self._place: Path | None = None  # the file the temporary replaces
        self._handle: Any = None
        self.sink: Sink

    def __enter__(self) -> Report:
        if self.target is None:
            if sys.stdout is None:
                raise OutputError("standard output", "it is closed")
            self.sink = Sink(sys.stdout, "standard output", getattr(sys.stdout, "buffer", None))
            return self
        target = self.target
        fd = _stream_target(target)
        if fd is None:  # a file: written beside its place, renamed into it when complete
            self._place = _file_place(target)
            folder = self._place.parent if str(self._place.parent) else Path(".")
            name = f".{self._place.name}.{os.urandom(6).hex()}.tmp"
            self._temporary = str(folder / name)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
            try:
                fd = os.open(self._temporary, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
            except OSError as exc:
                self._temporary = None
                raise OutputError(str(target), _reason(exc)) from None
        # records of 8-25 KB outgrow the default 8 KB buffer: one write(2) each
        self._handle = open(fd, "wb", buffering=_FILE_BUFFER)  # closed in __exit__ or commit
        text = io.TextIOWrapper(self._handle, encoding="utf-8", newline="\n", write_through=True)
        self.sink = Sink(text, str(target), self._handle)
        return self

    def commit(self) -> None:
        """Finish the report: flush, and for ``-o`` put the file in place."""
        self.sink.flush()
        if self.target is None:
            return
        if self._temporary is None:  # a device, a FIFO or an open descriptor
            if self._handle is not None and not self._handle.closed:
                try:
                    self._handle.close()
                except OSError as exc:
                    raise OutputError(str(self.target), _reason(exc)) from None
            return
        try:
            self._handle.flush()
            os.fsync(self._handle.fileno())
            self._handle.close()
            os.replace(self._temporary, self._place or self.target)
        except OSError as exc:
            raise OutputError(str(self.target), _reason(exc)) from None
        self._temporary = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._temporary is not None:  # not committed: leave nothing half-written
            with contextlib.suppress(OSError):
                self._handle.close()
            with contextlib.suppress(OSError):
                os.unlink(self._temporary)
            self._temporary = None
        elif self._handle is not None and not self._handle.closed:
            with contextlib.suppress(OSError, ValueError):
                self._handle.close()


# /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N name descriptors this
# process already holds: written to as the shell would, never opened anew (a
# file opened with >> would be truncated) and never renamed over
_NAMED_DESCRIPTORS = {"/dev/stdout": 1, "/dev/stderr": 2}


def named_descriptor(target: Path) -> int | None:
    """The descriptor a path such as ``/dev/stdout`` or ``/dev/fd/63`` names, if any."""
    path = os.path.abspath(target)
    if path in _NAMED_DESCRIPTORS:
        return _NAMED_DESCRIPTORS[path]
    for folder in ("/dev/fd/", "/proc/self/fd/", f"/proc/{os.getpid()}/fd/"):
        number = path.removeprefix(folder)
        if number != path and number.isdecimal() and number.isascii():
            return int(number)
    return None


def _stream_target(target: Path) -> int | None:
    """A descriptor to write the report into when ``target`` is not a file, else None."""
    named = named_descriptor(target)
    try:
        if named is not None:
            for stream in (sys.stdout, sys.stderr):  # what they hold goes first
                with contextlib.suppress(AttributeError, OSError, ValueError):
                    if stream.fileno() == named:
                        stream.flush()
            return os.dup(named)
        info = os.stat(target)  # through links: what is written is what they lead to
    except FileNotFoundError:
        return None  # a new file (or a link to one yet to exist)
    except OSError as exc:
        raise OutputError(str(target), _reason(exc)) from None
    if stat.S_ISDIR(info.st_mode):
        raise OutputError(str(target), "is a directory (give -o a file name)")
    if stat.S_ISREG(info.st_mode):
        return None
    try:  # a device or a FIFO: into it, as > would (a FIFO waits for its reader)
        return os.open(
            target, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
        )
    except OSError as exc:
        raise OutputError(str(target), _reason(exc)) from None


def _file_place(target: Path) -> Path:
    """Where the report's file goes: ``target``, or the file a symbolic link names
    (the link is kept, as a shell's > keeps it)."""
    if os.path.islink(target):
        return Path(os.path.realpath(target))
    return target


def stdout_file() -> str | None:
    """The regular file standard output was redirected to (``> out.jsonl``), where the
    system names it (Linux ``/proc``, macOS ``F_GETPATH``); else None."""
    try:
        info = os.fstat(1)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None  # a terminal, a pipe, /dev/null: nothing to read back
    named: list[str] = []
    with contextlib.suppress(OSError):
        named.append(os.readlink("/proc/self/fd/1"))
    if not named:
        with contextlib.suppress(ImportError, AttributeError, OSError, ValueError):
            import fcntl

            raw = fcntl.fcntl(1, fcntl.F_GETPATH, bytes(1024))  # type: ignore[attr-defined]
            named.append(os.fsdecode(raw.split(b"\0", 1)[0]))
    for path in named:
        with contextlib.suppress(OSError):
            same = os.stat(path)
            if (same.st_dev, same.st_ino) == (info.st_dev, info.st_ino):
                return path
    return None


def check_stdout(inputs: Iterable[str], pathway: str | None = None) -> None:
    """Refuse standard output redirected into an input folder (``myositis suggest .
    > out.jsonl`` would read its own records back as cases), or onto an input."""
    path = stdout_file()
    if path is not None:
        check_target(Path(path), inputs, pathway, shown=f"standard output ({path})")


def check_target(
    output: Path | None,
    inputs: Iterable[str],
    pathway: str | None = None,
    *,
    shown: str | None = None,
) -> None:
    """Refuse an ``-o`` that would destroy or be read back as an input (exit 2)."""
    if output is None:
        return
    name = shown or str(output)
    try:
        info = os.stat(output)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"{name}: cannot write the report there: {_reason(exc)}") from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"{name}: is a directory (give -o a file name)")
    resolved = os.path.realpath(output)
    for given in [*inputs, *([pathway] if pathway else [])]:
        if given == "-":
            continue
        try:
            other = os.stat(given)
        except OSError:
            continue
        if stat.S_ISDIR(other.st_mode):
            folder = os.path.realpath(given)
            if os.path.commonpath([folder, resolved]) == folder:
                raise UsageError(
                    f"{name}: is inside the input folder {given}, so it could be read back "
                    "as a case; write the report elsewhere"
                )
        elif info is not None and (other.st_dev, other.st_ino) == (info.st_dev, info.st_ino):
            what = "the pathway" if given == pathway else "an input"
            raise UsageError(f"{name}: is {what} ({given}); it would be destroyed")
