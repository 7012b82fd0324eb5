"""The 2017 EULAR/ACR criteria as data: the table matches evidence.md, and scoring is honest
about what is not recorded (properties over generated profiles)."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import REPO
from hypothesis import given
from hypothesis import strategies as st

from myositis_cli.criteria import (
    CATEGORIES,
    classification_record,
    classify,
    compile_criteria,
    contradictions,
    load_criteria,
)

CRITERIA = load_criteria(str(REPO / "pathways" / "classification-2017.yaml"))
SHARED = REPO.parent / "shared" / "evidence.md"  # beside the repository in development
EVIDENCE = REPO / "docs" / "evidence" / "classification-2017.md"  # its section 18, verbatim
FLAGS = [i for i in CRITERIA.items if not i.bands]
ONSETS = (10, 30, 50)  # one onset in each band: none, 18-39, 40 and over

# evidence.md's wording of each row, mapped to the table's item ids
ROWS = {
    "Objective symmetric weakness, usually progressive, proximal upper extremities": "weakness_proximal_arms",
    "Objective symmetric weakness, usually progressive, proximal lower extremities": "weakness_proximal_legs",
    "Neck flexors relatively weaker than neck extensors": "neck_flexors_weaker_than_extensors",
    "In the legs, proximal muscles relatively weaker than distal": "legs_proximal_weaker_than_distal",
    "Heliotrope rash": "heliotrope_rash",
    "Gottron's papules": "gottron_papules",
    "Gottron's sign": "gottron_sign",
    "Dysphagia or oesophageal dysmotility": "dysphagia",
    "Anti-Jo-1 (anti-histidyl-tRNA synthetase) antibody": "anti_jo1",
    "Elevated CK or LDH or AST or ALT (above ULN)": "enzymes_raised",
    "Endomysial infiltration of mononuclear cells surrounding, but not invading, myofibres": "biopsy_endomysial_infiltrate",
    "Perimysial and/or perivascular infiltration of mononuclear cells": "biopsy_perimysial_infiltrate",
    "Perifascicular atrophy": "biopsy_perifascicular_atrophy",
    "Rimmed vacuoles": "biopsy_rimmed_vacuoles",
}


def _evidence_table() -> dict[str, tuple[str, str]]:
    text = EVIDENCE.read_text(encoding="utf-8")
    section = text[text.index("## 18.") :]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.match(r"^(\d+\.\d|—)$", cells[1]):
            rows[cells[0]] = (cells[1], cells[2])
    return rows


@pytest.mark.skipif(
    not EVIDENCE.exists(), reason="shared/evidence.md is beside the repository only"
)
def test_every_weight_is_the_table_in_evidence_md() -> None:
    table = _evidence_table()
    assert len(table) == 16
    items = {item.id: item for item in CRITERIA.items}
    for row, item_id in ROWS.items():
        without, with_biopsy = table[row]
        item = items[item_id]
        assert item.weights.get("without_biopsy") == (
            None if without == "—" else round(float(without) * 10)
        ), row
        assert item.weights["with_biopsy"] == round(float(with_biopsy) * 10), row
    bands = items["onset_age"].bands
    young = table["Age of onset of first related symptom ≥18 and <40 years"]
    older = table["Age of onset ≥40 years"]
    assert (bands[0].start, bands[0].below) == (18, 40) and bands[1].start == 40
    assert bands[0].weights == {
        "without_biopsy": round(float(young[0]) * 10),
        "with_biopsy": round(float(young[1]) * 10),
    }
    assert bands[1].weights == {
        "without_biopsy": round(float(older[0]) * 10),
        "with_biopsy": round(float(older[1]) * 10),
    }
    section = EVIDENCE.read_text(encoding="utf-8").split("## 18.")[1]
    assert "≥5.5 without biopsy / ≥6.7 with biopsy" in section
    assert CRITERIA.cutoffs == {
        "without_biopsy": {"possible": 53, "probable": 55, "definite": 75},
        "with_biopsy": {"possible": 65, "probable": 67, "definite": 87},
    }
    assert "≥7.5 /\n  ≥8.7" in section and "below 5.3 / 6.5" in section


def test_every_classification_field_of_the_profile_has_exactly_one_item() -> None:
    from myositis_cli import resources

    fields = set(resources.schema("profile")["properties"]["classification"]["properties"])
    assert [item.id for item in CRITERIA.items] == list(dict.fromkeys(i.id for i in CRITERIA.items))
    assert {item.id for item in CRITERIA.items} == fields


# ---------------------------------------------------------------------------- properties

recorded_items = st.dictionaries(
    st.sampled_from([i.id for i in FLAGS]), st.booleans(), max_size=len(FLAGS)
)


@st.composite
def partial_profiles(draw: Any) -> dict[str, Any]:
    cls: dict[str, Any] = dict(draw(recorded_items))
    if draw(st.booleans()):
        cls["onset_age"] = draw(st.sampled_from([5, 17.9, 18, 25, 39.9, 40, 70]))
    # keep the completions few enough to enumerate
    unknown = [i.id for i in FLAGS if i.id not in cls]
    for item_id in unknown[6:]:
        cls[item_id] = draw(st.booleans())
    return {"classification": cls}


def _completions(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every way the unrecorded items could be. Without a biopsy the biopsy findings stay
    unrecorded (recording one would mean a biopsy was done: another question)."""
    cls = data["classification"]
    biopsy_done = any(i.biopsy and i.id in cls for i in FLAGS)
    unknown = [i.id for i in FLAGS if i.id not in cls and (biopsy_done or not i.biopsy)]
    onsets = [cls["onset_age"]] if "onset_age" in cls else list(ONSETS)
    out = []
    for onset in onsets:
        for values in itertools.product([False, True], repeat=len(unknown)):
            out.append(
                {
                    "classification": {
                        **cls,
                        "onset_age": onset,
                        **dict(zip(unknown, values, strict=True)),
                    }
                }
            )
    return out


