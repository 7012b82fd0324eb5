"""The build under test: pure Python, or the engine's hot modules compiled with
mypyc (``MYOSITIS_MYPYC=1 pip install .``, README "Speed") -- never a mix.

.ci/run runs the whole suite on both builds and says which it expects
through ``MYOSITIS_EXPECT_BUILD``. The two tests after it pin the pitfalls a
compiled prototype hit: a ``cached_property`` that silently stopped caching,
and a record writer that kept about 15 KB per record it wrote.
"""

from __future__ import annotations

import ast
import functools
import gc
import importlib
import os
import tracemalloc
from collections.abc import Iterator

from helpers import EXAMPLES, PATHWAY_FILE, REPO

from myositis_cli import pipeline
from myositis_cli.pathway import Pathway, load_pathway
from myositis_cli.render import json as json_render
from myositis_cli.results import CaseResult


def _compiled_modules() -> tuple[str, ...]:
    """hatch_build.COMPILED_MODULES, read without importing hatchling."""
    tree = ast.parse((REPO / "hatch_build.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and getattr(node.targets[0], "id", "") == "COMPILED_MODULES"
        ):
            names: tuple[str, ...] = ast.literal_eval(node.value)
            return names
    raise AssertionError("hatch_build.py names no COMPILED_MODULES")


def test_the_hot_modules_are_all_compiled_or_all_pure() -> None:
    modules = _compiled_modules()
    assert "engine" in modules and "conditions" in modules
    compiled = {
        name: not str(importlib.import_module(f"myositis_cli.{name}").__file__).endswith(".py")
        for name in modules
    }
    assert len(set(compiled.values())) == 1, compiled  # a half-compiled install is a defect
    build = "compiled" if all(compiled.values()) else "pure"
    expected = os.environ.get("MYOSITIS_EXPECT_BUILD", build)
    assert build == expected, f"testing the {build} build where {expected} was built"


def test_every_cached_property_of_a_pathway_caches() -> None:
    pathway = load_pathway(PATHWAY_FILE)
    names = [n for n, v in vars(Pathway).items() if isinstance(v, functools.cached_property)]
    assert {"plan", "labels", "missing_keys", "alert_history_tests"} <= set(names)
    for name in names:
        if name == "criteria":
            continue  # reads the classification table: covered by its own tests
        assert getattr(pathway, name) is getattr(pathway, name), name
    # and what the plan fills on first use survives between cases
    plan = pathway.plan
    plan.names(("ivig", "rituximab"))
    assert pathway.plan is plan and plan._names


def test_writing_records_keeps_no_memory_per_record() -> None:
    pathway = load_pathway(PATHWAY_FILE)
    raw = (EXAMPLES / "antisynthetase-ild.yaml").read_bytes()
    (result,) = pipeline.Pipeline(pathway).run_bytes("case.yaml", raw)
    assert result.recommendation is not None

    def results(count: int) -> Iterator[CaseResult]:
        for _ in range(count):
            yield result

    class Sink:  # counts what it is given and keeps none of it
        def __init__(self) -> None:
            self.sizes: list[int] = []

        def write_bytes(self, data: bytes) -> None:
            self.sizes.append(len(data))

    def traced(count: int) -> tuple[int, Sink]:
        sink = Sink()
        gc.collect()
        tracemalloc.start()
        try:
            for _ in json_render.write_jsonl(results(count), sink, pathway):
                pass
            gc.collect()
            return tracemalloc.get_traced_memory()[0], sink
        finally:
            tracemalloc.stop()

    (few, _), (many, sink) = traced(200), traced(2_000)
    assert len(sink.sizes) >= 2_000 and min(sink.sizes[-2_000:]) > 5_000  # whole records
    # keeping each record written (the compiled prototype's leak) would add about 27 MB
    assert many - few < 1_000_000, (few, many)
