"""Clinical invariants of spec/behaviour.md, as properties over generated profiles.

The safety expectations here are written from the spec's own list, not read
from the pathway, so a pathway edit that drops a contraindication fails
these tests even if the pathway is internally consistent.
"""

from __future__ import annotations

import json
import re
from typing import Any

from helpers import repo_pathway
from hypothesis import given
from strategies import profiles

from myositis_cli.engine import suggest
from myositis_cli.pathway import ALERT_LEVELS, TIERS, profile_validator
from myositis_cli.profile import build_profile
from myositis_cli.results import CaseResult, Recommendation, record

PATHWAY = repo_pathway()
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
    if s.get("pregnancy") in ("pregnant", "planning"):
        for t in ("methotrexate", "mycophenolate", "cyclophosphamide", "jak_inhibitor"):
            must[t] = "pregnancy"
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
        for option in rec.options:
            if "methotrexate" in option.therapies:
                assert "/safety/pregnancy" in option.missing
                assert any("pregnancy status not recorded" in c for c in option.caveats)
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
    if not juvenile and (
        diagnosis.get("cancer_associated") is True
        or (
            diagnosis["subtype"] in ("dermatomyositis", "amyopathic_dermatomyositis")
            and {"tif1g", "nxp2"} & set(antibodies)
        )
    ):
        assert "cancer_screening" in codes
    if rec.refractory is False and diagnosis["subtype"] != "inclusion_body_myositis":
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
    first = record(CaseResult("x.yaml", 0, data["id"], _run(data)), explain=True)
    second = record(CaseResult("x.yaml", 0, data["id"], _run(data)), explain=True)
    one = json.dumps(first, ensure_ascii=False)
    assert one == json.dumps(second, ensure_ascii=False)
    for pointer in first["missing"]:
        assert pointer.startswith("/")


@given(profiles(PATHWAY))
def test_current_therapies_are_continued_not_restarted(data: dict[str, Any]) -> None:
    rec = _run(data)
    for option in rec.options:
        assert not set(option.therapies) & set(rec.current)
