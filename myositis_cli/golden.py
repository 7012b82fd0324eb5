"""Golden cases: profiles with the answers the pathway must give them.

A case file holds ``description``, ``profile`` and ``expect``
(schemas/case.schema.json). ``run_cases`` runs every case under a pathway,
compares, and reports failures in words plus coverage: which tree nodes,
safety rules and alerts no case reached.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from . import loading, resources
from .batch import YAML_SUFFIXES
from .pathway import Pathway
from .pipeline import Pipeline
from .problems import Problem
from .results import CaseResult, Recommendation
from .validation import Validator


@dataclass(frozen=True)
class CaseOutcome:
    file: str
    id: str | None
    description: str
    failures: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.failures and not self.problems


@dataclass
class GoldenReport:
    pathway: str
    cases_dir: str
    outcomes: list[CaseOutcome] = field(default_factory=list)
    all_nodes: list[str] = field(default_factory=list)
    all_rules: list[str] = field(default_factory=list)
    all_alerts: list[str] = field(default_factory=list)
    reached: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.outcomes)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.failures and not o.problems)

    @property
    def errors(self) -> int:
        return sum(1 for o in self.outcomes if o.problems)

    def unreached(self, kind: str) -> list[str]:
        items = {"node": self.all_nodes, "rule": self.all_rules, "alert": self.all_alerts}[kind]
        return [i for i in items if f"{kind}:{i}" not in self.reached]

    def coverage(self, kind: str) -> float:
        items = {"node": self.all_nodes, "rule": self.all_rules, "alert": self.all_alerts}[kind]
        return 1.0 if not items else 1 - len(self.unreached(kind)) / len(items)

    def node_coverage(self) -> float:
        return self.coverage("node")


@cache
def case_validator() -> Validator:
    return Validator(resources.schema("case"), what="a golden case")


def default_cases_dir(pathway: Pathway) -> str:
    return os.path.join(os.path.dirname(os.path.abspath(pathway.source)), "cases")


def case_files(directory: str) -> list[str]:
    found: list[str] = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        found.extend(os.path.join(root, f) for f in files if f.endswith(YAML_SUFFIXES))
    return sorted(found)


class LoadedCase(NamedTuple):
    """A golden case that could be read: its data and the pipeline's result for its profile."""

    data: dict[str, Any]
    result: CaseResult


def load_case(path: str, pipeline: Pipeline) -> tuple[LoadedCase | None, list[Problem]]:
    """A golden case, run through the case pipeline, or the problems that make it unusable."""
    try:
        raw = loading.read_file(path)
    except loading.LoadError as exc:
        return None, [exc.problem()]
    documents = list(loading.iter_documents(raw))
    doc = documents[0]
    if doc.error is not None:
        return None, [doc.error]
    if len(documents) > 1:
        return None, [Problem("yaml", "a golden case file holds one document")]
    data = doc.data
    validator = case_validator()
    if not validator.is_valid(data):
        return None, [
            p.located(doc.locator, key=p.message.startswith("unknown key"))
            for p in validator.problems(data, doc.locator)
        ]
    assert isinstance(doc.locator, loading.YamlLocator)
    result = pipeline.run_data(data["profile"], path, locator=doc.locator.within("profile"))
    if result.problems:
        return None, [p._replace(pointer="/profile" + p.pointer) for p in result.problems]
    problems: list[Problem] = []
    pathway = pipeline.pathway
    expect = data["expect"]
    known = set(pathway.therapies)
    alerts = pathway.alert_codes
    for key in ("not_offered", "excluded", "not_excluded"):
        for i, tid in enumerate(expect.get(key, [])):
            if tid not in known:
                problems.append(
                    Problem("semantic", f"unknown therapy '{tid}'", f"/expect/{key}/{i}")
                )
    for key in ("offered", "order", "withheld", "not_withheld"):
        for i, option in enumerate(expect.get(key, [])):
            if any(t not in known for t in option.split("+")):
                problems.append(
                    Problem("semantic", f"unknown option '{option}'", f"/expect/{key}/{i}")
                )
    for key in ("alerts", "no_alerts", "alert_contains"):
        for i, code in enumerate(expect.get(key, [])):
            if code not in alerts:
                problems.append(
                    Problem("semantic", f"unknown alert code '{code}'", f"/expect/{key}/{i}")
                )
    if problems:
        return None, [p.located(doc.locator) for p in problems]
    return LoadedCase(data, result), []


