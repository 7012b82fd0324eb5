"""A cache of validated pathway data, so start-up does not re-parse the pathway's YAML.

A cached entry can never change an answer:

- its key is a hash of the pathway file's bytes, of the pathway and profile
  schemas and of the tool version, so any edit or upgrade misses the cache;
- it is read only from a folder and a file owned by the current user and
  writable by nobody else (as OpenSSH's ``StrictModes`` treats its files),
  opened without following a symlink and without blocking on a FIFO;
- the caller validates it against the pathway schema and compiles it like
  freshly parsed data; a bad, foreign or unreadable entry is ignored (and
  rewritten), never an error.

Writes go through a temporary file with a random name, created with
``O_EXCL | O_NOFOLLOW`` and mode 0600, then renamed. ``MYOSITIS_NO_CACHE=1``
turns the cache off; ``MYOSITIS_CACHE_DIR`` moves it (default: the XDG cache
folder); with ``HOME`` unset and no XDG folder it is skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from typing import Any

from . import __version__

try:  # the blake2 module alone; hashlib would also load OpenSSL (2 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b

_MAX_ENTRY = 16 * 1024 * 1024
_FLAGS = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def key(raw: bytes) -> str:
    """The entry name for a pathway's bytes, under this tool version and its schemas."""
    from . import resources

    digest = blake2b(raw, digest_size=20)
    for name in ("pathway", "profile"):
        digest.update(resources.schema_bytes(name))
    digest.update(__version__.encode())
    return digest.hexdigest()


def directory() -> str | None:
    """The cache folder, or None when there is none to use."""
    if os.environ.get("MYOSITIS_NO_CACHE"):
        return None
    configured = os.environ.get("MYOSITIS_CACHE_DIR")
    if configured:
        return configured
    base = os.environ.get("XDG_CACHE_HOME")
    if not base or not os.path.isabs(base):
        home = os.path.expanduser("~")
        if not os.path.isabs(home):  # HOME unset and no passwd entry: never a folder named '~'
            return None
        base = os.path.join(home, ".cache")
    return os.path.join(base, "myositis")


def _trusted(info: os.stat_result) -> bool:
    owner = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
    return info.st_uid == owner and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _trusted_folder(folder: str) -> bool:
    try:
        info = os.stat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and _trusted(info)


def read(name: str) -> Any:
    """The cached data for ``name``, or None (missing, foreign, unreadable, not JSON)."""
    folder = directory()
    if folder is None or not _trusted_folder(folder):
        return None
    path = os.path.join(folder, f"pathway-{name}.json")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode) or not _trusted(info) or info.st_size > _MAX_ENTRY:
            return None
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return json.loads(handle.read(_MAX_ENTRY + 1))
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(fd)


def write(name: str, data: Any) -> None:
    """Store ``data`` for ``name`` atomically; any failure is silent (a cache is a shortcut)."""
    folder = directory()
    if folder is None:
        return
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return
    if not _trusted_folder(folder):
        return
    target = os.path.join(folder, f"pathway-{name}.json")
    temporary = os.path.join(folder, f".pathway-{name}.{os.urandom(8).hex()}.tmp")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _FLAGS, 0o600)
    except OSError:
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(temporary, target)
    except (OSError, TypeError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(temporary)
