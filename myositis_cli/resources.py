"""Where the bundled pathway and schemas are.

In a wheel they travel inside the package (``myositis_cli/pathways``,
``myositis_cli/schemas``); in a source checkout or an editable install they
are the repository's top-level folders, where clinicians edit them.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_PATHWAY = "refractory-myositis.yaml"


@cache
def data_dir(name: str) -> Path:
    """The folder ``pathways`` or ``schemas``, bundled or from the checkout."""
    # a __file__-relative path: importlib.resources costs start-up and adds nothing
    # for a package installed as files
    bundled = Path(__file__).resolve().parent / name
    if bundled.is_dir():
        return bundled
    checkout = Path(__file__).resolve().parent.parent / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the bundled {name}/ folder is missing from this installation")


def default_pathway() -> Path:
    return data_dir("pathways") / DEFAULT_PATHWAY


def schema_path(name: str) -> Path:
    return data_dir("schemas") / f"{name}.schema.json"


@cache
def schema_bytes(name: str) -> bytes:
    """A bundled JSON Schema's bytes, read once."""
    with open(schema_path(name), "rb") as handle:
        return handle.read()


@cache
def schema(name: str) -> dict[str, Any]:
    """A bundled JSON Schema (``profile``, ``pathway``, ``case``...), parsed once."""
    from .compiled import loads

    loaded: dict[str, Any] = loads(schema_bytes(name))
    return loaded