def run_cases(pathway: Pathway, directory: str, *, pattern: str | None = None) -> GoldenReport:
    report = GoldenReport(pathway.source, directory)
    report.all_nodes = list(pathway.nodes())
    report.all_rules = [rule.key for rule in pathway.safety_rules()]
    report.all_alerts = [alert.code for alert in pathway.alerts] + (
        [pathway.empty_answer.code] if pathway.empty_answer is not None else []
    )
    if not os.path.isdir(directory):
        from .errors import UsageError

        raise UsageError(f"{directory}: no such cases directory (give one with --cases)")
    pipeline = Pipeline(pathway)
    for path in case_files(directory):
        loaded, problems = load_case(path, pipeline)
        case_id = loaded.data["profile"]["id"] if loaded else None
        if (
            pattern
            and pattern not in os.path.basename(path)
            and (case_id is None or pattern not in case_id)
        ):
            continue
        outcome, reached = judge_case(path, loaded, problems, pathway)
        report.reached |= reached
        report.outcomes.append(outcome)
    return report


def check_case(pipeline: Pipeline, path: str) -> tuple[CaseOutcome, frozenset[str]]:
    """One golden case on its own: its outcome and what its walk reached."""
    loaded, problems = load_case(path, pipeline)
    return judge_case(path, loaded, problems, pipeline.pathway)


def judge_case(
    path: str, loaded: LoadedCase | None, problems: list[Problem], pathway: Pathway
) -> tuple[CaseOutcome, frozenset[str]]:
    if loaded is None:
        return CaseOutcome(path, None, "", problems=tuple(problems)), frozenset()
    rec = loaded.result.recommendation
    assert rec is not None
    expect = loaded.data["expect"]
    failures = compare(expect, rec)
    if "classification" in expect:
        failures += compare_classification(
            expect["classification"], pathway, loaded.data["profile"]
        )
    case_id = loaded.data["profile"]["id"]
    outcome = CaseOutcome(path, case_id, loaded.data["description"], tuple(failures))
    return outcome, frozenset(rec.reached)


def compare_classification(expect: dict[str, Any], pathway: Pathway, profile: Any) -> list[str]:
    """Each way ``myositis classify`` differs from a case's expected classification."""
    from .criteria import classification_record, classify

    criteria = pathway.criteria
    got = classification_record(criteria, classify(criteria, profile))
    failures = []
    for column in ("without_biopsy", "with_biopsy"):
        if column not in expect:
            continue
        want, have = expect[column], got[column]
        if want is None or have is None:
            if want != have:
                failures.append(f"classification {column}: expected {want}, got {have}")
            continue
        for key, value in want.items():
            actual = have[key]
            if key == "decisive":
                actual = [d["item"] for d in actual]
            if key in ("score", "min", "max"):
                same = round(value * 10) == round(actual * 10)
            elif key in ("unknown", "decisive"):
                same = sorted(value) == sorted(actual)
            else:
                same = value == actual
            if not same:
                failures.append(f"classification {column} {key}: expected {value}, got {actual}")
    if "classifiable" in expect and expect["classifiable"] != got["classifiable"]:
        failures.append(
            f"classification classifiable: expected {expect['classifiable']}, got {got['classifiable']}"
        )
    for text in expect.get("notes_contain", []):
        if not any(text in note for note in got["notes"]):
            failures.append(f"classification notes: expected one containing {text!r}")
    return failures


