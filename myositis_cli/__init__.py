"""myositis: treatment-pathway decision support for refractory myositis.

The public API (documented in the README, kept stable by a test):

- ``load_pathway(path=None)``: a compiled pathway, the bundled one by default;
- ``suggest(profile, pathway=None)``: the record ``myositis suggest`` writes;
- ``suggest_many(profiles, pathway=None)``: records, streamed;
- ``validate(profile, pathway=None)``: the problems ``myositis validate`` reports;
- ``profile_from_row(row)``: a profile from a pandas row or any flat mapping;
- ``Pathway``, ``Problem``, ``PathwayError``: the types these return or raise.

``myositis_cli.dask`` (with the ``dask`` extra) maps the same pipeline over a
Dask bag. Names load on first use, so the command line does not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "1.1.0"

__all__ = [
    "Pathway",
    "PathwayError",
    "Problem",
    "__version__",
    "load_pathway",
    "profile_from_row",
    "suggest",
    "suggest_many",
    "validate",
]

_LAZY = {
    "load_pathway": "api",
    "suggest": "api",
    "suggest_many": "api",
    "validate": "api",
    "profile_from_row": "flat",
    "Pathway": "pathway",
    "Problem": "problems",
    "PathwayError": "errors",
}

if TYPE_CHECKING:
    from .api import load_pathway, suggest, suggest_many, validate
    from .errors import PathwayError
    from .flat import profile_from_row
    from .pathway import Pathway
    from .problems import Problem


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'myositis_cli' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
