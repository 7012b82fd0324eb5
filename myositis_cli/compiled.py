"""The bundled pathway's validated data, shipped in the wheel (see hatch_build.py).

Used only when it was built from exactly the installed YAML bytes, with the
installed schemas and this tool version; otherwise the YAML is parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__

SUFFIX = ".compiled.json"

# CPython's own SHA-256: hashlib would load OpenSSL first (2 ms at every start)
if TYPE_CHECKING:
    from hashlib import sha256
else:
    try:
        from _sha2 import sha256  # Python 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # Python 3.10, 3.11
        except ImportError:  # pragma: no cover - other implementations
            from hashlib import sha256

try:  # three times faster on the 90 KB of shipped data, at every start
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency; the stdlib reads the same
    from json import loads as _loads  # type: ignore[assignment]


def sha256_hex(raw: bytes) -> str:
    """The SHA-256 of ``raw`` in hex: how a pathway's bytes are named in records."""
    return sha256(raw).hexdigest()


def key(schemas: Path) -> str:
    """What the shipped data depends on besides the YAML: the schemas and the tool version."""
    digest = sha256(__version__.encode())
    for name in ("pathway", "profile"):
        digest.update((schemas / f"{name}.schema.json").read_bytes())
    return digest.hexdigest()


def loads(raw: bytes) -> Any:
    """JSON to data: orjson where installed, else the stdlib (the same data for the
    files the tool ships)."""
    return _loads(raw)


def shipped(yaml_path: Path, sha256: str) -> Any:
    """The shipped data for the bundled pathway at ``yaml_path`` (whose bytes have
    the SHA-256 ``sha256``), or None."""
    candidate = yaml_path.with_name(yaml_path.stem + SUFFIX)
    try:
        with open(candidate, "rb") as handle:
            entry = _loads(handle.read())
    except (OSError, ValueError):
        return None
    if not isinstance(entry, dict) or entry.get("sha256") != sha256:
        return None
    from . import resources

    if entry.get("key") != key(resources.data_dir("schemas")):
        return None
    return entry.get("data")
