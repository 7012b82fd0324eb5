"""``pathway diff`` names every edit: each key the pathway schema allows, changed on
its own, gives at least one edit naming what it belongs to."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from myositis_cli import resources
from myositis_cli.edits import NAMED, edits
from myositis_cli.pathway import compile_pathway, load_pathway

BASE = load_pathway()
WHEN = {"fact": "juvenile"}  # a valid condition that no entry below already has
OTHER = {"fact": "adult"}

Data = dict[str, Any]


def _node(data: Data, nid: str) -> Data:
    stack = [data["tree"]]
    while stack:
        node = stack.pop()
        if node["id"] == nid:
            return node
        stack.extend(node.get("children", ()))
    raise KeyError(nid)


def _alert(data: Data, code: str) -> Data:
    return next(a for a in data["alerts"] if a["code"] == code)


def _ibm_alert(data: Data) -> Data:
    return _alert(data, "inclusion_body_myositis")


def _ibm_fact(data: Data) -> Data:
    return data["facts"]["ibm"]


def _skin_node(data: Data) -> Data:
    return _node(data, "refractory_skin")


def _ritux(data: Data) -> Data:
    return data["therapies"]["rituximab"]


def _mtx_rule(data: Data) -> Data:
    return data["therapies"]["methotrexate"]["contraindications"][0]


def _caution(data: Data) -> Data:
    return _ritux(data)["cautions"][0]


def _caveat(data: Data) -> Data:
    return _ritux(data)["caveats"][0]


def _option(data: Data) -> Data:
    options = _node(data, "refractory_skin")["options"]
    return next(o for o in options if o.get("therapy") == "ivig")


def _cap(data: Data) -> Data:
    return _node(data, "ibm")["caps"][0]


def _set(get: Callable[[Data], Data], key: str, value: Any) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        get(data)[key] = value

    return change


def _edit(
    get: Callable[[Data], Data], key: str, how: Callable[[Any], Any]
) -> Callable[[Data], None]:
    def change(data: Data) -> None:
        entry = get(data)
        entry[key] = how(entry[key])

    return change


def _remove_child(data: Data) -> None:
    node = _node(data, "refractory")
    node["children"] = node["children"][:-1]


def _to_combination(data: Data) -> None:
    option = _option(data)
    option["therapies"] = ["glucocorticoids", option.pop("therapy")]
    option["evidence"] = "C"  # a combination states its own evidence


def _ibm_title(data: Data) -> None:
    _node(data, "ibm")["title"] += " (edited)"


# (kind, schema key) -> (the change, the subject an edit must name)
MUTATIONS: dict[tuple[str, str], tuple[Callable[[Data], None], str]] = {
    ("therapy", "name"): (_edit(_ritux, "name", lambda v: v + " (edited)"), "rituximab"),
    ("therapy", "class"): (_set(_ritux, "class", "anti-CD20 antibody"), "rituximab"),
    ("therapy", "aliases"): (_edit(_ritux, "aliases", lambda v: [*v, "zz-test"]), "rituximab"),
    ("therapy", "evidence"): (_set(_ritux, "evidence", "C"), "rituximab"),
    ("therapy", "evidence_note"): (_set(_ritux, "evidence_note", "edited"), "rituximab"),
    ("therapy", "references"): (_edit(_ritux, "references", lambda v: v[:-1]), "rituximab"),
    ("therapy", "evidence_in_context"): (
        _set(
            _ritux,
            "evidence_in_context",
            [{"when": WHEN, "evidence": "A", "references": ["sp0173"]}],
        ),
        "rituximab",
    ),
    ("therapy", "tier"): (_set(_ritux, "tier", "consider"), "rituximab"),
    ("therapy", "notes"): (_set(_ritux, "notes", "edited"), "rituximab"),
    ("therapy", "caveats"): (_edit(_ritux, "caveats", lambda v: v[:-1]), "rituximab."),
    ("therapy", "current_when"): (_set(_ritux, "current_when", WHEN), "rituximab"),
    ("therapy", "contraindications"): (
        _set(
            _ritux,
            "contraindications",
            [{"id": "zz_test", "when": WHEN, "reason": "edited", "references": ["sp0173"]}],
        ),
        "rituximab.zz_test",
    ),
    ("therapy", "cautions"): (_edit(_ritux, "cautions", lambda v: v[1:]), "rituximab."),
    ("therapy", "adequate_trial"): (
        _edit(_ritux, "adequate_trial", lambda v: {**v, "basis": "edited"}),
        "rituximab",
    ),
    ("therapy", "retreat_on_partial"): (_set(_ritux, "retreat_on_partial", False), "rituximab"),
    ("therapy", "short_name"): (_set(_ritux, "short_name", "RTX"), "rituximab"),
    ("caveat", "code"): (_set(_caveat, "code", "zz_test"), "rituximab."),
    ("caveat", "text"): (_set(_caveat, "text", "edited"), "rituximab.rim_primary_missed"),
    ("caveat", "references"): (
        _set(_caveat, "references", ["sp0173"]),
        "rituximab.rim_primary_missed",
    ),
    ("caution", "id"): (_set(_caution, "id", "zz_test"), "rituximab."),
    ("caution", "when"): (_set(_caution, "when", WHEN), "rituximab.hepatitis_b_chronic"),
    ("caution", "caveat"): (_set(_caution, "caveat", "edited"), "rituximab.hepatitis_b_chronic"),
    ("caution", "penalty"): (_set(_caution, "penalty", 1), "rituximab.hepatitis_b_chronic"),
    ("caution", "references"): (
        _set(_caution, "references", ["sp0173"]),
        "rituximab.hepatitis_b_chronic",
    ),
    ("caution", "max_tier"): (
        _set(_caution, "max_tier", "consider"),
        "rituximab.hepatitis_b_chronic",
    ),
    ("contraindication", "id"): (_set(_mtx_rule, "id", "zz_test"), "methotrexate."),
    ("contraindication", "when"): (_set(_mtx_rule, "when", WHEN), "methotrexate."),
    ("contraindication", "reason"): (_set(_mtx_rule, "reason", "edited"), "methotrexate."),
    ("contraindication", "references"): (
        _set(_mtx_rule, "references", ["sp0173"]),
        "methotrexate.",
    ),
    ("alert", "code"): (
        _set(_ibm_alert, "code", "zz_test"),
        "zz_test",
    ),
    ("alert", "level"): (
        _set(_ibm_alert, "level", "warning"),
        "inclusion_body_myositis",
    ),
    ("alert", "when"): (
        _set(_ibm_alert, "when", OTHER),
        "inclusion_body_myositis",
    ),
    ("alert", "message"): (
        _set(_ibm_alert, "message", "edited"),
        "inclusion_body_myositis",
    ),
    ("alert", "references"): (
        _set(_ibm_alert, "references", ["sp0173"]),
        "inclusion_body_myositis",
    ),
    ("alert", "details"): (
        _set(
            _ibm_alert,
            "details",
            [{"when": WHEN, "text": "edited"}],
        ),
        "inclusion_body_myositis",
    ),
    ("alert", "yields_to_critical"): (
        _set(_ibm_alert, "yields_to_critical", True),
        "inclusion_body_myositis",
    ),
    ("alert", "check_if_unknown"): (
        _set(_ibm_alert, "check_if_unknown", "edited"),
        "inclusion_body_myositis",
    ),
    ("alert", "summary"): (
        _set(_ibm_alert, "summary", "edited"),
        "inclusion_body_myositis",
    ),
    ("fact", "title"): (_set(_ibm_fact, "title", "edited"), "ibm"),
    ("fact", "description"): (_set(_ibm_fact, "description", "edited"), "ibm"),
    ("fact", "when"): (_set(_ibm_fact, "when", WHEN), "ibm"),
    ("node", "id"): (_set(_skin_node, "id", "zz_test"), "zz_test"),
    ("node", "title"): (_ibm_title, "ibm"),
    ("node", "when"): (
        _set(_skin_node, "when", WHEN),
        "refractory_skin",
    ),
    ("node", "options"): (
        _edit(_skin_node, "options", lambda v: v[1:]),
        "refractory_skin",
    ),
    ("node", "caps"): (_set(lambda d: _node(d, "ibm"), "caps", []), "ibm"),
    ("node", "children"): (_remove_child, "refractory_hmgcr"),
    ("option", "therapy"): (_set(_option, "therapy", "rituximab"), "refractory_skin/"),
    ("option", "therapies"): (_to_combination, "refractory_skin/"),
    ("option", "weight"): (_set(_option, "weight", 1), "refractory_skin/ivig"),
    ("option", "reason"): (_set(_option, "reason", "edited"), "refractory_skin/ivig"),
    ("option", "evidence"): (_set(_option, "evidence", "D"), "refractory_skin/ivig"),
    ("option", "references"): (_set(_option, "references", ["sp0173"]), "refractory_skin/ivig"),
    ("option", "max_tier"): (_set(_option, "max_tier", "consider"), "refractory_skin/ivig"),
    ("option", "caveats"): (_set(_option, "caveats", ["edited"]), "refractory_skin/ivig"),
    ("option", "reasons_for"): (
        _set(_option, "reasons_for", [{"when": WHEN, "reason": "edited"}]),
        "refractory_skin/ivig",
    ),
    ("option", "studied_in"): (
        _edit(_option, "studied_in", lambda v: {**v, "note": "edited"}),
        "refractory_skin/ivig",
    ),
    ("cap", "therapies"): (_set(_cap, "therapies", ["ivig"]), "ibm"),
    ("cap", "max_tier"): (_set(_cap, "max_tier", "discouraged"), "ibm"),
    ("cap", "caveat"): (_set(_cap, "caveat", "edited"), "ibm"),
    ("cap", "references"): (_set(_cap, "references", ["sp0173"]), "ibm"),
}


def _schema_keys() -> list[tuple[str, str]]:
    schema = resources.schema("pathway")
    defs, top = schema["$defs"], schema["properties"]
    therapy = defs["therapy"]["properties"]
    entries = {
        "therapy": therapy,
        "caveat": therapy["caveats"]["items"]["properties"],
        "caution": therapy["cautions"]["items"]["properties"],
        "contraindication": therapy["contraindications"]["items"]["properties"],
        "alert": top["alerts"]["items"]["properties"],
        "fact": top["facts"]["additionalProperties"]["properties"],
        "node": defs["node"]["properties"],
        "option": defs["option"]["properties"],
        "cap": defs["node"]["properties"]["caps"]["items"]["properties"],
    }
    return [(kind, key) for kind, props in entries.items() for key in props]


@pytest.mark.parametrize(("kind", "key"), _schema_keys())
def test_every_key_of_the_schema_changed_alone_is_named(kind: str, key: str) -> None:
    assert (kind, key) in MUTATIONS, f"a new pathway key {kind}.{key}: add its change here"
    change, subject = MUTATIONS[(kind, key)]
    data = copy.deepcopy(BASE.data)
    change(data)
    assert data != BASE.data
    edited, _ = compile_pathway(data, "edited.yaml")
    assert edited is not None, f"the change of {kind}.{key} made an invalid pathway"
    found = [e for e in edits(BASE, edited) if e.section != "metadata"]
    assert found, f"{kind}.{key} changed and no edit names it"
    assert any(e.subject.startswith(subject) for e in found), [e.subject for e in found]
    assert all(e.text for e in found)


def test_named_keys_are_keys_of_the_schema() -> None:
    # a key listed as put in words by its own comparison must exist, or the list hides nothing
    known = {
        (kind if kind not in ("caution", "contraindication") else "rule", key.split(".")[0])
        for kind, key in _schema_keys()
    }
    for section, keys in NAMED.items():
        for key in keys:
            assert (section, key.split(".")[0]) in known, (section, key)


def test_an_alias_added_is_named_in_words() -> None:
    data = copy.deepcopy(BASE.data)
    data["therapies"]["rituximab"]["aliases"].append("zz-test")
    edited, _ = compile_pathway(data, "edited.yaml")
    assert edited is not None
    (edit,) = [e for e in edits(BASE, edited) if e.section != "metadata"]
    assert edit.text == "Rituximab: aliases added zz-test"
    assert (edit.section, edit.subject, edit.field) == ("therapy", "rituximab", "aliases")


def test_an_option_is_named_by_its_key_in_catalogue_order_whatever_the_yaml_order() -> None:
    data = copy.deepcopy(BASE.data)
    option = next(
        o for o in _node(data, "initial_juvenile")["options"] if len(o.get("therapies", ())) == 2
    )
    key = "+".join(option["therapies"])
    option["therapies"].reverse()  # written the other way round: the same option
    option["caveats"] = ["edited"]
    edited, _ = compile_pathway(data, "edited.yaml")
    assert edited is not None
    (edit,) = [e for e in edits(BASE, edited) if e.section != "metadata"]
    assert (edit.subject, edit.field) == (f"initial_juvenile/{key}", "caveats")
