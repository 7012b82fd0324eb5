"""Shared fixtures: the repository's pathway and a case runner."""

from __future__ import annotations

import os

import pytest
from helpers import repo_pathway
from hypothesis import HealthCheck, settings

from myositis_cli import loading
from myositis_cli.pathway import Pathway
from myositis_cli.pipeline import Pipeline

settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "dev", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(  # a long hunt for counterexamples: HYPOTHESIS_PROFILE=hunt
    "hunt", max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Slow tests (a wheel build, pre-commit environments, 100,000 records) run in CI only,
    so the default run stays inside a minute."""
    if os.environ.get("MYOSITIS_SLOW"):
        return
    skip = pytest.mark.skip(reason="slow: set MYOSITIS_SLOW=1 to run it (.ci/run does)")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def pathway() -> Pathway:
    return repo_pathway()


@pytest.fixture(scope="session")
def runner(pathway: Pathway) -> Pipeline:
    return Pipeline(pathway, loading.DEFAULT_LIMITS, trace=True)
