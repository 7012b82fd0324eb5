"""Helpers for tests: repository paths, the repository's pathway, profile builders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from myositis_cli.engine import suggest
from myositis_cli.pathway import Pathway, load_pathway, profile_validator
from myositis_cli.profile import build_profile
from myositis_cli.results import Recommendation

REPO = Path(__file__).resolve().parent.parent
PATHWAY_FILE = REPO / "pathways" / "refractory-myositis.yaml"
CASES_DIR = REPO / "pathways" / "cases"
EXAMPLES = REPO / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# the installed entry point, as a user runs it
SCRIPT = str(Path(sys.executable).parent / "myositis")

_PATHWAY: Pathway | None = None


def repo_pathway() -> Pathway:
    """The pathway in this checkout (not a possibly stale installed copy), loaded once."""
    global _PATHWAY
    if _PATHWAY is None:
        _PATHWAY = load_pathway(PATHWAY_FILE)
    return _PATHWAY


def run(data: dict[str, Any], pathway: Pathway | None = None) -> Recommendation:
    """Suggest for profile data that must be valid."""
    pw = pathway or repo_pathway()
    assert profile_validator().is_valid(data), data
    return suggest(pw, build_profile(data, pw))


def profile(**fields: Any) -> dict[str, Any]:
    """A minimal valid profile with the given top-level fields replaced."""
    base: dict[str, Any] = {"id": "t-1", "age": 50, "diagnosis": {"subtype": "polymyositis"}}
    base.update(fields)
    return base


REFRACTORY = {
    "glucocorticoids": {"current_dose_mg": 10, "months": 9},
    "history": [{"therapy": "methotrexate", "months": 6, "outcome": "inadequate_response"}],
}
