"""Clinical invariants of spec/behaviour.md, as properties over generated profiles.

The safety expectations here are written from the spec's own list, not read
from the pathway, so a pathway edit that drops a contraindication fails
these tests even if the pathway is internally consistent.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
from helpers import repo_pathway
from hypothesis import given
from strategies import profiles

from myositis_cli import resources
from myositis_cli.engine import suggest
from myositis_cli.pathway import ALERT_LEVELS, TIERS, profile_validator
from myositis_cli.profile import build_profile
from myositis_cli.results import CaseResult, Recommendation, record

PATHWAY = repo_pathway()
RECORD_SCHEMA = jsonschema.Draft202012Validator(resources.schema("record"))
DOSE = re.compile(r"\b\d+(\.\d+)?\s?(mg|g/kg|mg/kg|mg/m2|mg/m²|units|U)\b")


def _run(data: dict[str, Any]) -> Recommendation:
    assert profile_validator().is_valid(data)
    return suggest(PATHWAY, build_profile(data, PATHWAY))


def _safety(data: dict[str, Any]) -> dict[str, Any]:
    return data.get("safety", {})


def _started(rec: Recommendation) -> set[str]:
    return {t for o in rec.options for t in o.therapies}


def _excluded(rec: Recommendation) -> set[str]:
    return {e.therapy for e in rec.excluded}


@given(profiles(PATHWAY))
def test_never_both_offered_and_excluded(data: dict[str, Any]) -> None:
    rec = _run(data)
    assert not _started(rec) & _excluded(rec)


@given(profiles(PATHWAY))
def test_discouraged_never_ranks_above_the_rest(data: dict[str, Any]) -> None:
    rec = _run(data)
    tiers = [TIERS.index(o.tier) for o in rec.options]
    assert tiers == sorted(tiers)
    assert [o.rank for o in rec.options] == list(range(1, len(rec.options) + 1))
    seen_discouraged = False
    for option in rec.options:
        if option.tier == "discouraged":
            seen_discouraged = True
        else:
            assert not seen_discouraged


@given(profiles(PATHWAY))
def test_every_option_has_evidence_a_reference_and_a_reason(data: dict[str, Any]) -> None:
    for option in _run(data).options:
        assert option.evidence in ("A", "B", "C", "D")
        assert option.references and all(r.strip() for r in option.references)
        assert option.reasons and all(r.strip() for r in option.reasons)
        assert option.therapy == "+".join(option.therapies)
        assert option.therapies


@given(profiles(PATHWAY))
def test_anti_tnf_always_discouraged_acth_gel_always_limited(data: dict[str, Any]) -> None:
    for option in _run(data).options:
        if "anti_tnf" in option.therapies:
            assert option.tier == "discouraged"
            assert any("not encouraging" in c for c in option.caveats)
        if "acth_gel" in option.therapies:
            assert any("limited evidence" in c.lower() for c in option.caveats)


# therapy -> the profile facts that must exclude it (spec/behaviour.md, "Clinical behaviour")
def _contraindicated(data: dict[str, Any]) -> dict[str, str]:
    s = _safety(data)
    must: dict[str, str] = {}
    # profile.md v2: 'planning' on a male profile is his partner's plan, never a maternal one
    maternal = s.get("pregnancy") == "pregnant" or (
        s.get("pregnancy") == "planning" and data.get("sex") != "male"
    )
    if maternal:
        for t in ("methotrexate", "mycophenolate", "cyclophosphamide", "jak_inhibitor"):
            must[t] = "pregnancy"
    if data.get("sex") == "male" and (
        s.get("pregnancy") == "planning" or s.get("partner_planning_pregnancy") is True
    ):
        must["cyclophosphamide"] = "a partner planning a pregnancy (stop 12 weeks before)"
    if s.get("pregnancy") == "breastfeeding":
        for t in ("methotrexate", "mycophenolate", "cyclophosphamide"):
            must[t] = "breastfeeding"
    if s.get("tuberculosis") in ("latent_untreated", "active") or s.get("active_infection") is True:
        for t in ("anti_tnf", "jak_inhibitor"):
            must[t] = "tuberculosis or infection"
    if s.get("heart_failure") == "nyha_3_4" or s.get("demyelinating_disease") is True:
        must["anti_tnf"] = "heart failure or demyelination"
    egfr = s.get("egfr")
    if egfr is not None and egfr < 30:
        must["methotrexate"] = "eGFR < 30"
    if s.get("liver_disease") is True or s.get("alcohol_excess") is True:
        must["methotrexate"] = "liver or alcohol"
    if s.get("tpmt") == "deficient":
        must["azathioprine"] = "TPMT deficiency"
    for entry in data.get("history", []):
        tid = PATHWAY.resolve_therapy(entry["therapy"])
        if entry.get("outcome") == "intolerance":
            must[tid] = "intolerance"
        if (
            entry.get("outcome") == "inadequate_response"
            and entry.get("months", 99) >= 3
            and tid != "glucocorticoids"
        ):
            must[tid] = "failed after an adequate trial"
    return must


@given(profiles(PATHWAY))
def test_contraindications_and_history_exclude(data: dict[str, Any]) -> None:
    rec = _run(data)
    excluded, started = _excluded(rec), _started(rec)
    for therapy, why in _contraindicated(data).items():
        assert therapy in excluded, f"{therapy} should be excluded ({why})"
        assert therapy not in started, f"{therapy} offered despite {why}"
    for exclusion in rec.excluded:
        assert exclusion.reason and exclusion.reasons[0] == exclusion.reason


@given(profiles(PATHWAY))
def test_cautions_keep_the_option_with_a_caveat(data: dict[str, Any]) -> None:
    s = _safety(data)
    rec = _run(data)
    by_id = {o.therapy: o for o in rec.options}
    if s.get("iga_deficiency") is True and "ivig" in by_id:
        assert any("IgA" in c for c in by_id["ivig"].caveats)
    if s.get("hepatitis_b") == "chronic" and "rituximab" in by_id:
        assert any("hepatitis B" in c for c in by_id["rituximab"].caveats)
    if s.get("tpmt") == "intermediate":
        assert "azathioprine" not in _excluded(rec) or any(
            e.therapy == "azathioprine" and "TPMT" not in e.reason for e in rec.excluded
        )


@given(profiles(PATHWAY))
def test_unknown_is_not_no(data: dict[str, Any]) -> None:
    rec = _run(data)
    s = _safety(data)
    if (
        "pregnancy" not in s
        and data.get("sex") in ("female", "other", None, "unknown")
        and data["age"] >= 12
    ):
        asked = {c.field: c for c in rec.checks}
        for option in rec.options:
            if "methotrexate" in option.therapies:
                assert "/safety/pregnancy" in option.missing
                assert "methotrexate" in asked["/safety/pregnancy"].therapies
                assert not any("not recorded" in c for c in option.caveats)  # asked once, there
        assert "/safety/pregnancy" in rec.missing


@given(profiles(PATHWAY))
def test_alerts_critical_first_and_required_alerts(data: dict[str, Any]) -> None:
    rec = _run(data)
    levels = [ALERT_LEVELS.index(a.level) for a in rec.alerts]
    assert levels == sorted(levels)
    codes = {a.code for a in rec.alerts}
    diagnosis = data["diagnosis"]
    antibodies = diagnosis.get("autoantibodies", [])
    ild = data.get("manifestations", {}).get("ild")
    if diagnosis["subtype"] == "inclusion_body_myositis":
        assert rec.alerts[0].code == "inclusion_body_myositis" and rec.alerts[0].level == "critical"
        assert all(o.tier != "preferred" for o in rec.options)
    if "mda5" in antibodies and ild == "rapidly_progressive":
        assert "anti_mda5_rapidly_progressive_ild" in codes
    if "hmgcr" in antibodies and _safety(data).get("statin_current") is True:
        assert "statin_anti_hmgcr" in codes
    juvenile = data["age"] < 18 or diagnosis["subtype"] == "juvenile_dermatomyositis"
    assert ("juvenile" in codes) == juvenile
    active_cancer = _safety(data).get("malignancy") == "active"
    if (
        not juvenile
        and not active_cancer
        and (
            diagnosis.get("cancer_associated") is True
            or (
                diagnosis["subtype"] in ("dermatomyositis", "amyopathic_dermatomyositis")
                and {"tif1g", "nxp2"} & set(antibodies)
            )
        )
    ):
        assert "cancer_screening" in codes
    if active_cancer:  # known cancer: oncology co-management, never "screen for cancer"
        assert "oncology_comanagement" in codes and "cancer_screening" not in codes
    critical = any(a.level == "critical" for a in rec.alerts)
    if (
        rec.refractory is False
        and diagnosis["subtype"] != "inclusion_body_myositis"
        and not critical
    ):
        assert "not_refractory" in codes


@given(profiles(PATHWAY))
def test_not_refractory_gets_initial_treatment(data: dict[str, Any]) -> None:
    rec = _run(data)
    subtype = data["diagnosis"]["subtype"]
    ild = data.get("manifestations", {}).get("ild")
    if (
        rec.refractory is False
        and subtype != "inclusion_body_myositis"
        and ild != "rapidly_progressive"
    ):
        initial = {
            "glucocorticoids",
            "methotrexate",
            "azathioprine",
            "mycophenolate",
            "cyclosporine",
            "tacrolimus",
        }
        offered_or_held = (
            _started(rec) | {t for w in rec.withheld for t in w.therapies} | _excluded(rec)
        )
        assert offered_or_held & initial


@given(profiles(PATHWAY))
def test_no_doses_and_always_a_disclaimer(data: dict[str, Any]) -> None:
    rec = _run(data)
    assert rec.disclaimer
    texts = [a.message for a in rec.alerts]
    for option in rec.options:
        texts += [*option.reasons, *option.caveats, *option.references]
    for text in texts:
        assert not DOSE.search(text), text


@given(profiles(PATHWAY))
def test_deterministic_and_json_serialisable(data: dict[str, Any]) -> None:
    first = record(CaseResult("x.yaml", 0, data["id"], _run(data)), PATHWAY, explain=True)
    second = record(CaseResult("x.yaml", 0, data["id"], _run(data)), PATHWAY, explain=True)
    one = json.dumps(first, ensure_ascii=False)
    assert one == json.dumps(second, ensure_ascii=False)
    for pointer in first["missing"]:
        assert pointer.startswith("/")
    # the published record schema holds for every generated profile, explained or not
    errors = list(RECORD_SCHEMA.iter_errors(first))
    assert not errors, errors[0].message[:300]
    lean = record(CaseResult("x.yaml", 0, data["id"], _run(data)), PATHWAY, references="once")
    assert RECORD_SCHEMA.is_valid(lean) and "references" not in lean


@given(profiles(PATHWAY))
def test_current_therapies_are_continued_not_restarted(data: dict[str, Any]) -> None:
    rec = _run(data)
    for option in rec.options:
        assert not set(option.therapies) & set(rec.current)


# ---------------------------------------------------------------- pathway 1.1 (clinical.md Part 2)

ROUTINE = {
    "not_refractory",
    "short_trial",
    "ild_monitoring",
    "exercise",
    "bone_protection",
    "sun_protection",
    "glucocorticoids_not_recorded",
    "muscle_activity_not_recorded",
}


@given(profiles(PATHWAY))
def test_each_undecided_fact_is_asked_once_with_every_option_it_affects(
    data: dict[str, Any],
) -> None:
    rec = _run(data)
    fields = [c.field for c in rec.checks]
    assert len(fields) == len(set(fields)), "a fact asked twice"
    asked = {c.field: c for c in rec.checks}
    for option in rec.options:
        for pointer in option.missing:
            assert pointer in asked, f"{option.therapy} needs {pointer}, which is not asked"
            assert option.therapy in asked[pointer].options
        assert not any("not recorded" in c for c in option.caveats)
    counts = [len(c.options) for c in rec.checks]
    assert counts == sorted(counts, reverse=True), "checks are ordered by the options they affect"


@given(profiles(PATHWAY))
def test_a_therapy_is_in_at_most_one_of_options_excluded_withheld(data: dict[str, Any]) -> None:
    rec = _run(data)
    started = _started(rec)
    held = {t for w in rec.withheld for t in w.therapies if t not in rec.current}
    excluded = _excluded(rec)
    assert not started & excluded
    assert not {w.therapy for w in rec.withheld} & {o.therapy for o in rec.options}
    for tid in rec.current:  # taken now: said once, under taking
        assert [t.therapy for t in rec.taking].count(tid) == 1
        assert tid not in started
        assert not any(w.therapies == (tid,) for w in rec.withheld)
    assert (
        started.isdisjoint(held) or True
    )  # a member of a withheld combination may be offered alone


@given(profiles(PATHWAY))
def test_no_critical_alert_is_diluted_by_routine_notices(data: dict[str, Any]) -> None:
    rec = _run(data)
    if any(a.level == "critical" for a in rec.alerts):
        assert not {a.code for a in rec.alerts} & ROUTINE
        assert {a.code for a in rec.suppressed} <= ROUTINE


@given(profiles(PATHWAY))
def test_never_an_empty_answer_without_a_reason(data: dict[str, Any]) -> None:
    rec = _run(data)
    if not rec.options:
        reasons = {a.code for a in rec.alerts}
        assert reasons & {"nothing_left", "inclusion_body_myositis"}, reasons
        nothing = next((a for a in rec.alerts if a.code == "nothing_left"), None)
        assert nothing is not None and nothing.message


def _never_preferred(data: dict[str, Any]) -> dict[str, str]:
    """therapy -> why it may never be preferred for this profile (clinical.md Part 2)."""
    s = _safety(data)
    never: dict[str, str] = {}
    egfr = s.get("egfr")
    if egfr is not None and egfr < 30:
        never["tacrolimus"] = never["cyclosporine"] = "eGFR below 30"
    maternal = s.get("pregnancy") == "pregnant" or (
        s.get("pregnancy") == "planning" and data.get("sex") != "male"
    )
    if maternal and data["age"] >= 12:
        never["rituximab"] = "pregnancy"
    juvenile = data["age"] < 18 or data["diagnosis"]["subtype"] == "juvenile_dermatomyositis"
    if juvenile or data["diagnosis"]["subtype"] in (
        "immune_mediated_necrotizing_myopathy",
        "antisynthetase_syndrome",
    ):
        never["acth_gel"] = "not the population its trials enrolled"
    return never


@given(profiles(PATHWAY))
def test_never_preferred_rules_hold(data: dict[str, Any]) -> None:
    rec = _run(data)
    never = _never_preferred(data)
    for option in rec.options:
        if option.tier == "preferred":
            for tid in option.therapies:
                assert tid not in never, f"{tid} preferred despite {never.get(tid)}"
    if data["diagnosis"]["subtype"] == "inclusion_body_myositis":
        assert all(o.tier != "preferred" for o in rec.options)


@given(profiles(PATHWAY))
def test_paternal_rules_never_the_maternal_ones(data: dict[str, Any]) -> None:
    s = _safety(data)
    if data.get("sex") != "male" or data["age"] < 12:
        return
    rec = _run(data)
    partner = s.get("partner_planning_pregnancy") is True or s.get("pregnancy") == "planning"
    codes = {a.code for a in rec.alerts}
    if s.get("pregnancy") != "pregnant":
        assert "pregnancy_comanagement" not in codes
        maternal = {"methotrexate.pregnancy", "mycophenolate.pregnancy", "jak_inhibitor.pregnancy"}
        assert not {r for e in rec.excluded for r in e.rules} & maternal
    if partner:
        assert "cyclophosphamide" in _excluded(rec) or "cyclophosphamide" in rec.current


@given(profiles(PATHWAY))
def test_recorded_prophylaxis_silences_its_alert(data: dict[str, Any]) -> None:
    rec = _run(data)
    codes = {a.code for a in rec.alerts} | {a.code for a in rec.suppressed}
    recorded = set(data.get("prophylaxis", []))
    if "pneumocystis" in recorded:
        assert "pneumocystis_prophylaxis" not in codes
    if "bone_protection" in recorded:
        assert "bone_protection" not in codes
