"""What the engine works out once per pathway gives the answer worked out afresh.

``Pathway.plan`` holds the patient-independent parts of answers, some filled
on first use (names of combinations, how each absent field is asked). These
properties compare a pathway whose plan has seen many profiles with one whose
plan is built again for every case.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from helpers import PATHWAY_FILE, repo_pathway
from hypothesis import given
from strategies import profiles

from myositis_cli import engine, ranking
from myositis_cli import plan as plan_module
from myositis_cli.pathway import load_pathway, profile_validator
from myositis_cli.profile import build_profile
from myositis_cli.results import CaseResult, record

WARM = repo_pathway()
COLD = load_pathway(PATHWAY_FILE)  # a second pathway object: its own plan and memo


def _record(pathway: Any, data: dict[str, Any], explain: bool) -> str:
    assert profile_validator().is_valid(data)
    rec = engine.suggest(pathway, build_profile(data, pathway), trace=explain)
    return json.dumps(record(CaseResult("x.yaml", 0, data["id"], rec), pathway, explain=explain))


@given(profiles(WARM))
def test_a_warm_plan_gives_the_answer_of_a_new_one(data: dict[str, Any]) -> None:
    for explain in (False, True):
        warm = _record(WARM, data, explain)
        COLD.__dict__.pop("plan", None)  # built again on first use
        cold = _record(COLD, data, explain)
        assert warm == cold


@given(profiles(WARM))
def test_the_trace_changes_only_what_explains(data: dict[str, Any]) -> None:
    # the traced and untraced engines share the plan: every answer field agrees
    profile = build_profile(data, WARM)
    lean = engine.suggest(WARM, profile, trace=False)
    full = engine.suggest(WARM, profile, trace=True)
    assert lean.trace == () and all(o.basis == () for o in lean.options)
    assert [o._replace(basis=()) for o in full.options] == list(lean.options)
    assert full._replace(options=(), trace=()) == lean._replace(options=(), trace=())


def test_what_the_plan_fills_on_first_use_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # a profile may name thousands of history entries, each a field that can be asked
    pointers = [f"/history/{i}/months" for i in range(6)] + ["/safety/tuberculosis"]
    unbounded = [load_pathway(PATHWAY_FILE).plan.check(p) for p in pointers]
    monkeypatch.setattr(plan_module, "_LIMIT", 2)
    plan = load_pathway(PATHWAY_FILE).plan
    assert [plan.check(p) for p in pointers] == unbounded
    assert [plan.check(p) for p in pointers] == unbounded  # asked again: same words
    assert len(plan._checks) == 2
    # the pathway's own words where it has them, the field's otherwise
    assert unbounded[-1].code == "tuberculosis_screen" and unbounded[-1].references
    assert unbounded[3].code == "history.3.months" and unbounded[3].ask.endswith("not recorded")
    members = [("methotrexate",), ("ivig", "rituximab"), ("mycophenolate", "tacrolimus")]
    assert [plan.names(m) for m in members][1][0] == "Intravenous immunoglobulin + Rituximab"
    assert len(plan._names) == 2
    pathway = plan.pathway
    ids = sorted(pathway.labels)
    groups = [(ids[0],), (ids[3], ids[1]), (ids[2], ids[5], ids[4]), ()]
    words = [
        (tuple(pathway.labels[r] for r in g), tuple(pathway.short_labels[r] for r in g))
        for g in groups
    ]
    assert [plan.cited(g) for g in groups] == words
    assert [plan.cited(g) for g in groups] == words  # cited again: same words, in order
    assert len(plan._cited) == 2


def test_absent_fields_are_ordered_the_same_whether_seen_before_or_not() -> None:
    # remembered sort keys take a faster path; a pointer never seen takes the slow one
    pointers = ["/history/10/months", "/safety/tuberculosis", "/history/2/months", "/sex"]
    fresh = load_pathway(PATHWAY_FILE)
    first = ranking.order_missing(fresh, set(pointers))
    assert ranking.order_missing(fresh, frozenset(pointers)) == first  # all keys known now
    # schema order (history before safety), history slots by number, not as text
    assert first == ["/sex", "/history/2/months", "/history/10/months", "/safety/tuberculosis"]


def test_the_plan_is_built_once_per_pathway() -> None:
    # a cached_property that silently stopped caching (as under some compilers)
    # would rebuild the plan, and lose the memo, for every case
    pathway = load_pathway(PATHWAY_FILE)
    assert pathway.plan is pathway.plan
    assert pathway.labels is pathway.labels
    assert pathway.alert_history_tests is pathway.alert_history_tests
