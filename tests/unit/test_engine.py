"""The engine, example by example: exclusions, combinations, ranking, trace."""

from __future__ import annotations

from helpers import REFRACTORY, profile, repo_pathway, run

from myositis_cli.engine import suggest
from myositis_cli.profile import build_profile

PATHWAY = repo_pathway()


def options(rec):  # type: ignore[no-untyped-def]
    return {o.therapy: o for o in rec.options}


def test_combination_continues_current_therapies() -> None:
    rec = run(
        profile(
            diagnosis={"subtype": "dermatomyositis", "autoantibodies": ["mda5"]},
            manifestations={"ild": "rapidly_progressive"},
            glucocorticoids={"current_dose_mg": 40, "months": 1},
        )
    )
    top = rec.options[0]
    assert top.therapy == "tacrolimus+cyclophosphamide" and top.therapies == (
        "tacrolimus",
        "cyclophosphamide",
    )
    assert top.continued == ("glucocorticoids",)
    assert "continue current Glucocorticoids alongside" in top.reasons
    assert rec.current == ("glucocorticoids",)


def test_combination_with_an_excluded_member_is_withheld() -> None:
    rec = run(
        profile(
            sex="female",
            diagnosis={"subtype": "dermatomyositis", "autoantibodies": ["mda5"]},
            manifestations={"ild": "rapidly_progressive"},
            safety={"pregnancy": "pregnant"},
        )
    )
    withheld = {w.therapy: w.reason for w in rec.withheld}
    assert withheld["glucocorticoids+tacrolimus+cyclophosphamide"].startswith(
        "includes Cyclophosphamide, which is excluded: contraindicated in pregnancy"
    )


def test_an_option_already_taken_is_said_once_under_taking() -> None:
    rec = run(
        profile(
            manifestations={"ild": "none", "muscle": "mild"},
            glucocorticoids={"current_dose_mg": 20, "months": 1},
            history=[{"therapy": "methotrexate", "months": 1, "outcome": "ongoing"}],
        )
    )
    assert rec.withheld == ()  # never also "withheld: already taking"
    assert [(t.therapy, t.advice) for t in rec.taking] == [
        ("glucocorticoids", "continue"),
        ("methotrexate", "continue"),
    ]
    assert "azathioprine" in options(rec)


def test_score_is_weights_plus_evidence_minus_cautions() -> None:
    data = profile(
        diagnosis={"subtype": "dermatomyositis"},
        manifestations={"muscle": "moderate"},
        safety={
            "iga_deficiency": True,
            "thrombosis_history": False,
            "cardiovascular_risk": False,
            "egfr": 90,
            "heart_failure": "none",
        },
        **REFRACTORY,
    )
    ivig = options(run(data))["ivig"]
    assert ivig.evidence == "A"  # adult dermatomyositis: ProDERM
    assert ivig.score == 5 + 3 - 3  # node weight + A bonus - IgA deficiency caution
    assert ivig.tier == "consider"


def test_evidence_depends_on_context() -> None:
    dm = run(
        profile(
            diagnosis={"subtype": "dermatomyositis"},
            manifestations={"muscle": "mild"},
            **REFRACTORY,
        )
    )
    pm = run(
        profile(
            diagnosis={"subtype": "polymyositis"}, manifestations={"muscle": "mild"}, **REFRACTORY
        )
    )
    assert options(dm)["ivig"].evidence == "A" and options(pm)["ivig"].evidence == "C"
    jdm = run(profile(age=9, diagnosis={"subtype": "juvenile_dermatomyositis"}))
    assert options(jdm)["glucocorticoids+methotrexate"].evidence == "A"


def test_ties_break_in_catalogue_order() -> None:
    rec = run(profile(manifestations={"ild": "none"}, safety={"tpmt": "normal"}))
    assert [o.therapy for o in rec.options[:2]] == [
        "glucocorticoids+methotrexate",
        "glucocorticoids+azathioprine",
    ]
    assert rec.options[0].score == rec.options[1].score


def test_failure_and_intolerance_excluded_with_reasons() -> None:
    rec = run(
        profile(
            glucocorticoids={"current_dose_mg": 10, "months": 9},
            history=[
                {"therapy": "methotrexate", "months": 6, "outcome": "inadequate_response"},
                {"therapy": "azathioprine", "months": 1, "outcome": "intolerance"},
                {
                    "therapy": "prednisone",
                    "months": 9,
                    "outcome": "partial_response",
                    "current": True,
                },
            ],
        )
    )
    reasons = {e.therapy: e.reason for e in rec.excluded}
    assert reasons == {
        "methotrexate": "inadequate response after 6 months: not offered again as a new start",
        "azathioprine": "stopped for intolerance after 1 month: not offered again",
    }


def test_current_contraindicated_therapy_raises_a_warning() -> None:
    rec = run(
        profile(
            sex="female",
            safety={"pregnancy": "planning"},
            history=[
                {
                    "therapy": "methotrexate",
                    "months": 5,
                    "outcome": "good_response",
                    "current": True,
                }
            ],
        )
    )
    alert = next(a for a in rec.alerts if a.code == "current_therapy_contraindicated")
    assert alert.level == "warning" and "Methotrexate" in alert.message


def test_short_trial_alert_names_the_trial() -> None:
    rec = run(profile(history=[{"therapy": "mmf", "months": 2, "outcome": "inadequate_response"}]))
    alert = next(a for a in rec.alerts if a.code == "short_trial")
    assert alert.message.endswith("(Mycophenolate mofetil (2 months))")


def test_trace_explains_the_walk() -> None:
    rec = run(
        profile(
            diagnosis={"subtype": "polymyositis"}, manifestations={"muscle": "mild"}, **REFRACTORY
        )
    )
    steps = [(s.phase, s.subject, s.message) for s in rec.trace]
    assert (
        "walk",
        "root",
        "entered 'Next-line options for idiopathic inflammatory myopathy': root",
    ) in steps
    assert any(p == "walk" and s == "initial" and m.startswith("skipped") for p, s, m in steps)
    assert any(
        p == "option" and s == "rituximab" and "= " in m and "(evidence B)" in m
        for p, s, m in steps
    )
    assert any(p == "history" and s == "methotrexate" for p, s, _ in steps)


def test_trace_can_be_switched_off() -> None:
    data = profile(**REFRACTORY)
    assert suggest(PATHWAY, build_profile(data, PATHWAY), trace=False).trace == ()
