"""A cache of validated pathway data, so start-up does not re-parse 70 KB of YAML.

Parsing and validating the bundled pathway takes about 20 ms, more than a
whole one-case run should. The validated data is stored as JSON, keyed by a
hash of the pathway file's bytes and the tool version, so a cached entry can
never be stale: any edit or upgrade changes the key. The compiled model is
rebuilt from the data on every run (no pickles). Writes are atomic and every
failure is silent: the cache is only ever a shortcut. ``MYOSITIS_NO_CACHE=1``
turns it off; ``MYOSITIS_CACHE_DIR`` moves it (default: the XDG cache dir).
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any

from . import __version__

try:  # the blake2 module alone; hashlib would also load OpenSSL (2 ms)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - other Python implementations
    from hashlib import blake2b


def key(raw: bytes) -> str:
    digest = blake2b(raw, digest_size=20)
    digest.update(__version__.encode())
    return digest.hexdigest()


def directory() -> str | None:
    if os.environ.get("MYOSITIS_NO_CACHE"):
        return None
    configured = os.environ.get("MYOSITIS_CACHE_DIR")
    if configured:
        return configured
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "myositis")


def read(name: str) -> Any:
    folder = directory()
    if folder is None:
        return None
    try:
        with open(os.path.join(folder, f"pathway-{name}.json"), encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


def write(name: str, data: Any) -> None:
    folder = directory()
    if folder is None:
        return
    target = os.path.join(folder, f"pathway-{name}.json")
    temporary = f"{target}.{os.getpid()}.tmp"
    try:
        os.makedirs(folder, exist_ok=True)
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(temporary, target)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
