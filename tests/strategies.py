"""Hypothesis strategies for valid profiles, built from the profile schema itself."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from myositis_cli import resources

SCHEMA = resources.schema("profile")


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        target: Any = SCHEMA
        for part in ref[2:].split("/"):
            target = target[part]
        return {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _value(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    node = _resolve(node)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "const" in node:
        return st.just(node["const"])
    kind = node.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node.get("minimum", 0), node.get("maximum", 1000))
    if kind == "number":
        low, high = node.get("minimum", 0), node.get("maximum", 400)
        return st.one_of(st.integers(low, int(high)), st.floats(low, high, allow_nan=False))
    if kind == "array":
        return st.lists(_value(node["items"]), unique=bool(node.get("uniqueItems")), max_size=6)
    if kind == "object":
        return _object(node)
    raise AssertionError(f"no strategy for {node}")


def _object(node: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    required = set(node.get("required", []))
    props = node.get("properties", {})
    return st.fixed_dictionaries(
        {k: _value(v) for k, v in props.items() if k in required},
        optional={k: _value(v) for k, v in props.items() if k not in required},
    )


def therapy_names(pathway: Any) -> st.SearchStrategy[str]:
    names = []
    for tid, therapy in pathway.therapies.items():
        names.append(tid)
        names.extend(therapy.aliases)
    return st.sampled_from(sorted(names)).flatmap(
        lambda n: st.sampled_from([n, n.upper(), n.title()])
    )


def profiles(pathway: Any) -> st.SearchStrategy[dict[str, Any]]:
    """Valid profiles of every shape the schema allows, with real therapy names."""
    props = dict(SCHEMA["properties"])
    entry = dict(props["history"]["items"])
    entry_props = dict(entry["properties"])
    entry_props["therapy"] = {"type": "string"}
    history = st.lists(
        st.fixed_dictionaries(
            {"therapy": therapy_names(pathway)},
            optional={k: _value(v) for k, v in entry_props.items() if k != "therapy"},
        ),
        max_size=6,
    )
    case_id = st.from_regex(r"\A[A-Za-z0-9._-]{1,20}\Z")
    return (
        st.fixed_dictionaries(
            {"id": case_id, "age": _value(props["age"]), "diagnosis": _value(props["diagnosis"])},
            optional={
                "profile_version": st.sampled_from([1, 2]),
                "sex": _value(props["sex"]),
                "classification": _value(props["classification"]),
                "manifestations": _value(props["manifestations"]),
                "glucocorticoids": _value(props["glucocorticoids"]),
                "history": history,
                "safety": _value(props["safety"]),
                "vaccination": _value(props["vaccination"]),
                "prophylaxis": _value(props["prophylaxis"]),
            },
        )
        .map(agreeing)
        .map(versioned)
    )


def agreeing(data: dict[str, Any]) -> dict[str, Any]:
    """A profile whose classification items agree with the same findings recorded elsewhere,
    and whose onset is not beyond its age (each a validation error, tested on its own)."""
    from myositis_cli.profile import chronology_problems

    for problem in chronology_problems(data):
        _, section, key = problem.pointer.split("/")
        data = {**data, section: {k: v for k, v in data[section].items() if k != key}}
    cls = data.get("classification")
    if not isinstance(cls, dict):
        return data
    from myositis_cli.criteria import contradictions, load_criteria

    clashing = {p.pointer.rsplit("/", 1)[1] for p in contradictions(load_criteria(), data)}
    if not clashing:
        return data
    return {**data, "classification": {k: v for k, v in cls.items() if k not in clashing}}


def _uses_version_2(node: dict[str, Any], data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    for name, value in data.items():
        sub = _resolve(node.get("properties", {}).get(name, {}))
        if sub.get("x-since") == 2 or (sub.get("type") == "object" and _uses_version_2(sub, value)):
            return True
    return False


def versioned(data: dict[str, Any]) -> dict[str, Any]:
    """A profile that uses a version 2 field says profile_version: 2, as it must."""
    if _uses_version_2(SCHEMA, data):
        return {"profile_version": 2, **{k: v for k, v in data.items() if k != "profile_version"}}
    return data