def compare(expect: dict[str, Any], rec: Recommendation) -> list[str]:
    """Each way ``rec`` differs from ``expect``, as a sentence."""
    failures: list[str] = []
    offered = [o.therapy for o in rec.options]
    started = {t for o in rec.options for t in o.therapies}
    excluded = [e.therapy for e in rec.excluded]
    alerts = [a.code for a in rec.alerts]
    tiers = {o.therapy: o.tier for o in rec.options}
    shown = ", ".join(f"{o.therapy} ({o.tier})" for o in rec.options) or "none"

    if "refractory" in expect and rec.refractory != expect["refractory"]:
        failures.append(f"refractory: expected {expect['refractory']}, got {rec.refractory}")
    if "top" in expect:
        top = offered[0] if offered else None
        if top != expect["top"]:
            failures.append(f"top option: expected {expect['top']}, got {top} (options: {shown})")
    if "top_tier" in expect and rec.options and rec.options[0].tier != expect["top_tier"]:
        failures.append(f"top tier: expected {expect['top_tier']}, got {rec.options[0].tier}")
    for option in expect.get("offered", []):
        if option not in offered:
            failures.append(f"expected {option} to be offered (options: {shown})")
    for tid in expect.get("not_offered", []):
        if tid in started:
            failures.append(f"expected {tid} not to be offered, but it is")
    for tid in expect.get("excluded", []):
        if tid not in excluded:
            failures.append(
                f"expected {tid} to be excluded (excluded: {', '.join(excluded) or 'none'})"
            )
    for tid in expect.get("not_excluded", []):
        if tid in excluded:
            failures.append(f"expected {tid} not to be excluded, but it is")
    for option, tier in expect.get("tiers", {}).items():
        if tiers.get(option) != tier:
            failures.append(
                f"expected {option} to be {tier}, got {tiers.get(option, 'not offered')}"
            )
    if expect.get("no_preferred") and any(o.tier == "preferred" for o in rec.options):
        failures.append(f"expected no preferred option (options: {shown})")
    order: list[str] = list(expect.get("order", []))
    absent = [o for o in order if o not in offered]
    if absent:
        failures.append(f"order: {', '.join(absent)} not offered")
    elif [offered.index(o) for o in order] != sorted(offered.index(o) for o in order):
        failures.append(f"order: expected {' > '.join(order)}, got {shown}")
    for code in expect.get("alerts", []):
        if code not in alerts:
            failures.append(f"expected alert {code} (alerts: {', '.join(alerts) or 'none'})")
    for code in expect.get("no_alerts", []):
        if code in alerts:
            failures.append(f"expected no alert {code}, but it was raised")
    if "first_alert" in expect and (not alerts or alerts[0] != expect["first_alert"]):
        failures.append(
            f"first alert: expected {expect['first_alert']}, got {alerts[0] if alerts else 'none'}"
        )
    for pointer in expect.get("missing", []):
        if pointer not in rec.missing:
            failures.append(f"expected {pointer} among missing information")
    for option, text in expect.get("caveat_contains", {}).items():
        match = next((o for o in rec.options if o.therapy == option), None)
        if match is None:
            failures.append(f"caveat: {option} not offered")
        elif not any(text.lower() in c.lower() for c in match.caveats):
            failures.append(f"expected a caveat of {option} to mention '{text}'")
    withheld = [w.therapy for w in rec.withheld]
    for option in expect.get("withheld", []):
        if option not in withheld:
            failures.append(
                f"expected {option} to be withheld (withheld: {', '.join(withheld) or 'none'})"
            )
    for option in expect.get("not_withheld", []):
        if option in withheld:
            failures.append(f"expected {option} not to be withheld, but it is")
    asked = {c.field: c for c in rec.checks}
    shown_checks = ", ".join(asked) or "none"
    for pointer in expect.get("checks", []):
        if pointer not in asked:
            failures.append(f"expected a check of {pointer} (checks: {shown_checks})")
    for pointer in expect.get("no_checks", []):
        if pointer in asked:
            failures.append(f"expected no check of {pointer}, but it is asked")
    for pointer, therapies in expect.get("check_therapies", {}).items():
        check = asked.get(pointer)
        if check is None:
            failures.append(f"expected a check of {pointer} (checks: {shown_checks})")
        elif not set(therapies) <= set(check.therapies):
            failures.append(
                f"expected the check of {pointer} to name {', '.join(therapies)} "
                f"(it names {', '.join(check.therapies) or 'none'})"
            )
    taking = {t.therapy: t for t in rec.taking}
    for therapy, advice in expect.get("taking", {}).items():
        entry = taking.get(therapy)
        if entry is None:
            failures.append(f"expected {therapy} among what is taken now")
        elif entry.advice != advice:
            failures.append(
                f"expected {therapy} taken now to be '{advice}', got '{entry.advice}: {entry.reason}'"
            )
    by_key = {o.therapy: o for o in rec.options}
    for option, text in expect.get("reason_contains", {}).items():
        match = by_key.get(option)
        if match is None:
            failures.append(f"reason: {option} not offered")
        elif not any(text.lower() in r.lower() for r in match.reasons):
            failures.append(f"expected a reason of {option} to mention '{text}'")
    for option, text in expect.get("reason_excludes", {}).items():
        match = by_key.get(option)
        if match is not None and any(text.lower() in r.lower() for r in match.reasons):
            failures.append(f"expected no reason of {option} to mention '{text}'")
    for option, text in expect.get("caveat_excludes", {}).items():
        match = by_key.get(option)
        if match is not None and any(text.lower() in c.lower() for c in match.caveats):
            failures.append(f"expected no caveat of {option} to mention '{text}'")
    messages = {a.code: a.message for a in rec.alerts}
    for code, text in expect.get("alert_contains", {}).items():
        if code not in messages:
            failures.append(f"expected alert {code} (alerts: {', '.join(alerts) or 'none'})")
        elif text.lower() not in messages[code].lower():
            failures.append(f"expected alert {code} to mention '{text}'")
    return failures