@given(partial_profiles())
def test_the_range_holds_every_completion_of_what_is_not_recorded(data: dict[str, Any]) -> None:
    partial = classify(CRITERIA, data)
    for column in ("without_biopsy", "with_biopsy"):
        ranged = getattr(partial, column)
        seen = []
        for completion in _completions(data):
            full = getattr(classify(CRITERIA, completion), column)
            if ranged is None or full is None:
                # a biopsy is done in every completion exactly when in the partial profile
                assert ranged is None and full is None
                continue
            assert full.unknown == ()
            assert ranged.low <= full.score <= ranged.high
            assert full.category in ranged.category_range
            seen.append(full.score)
        if ranged is not None:
            assert ranged.score == ranged.low == min(seen)  # the score counts recorded items only
            assert ranged.high == max(seen)  # and the range is tight
            for reach in ranged.decisive:  # each decisive item alone moves the category
                alone = {
                    **data["classification"],
                    reach.item: 50 if reach.item == "onset_age" else True,
                }
                assert (
                    getattr(classify(CRITERIA, {"classification": alone}), column).category
                    == reach.category
                )


@given(recorded_items, st.sampled_from(ONSETS), st.randoms(use_true_random=False))
def test_a_fully_recorded_profile_ignores_key_order(
    recorded: dict[str, bool], onset: int, rng: random.Random
) -> None:
    cls: dict[str, Any] = {i.id: recorded.get(i.id, False) for i in FLAGS}
    cls["onset_age"] = onset
    keys = list(cls)
    rng.shuffle(keys)
    shuffled = {k: cls[k] for k in keys}
    first = classification_record(CRITERIA, classify(CRITERIA, {"classification": cls}))
    second = classification_record(CRITERIA, classify(CRITERIA, {"classification": shuffled}))
    assert first["without_biopsy"] == second["without_biopsy"]
    assert first["with_biopsy"] == second["with_biopsy"]
    assert first["classifiable"] == second["classifiable"]
    assert first["without_biopsy"]["min"] == first["without_biopsy"]["max"]
    assert first["without_biopsy"]["category_range"] == [first["without_biopsy"]["category"]]


@given(st.integers(min_value=0, max_value=250), st.sampled_from(["without_biopsy", "with_biopsy"]))
def test_categories_follow_the_cutoffs(tenths: int, column: str) -> None:
    cut = CRITERIA.cutoffs[column]
    expected = (
        "definite"
        if tenths >= cut["definite"]
        else "probable"
        if tenths >= cut["probable"]
        else "possible"
        if tenths >= cut["possible"]
        else "not_iim"
    )
    assert CRITERIA.category(column, tenths) == expected
    assert expected in CATEGORIES


def test_scores_add_in_tenths_never_floats() -> None:
    cls = {"onset_age": 50, "neck_flexors_weaker_than_extensors": True, "enzymes_raised": True}
    got = classification_record(CRITERIA, classify(CRITERIA, {"classification": cls}))
    assert got["without_biopsy"]["score"] == 5.3  # exactly the possible cutoff
    assert got["without_biopsy"]["category"] == "possible"
    assert 1.9 + 1.3 + 2.1 != 5.3  # as floats, 5.300000000000001


def test_an_absent_antibody_is_not_a_negative_and_a_contradiction_is_named() -> None:
    data = {"diagnosis": {"autoantibodies": ["mda5"]}, "classification": {"anti_jo1": True}}
    assert contradictions(CRITERIA, data) == []
    found = classify(CRITERIA, {"diagnosis": {"autoantibodies": ["mda5"]}})
    assert found.found["anti_jo1"].value is None  # not recorded, not false
    clash = contradictions(
        CRITERIA, {"diagnosis": {"autoantibodies": ["jo1"]}, "classification": {"anti_jo1": False}}
    )
    assert [p.pointer for p in clash] == ["/classification/anti_jo1"]
    assert "contradicts diagnosis.autoantibodies" in clash[0].message
    dysphagia = {"manifestations": {"dysphagia": False}, "classification": {"dysphagia": True}}
    assert [p.pointer for p in contradictions(CRITERIA, dysphagia)] == ["/classification/dysphagia"]


def test_a_broken_table_gets_every_lint_rule(tmp_path: Path) -> None:
    raw = (REPO / "pathways" / "classification-2017.yaml").read_text()
    broken = (
        raw.replace("possible: 5.3", "possible: 5.35")
        .replace("probable: 6.7", "probable: 6.4")
        .replace("  - id: enzymes_raised", "  - id: enzymes_raisd")
        .replace("from: 40,", "from: 30,")
    )
    _, problems = compile_criteria(broken.encode(), "t.yaml")
    rules = sorted({p.rule for p in problems})
    assert rules == ["criteria-bands", "criteria-cutoffs", "criteria-decimal", "criteria-field"]
    assert all(p.line for p in problems)


def test_a_duplicated_item_and_a_rule_without_skin_items_are_named() -> None:
    raw = (REPO / "pathways" / "classification-2017.yaml").read_text()
    twice = raw.replace("  - id: gottron_papules\n", "  - id: heliotrope_rash\n", 1)
    _, problems = compile_criteria(twice.encode(), "t.yaml")
    assert {p.rule for p in problems} >= {"criteria-duplicate", "criteria-field"}
    no_skin = raw.replace("    skin: true\n", "")
    _, problems = compile_criteria(no_skin.encode(), "t.yaml")
    assert [p.rule for p in problems] == ["criteria-skin-rule"]
