"""Profiles: aliases resolve through the catalogue; 'unknown' reads as absent."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import profile, repo_pathway

from myositis_cli.profile import ProfileProblems, build_profile

PATHWAY = repo_pathway()


@pytest.mark.parametrize(
    ("name", "therapy"),
    [
        ("Prednisone", "glucocorticoids"),
        ("methylprednisolone", "glucocorticoids"),
        ("MMF", "mycophenolate"),
        ("CellCept", "mycophenolate"),
        ("mycophenolate mofetil", "mycophenolate"),
        ("Ciclosporin", "cyclosporine"),
        ("IVIG", "ivig"),
        ("intravenous immunoglobulin", "ivig"),
        ("Infliximab", "anti_tnf"),
        ("etanercept", "anti_tnf"),
        ("adalimumab", "anti_tnf"),
        ("Acthar", "acth_gel"),
        ("repository corticotropin", "acth_gel"),
        ("tofacitinib", "jak_inhibitor"),
        ("baricitinib", "jak_inhibitor"),
        ("ruxolitinib", "jak_inhibitor"),
        ("upadacitinib", "jak_inhibitor"),
        ("anti_tnf", "anti_tnf"),
        ("ANTI TNF", "anti_tnf"),
        ("jak inhibitor", "jak_inhibitor"),
    ],
)
def test_aliases_resolve_case_insensitively(name: str, therapy: str) -> None:
    built = build_profile(profile(history=[{"therapy": name}]), PATHWAY)
    assert built.history[0].therapy == therapy


def test_unknown_therapy_names_the_closest() -> None:
    with pytest.raises(ProfileProblems) as caught:
        build_profile(
            profile(history=[{"therapy": "rituximab"}, {"therapy": "ritux"}, {"therapy": "zzzz"}]),
            PATHWAY,
        )
    assert [(p.pointer, p.message) for p in caught.value.problems] == [
        ("/history/1/therapy", "unknown therapy 'ritux' (did you mean rituximab?)"),
        ("/history/2/therapy", "unknown therapy 'zzzz'"),
    ]


def test_unknown_values_read_as_absent_and_current_is_derived() -> None:
    built = build_profile(
        profile(
            sex="unknown",
            safety={"tpmt": "unknown", "egfr": 40},
            history=[
                {"therapy": "mtx", "outcome": "ongoing"},
                {"therapy": "aza", "outcome": "partial_response"},
                {"therapy": "mmf", "outcome": "partial_response", "current": True},
            ],
        ),
        PATHWAY,
    )
    assert "sex" not in built.values and "safety.tpmt" not in built.values
    assert built.values["safety.egfr"] == 40
    assert [h.current for h in built.history] == [True, False, True]
    assert built.has_history
    assert not build_profile(profile(), PATHWAY).has_history


@pytest.mark.parametrize(
    ("section", "key", "value", "refused"),
    [
        ("classification", "onset_age", 45.9, False),  # a 45-year-old may be 45.9
        ("classification", "onset_age", 46, True),
        ("classification", "onset_age", 50, True),
        ("diagnosis", "years_since_onset", 45, False),
        ("diagnosis", "years_since_onset", 46, True),
        ("diagnosis", "years_since_onset", 0, False),
    ],
)
def test_an_onset_beyond_the_age_now_is_a_located_problem(
    section: str, key: str, value: float, refused: bool
) -> None:
    from myositis_cli.profile import chronology_problems

    data: dict[str, Any] = {"age": 45, section: {key: value}}
    problems = chronology_problems(data)
    assert [p.pointer for p in problems] == ([f"/{section}/{key}"] if refused else [])
    if refused:
        assert problems[0].kind == "semantic"
        assert problems[0].message.endswith("is beyond the patient's age (45): check both")
    assert chronology_problems({"age": True, section: {key: value}}) == []
