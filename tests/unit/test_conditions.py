"""The condition vocabulary: three-valued, compiled once, mistakes located."""

from __future__ import annotations

from typing import Any

import pytest

from myositis_cli.conditions import (
    ABSENT,
    Context,
    Environment,
    HistoryItem,
    compile_condition,
)
from myositis_cli.pathway import OUTCOMES, profile_fields

FACTS_RAW = {"juvenile": {"any": [{"field": "age", "less_than": 18}]}}


def env() -> Environment:
    return Environment(
        fields=profile_fields(),
        fact_titles={"juvenile": "juvenile patient"},
        therapies={"methotrexate": "Methotrexate", "rituximab": "Rituximab"},
        outcomes=OUTCOMES,
    )


def compile_ok(raw: Any) -> Any:
    e = env()
    cond = compile_condition(raw, "/c", e)
    assert not e.problems, e.problems
    return cond


def ctx(values: dict[str, Any], history: tuple[HistoryItem, ...] | None = None) -> Context:
    facts = {"juvenile": compile_ok(FACTS_RAW["juvenile"])}
    return Context(values, history or (), history is not None, facts, 3, True)


def test_absent_is_unknown_and_reported() -> None:
    cond = compile_ok({"field": "safety.pregnancy", "in": ["pregnant", "planning"]})
    assert cond.evaluate(ctx({})) == (None, frozenset({"/safety/pregnancy"}))
    assert cond.evaluate(ctx({"safety.pregnancy": "none"})) == (False, frozenset())
    assert cond.evaluate(ctx({"safety.pregnancy": "planning"})) == (True, frozenset())


def test_if_absent_assumes_but_still_reports() -> None:
    cond = compile_ok({"field": "manifestations.muscle", "in": ["mild"], "if_absent": True})
    assert cond.evaluate(ctx({})) == (True, frozenset({"/manifestations/muscle"}))


def test_not_asked_when() -> None:
    cond = compile_ok(
        {
            "field": "safety.pregnancy",
            "equals": "pregnant",
            "not_asked_when": {"field": "sex", "equals": "male"},
        }
    )
    assert cond.evaluate(ctx({"sex": "male"})) == (False, frozenset())
    assert cond.evaluate(ctx({"sex": "female"}))[0] is None
    assert cond.evaluate(ctx({"sex": "male", "safety.pregnancy": "pregnant"}))[0] is True
    assert cond.evaluate(ctx({}))[1] == {"/safety/pregnancy", "/sex"}


def test_kleene_logic_keeps_only_missing_that_matters() -> None:
    either = compile_ok(
        {"any": [{"field": "age", "less_than": 18}, {"field": "safety.egfr", "less_than": 30}]}
    )
    assert either.evaluate(ctx({"age": 10})) == (True, frozenset())
    assert either.evaluate(ctx({"age": 40})) == (None, frozenset({"/safety/egfr"}))
    both = compile_ok(
        {"all": [{"field": "age", "less_than": 18}, {"field": "safety.egfr", "less_than": 30}]}
    )
    assert both.evaluate(ctx({"age": 40})) == (False, frozenset())
    assert (
        compile_ok({"not": {"field": "safety.egfr", "less_than": 30}}).evaluate(ctx({}))[0] is None
    )


def test_present_and_fact() -> None:
    assert compile_ok({"field": "glucocorticoids", "present": True}).evaluate(ctx({})) == (
        False,
        frozenset({"/glucocorticoids"}),
    )
    assert compile_ok({"fact": "juvenile"}).evaluate(ctx({"age": 9}))[0] is True


def test_history_matching_and_adequate_trials() -> None:
    cond = compile_ok(
        {
            "history": {
                "therapy": ["methotrexate"],
                "outcome": ["inadequate_response"],
                "adequate": True,
            }
        }
    )
    short = HistoryItem(0, "methotrexate", 2, "inadequate_response", False)
    long = HistoryItem(0, "methotrexate", 3, "inadequate_response", False)
    unknown = HistoryItem(0, "methotrexate", None, "inadequate_response", False)
    assert cond.evaluate(ctx({}, (short,)))[0] is False
    assert cond.evaluate(ctx({}, (long,))) == (True, frozenset())
    assert cond.evaluate(ctx({}, (unknown,))) == (True, frozenset({"/history/0/months"}))
    assert cond.evaluate(ctx({})) == (False, frozenset({"/history"}))


@pytest.mark.parametrize(
    ("raw", "rule", "pointer", "message"),
    [
        (
            {"field": "safety.pregancy", "equals": "none"},
            "unknown-field",
            "/c/field",
            "unknown field 'safety.pregancy' (did you mean safety.pregnancy?)",
        ),
        (
            {"field": "age", "les_than": 3},
            "unknown-operator",
            "/c/les_than",
            "unknown operator 'les_than' (did you mean less_than?)",
        ),
        (
            {"field": "safety.pregnancy", "equals": "pregant"},
            "bad-value",
            "/c/equals",
            "'pregant' is not a value of safety.pregnancy (did you mean pregnant?)",
        ),
        (
            {"field": "safety.tpmt", "equals": "unknown"},
            "bad-value",
            "/c/equals",
            "'unknown' is read as not recorded",
        ),
        (
            {"field": "sex", "less_than": 3},
            "bad-value",
            "/c/less_than",
            "'less_than' does not apply to sex (enum)",
        ),
        ({"field": "age", "equals": 3, "in": [4]}, "bad-condition", "/c", "exactly one operator"),
        (
            {"fact": "juvenil"},
            "unknown-fact",
            "/c/fact",
            "unknown fact 'juvenil' (did you mean juvenile?)",
        ),
        (
            {"history": {"therapy": ["ritux"]}},
            "unknown-therapy",
            "/c/history/therapy/0",
            "unknown therapy 'ritux' (did you mean rituximab?)",
        ),
        (
            {"history": {"outcome": ["cured"]}},
            "bad-value",
            "/c/history/outcome/0",
            "unknown outcome 'cured'",
        ),
        ({"all": []}, "bad-condition", "/c/all", "'all' takes a non-empty list"),
        ({"when": 1}, "unknown-operator", "/c", "unknown condition form"),
        ("always", "bad-condition", "/c", "a condition must be a mapping"),
    ],
)
def test_mistakes_are_found_at_compile_time(
    raw: Any, rule: str, pointer: str, message: str
) -> None:
    e = env()
    compile_condition(raw, "/c", e)
    assert [(p.rule, p.pointer) for p in e.problems][:1] == [(rule, pointer)]
    assert message in e.problems[0].message


def test_words() -> None:
    cond = compile_ok(
        {
            "all": [
                {"field": "safety.pregnancy", "in": ["pregnant", "planning"]},
                {"not": {"field": "sex", "equals": "male"}},
            ]
        }
    )
    assert cond.words() == "pregnancy status is one of planning, pregnant and sex is not male"
    assert ABSENT is not None
