"""``pathway check``: one small broken pathway per rule, asserting the rule id and line.

Each case patches the valid fixture ``mini.yaml`` with one mistake; the
expected line is where the patch puts the marker text.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from helpers import FIXTURES, PATHWAY_FILE

from myositis_cli import lint

MINI = FIXTURES / "pathways" / "mini.yaml"
TODAY = dt.date(2026, 11, 25)

# rule -> (text to replace, replacement, marker whose line the finding must be on, severity)
BROKEN: dict[str, tuple[str, str, str, str]] = {
    "yaml": ("  id: mini\n", "  id: mini\n  id: again\n", "id: again", "error"),
    "schema": ("  status: draft", "  status: drafty", "status: drafty", "error"),
    "unknown-field": (
        "{field: age, less_than: 18}",
        "{field: agee, less_than: 18}",
        "agee",
        "error",
    ),
    "unknown-operator": (
        "{field: age, less_than: 18}",
        "{field: age, lesser: 18}",
        "lesser",
        "error",
    ),
    "bad-value": ("in: [pregnant, planning]", "in: [pregnant, planing]", "planing", "error"),
    "unknown-fact": (
        "when: {fact: juvenile}\n          options",
        "when: {fact: juvenil}\n          options",
        "juvenil}",
        "error",
    ),
    "unknown-therapy": (
        "            - therapy: rituximab\n              weight: 1",
        "            - therapy: rituxan\n              weight: 1",
        "rituxan",
        "error",
    ),
    "unknown-reference": (
        "    references: [trial]\n    caveats: []",
        "    references: [trail]\n    caveats: []",
        "[trail]",
        "error",
    ),
    "duplicate-id": (
        "      - id: refractory_juvenile",
        "      - id: initial",
        "      - id: initial\n          title: Refractory, juvenile",
        "error",
    ),
    "duplicate-alias": (
        "    class: biologic\n",
        "    class: biologic\n    aliases: [MTX]\n",
        "aliases: [MTX]",
        "error",
    ),
    "fact-cycle": (
        "    when: {field: age, less_than: 18}",
        "    when: {fact: juvenile}",
        "when: {fact: juvenile}\n  refractory",
        "error",
    ),
    "bad-message": (
        'failure: "{outcome} after {months}"',
        'failure: "{outcome} after {weeks}"',
        "{weeks}",
        "error",
    ),
    "unreachable-node": (
        "          when: {fact: juvenile}\n",
        "          when: {not: {fact: refractory}}\n",
        "when: {not: {fact: refractory}}\n          options",
        "error",
    ),
    "never-true": (
        "{field: safety.hepatitis_b, equals: chronic}",
        "{all: [{field: age, less_than: 10}, {field: age, more_than: 20}]}",
        "more_than: 20",
        "warning",
    ),
    "option-evidence": (
        "    references: [abstract]\n    caveats:\n      - {code: limited_evidence",
        "    references: []\n    caveats:\n      - {code: limited_evidence",
        "references: []",
        "error",
    ),
    "policy-discouraged": ("    tier: discouraged\n", "", "  anti_tnf:", "error"),
    "policy-caveat": (
        '{code: limited_evidence, text: "Limited evidence."}',
        '{code: small_studies, text: "Small studies."}',
        "caveats:\n      - {code: small_studies",
        "error",
    ),
    "review-due": (
        'last_reviewed: "2026-11-01"',
        'last_reviewed: "2024-01-01"',
        "2024-01-01",
        "warning",
    ),
    "unused-reference": (
        '  trial:\n    citation: "A trial"\n    year: 2020\n',
        '  trial:\n    citation: "A trial"\n    year: 2020\n  orphan:\n    citation: "Nobody cites me"\n    year: 2001\n',
        "  orphan:",
        "warning",
    ),
    "reason-subtype": (
        "reason: refractory disease",
        "reason: refractory polymyositis",
        "reason: refractory polymyositis",
        "warning",
    ),
    "check-wording": (
        '  - {id: hepatitis_b, field: safety.hepatitis_b, ask: "hepatitis B status"}\n',
        "",
        "      - id: hepatitis_b\n        when: {field: safety.hepatitis_b",
        "warning",
    ),
    "unused-check": (
        '  - {id: hepatitis_b, field: safety.hepatitis_b, ask: "hepatitis B status"}\n',
        '  - {id: hepatitis_b, field: safety.hepatitis_b, ask: "hepatitis B status"}\n'
        '  - {id: kidneys, field: safety.egfr, ask: "eGFR"}\n',
        "{id: kidneys",
        "warning",
    ),
    "unused-fact": (
        "facts:\n",
        "facts:\n  spare:\n    title: spare\n    when: {field: age, more_than: 90}\n",
        "  spare:",
        "warning",
    ),
}


def _line_of(text: str, marker: str) -> int:
    """The line on which ``marker`` (which may span lines) starts."""
    return text.count("\n", 0, text.index(marker)) + 1


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_each_rule_is_found_and_located(rule: str, tmp_path: Path) -> None:
    old, new, marker, severity = BROKEN[rule]
    text = MINI.read_text()
    assert old in text, f"fixture changed: {old!r}"
    broken = text.replace(old, new, 1)
    path = tmp_path / "pathway.yaml"
    path.write_text(broken)
    findings = lint.check(str(path), today=TODAY)
    matching = [f for f in findings if f.rule == rule]
    assert matching, f"expected {rule}; got {[(f.rule, f.message) for f in findings]}"
    finding = matching[0]
    assert finding.severity == severity
    assert finding.line == _line_of(broken, marker), finding
    assert finding.source == str(path) and finding.message


def test_fixture_and_bundled_pathway_are_clean() -> None:
    assert lint.check(str(MINI), today=TODAY) == []
    assert lint.check(str(PATHWAY_FILE), today=TODAY) == []


def test_invalid_golden_case_is_a_finding(tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "bad.yaml").write_text(
        "description: x\nprofile: {id: c, age: 3}\nexpect: {top: rituximab}\n"
    )
    (cases / "typo.yaml").write_text(
        "description: x\nprofile: {id: c, age: 3, diagnosis: {subtype: polymyositis}}\nexpect: {excluded: [ritux]}\n"
    )
    findings = lint.check(str(MINI), cases_dir=str(cases), today=TODAY)
    assert [(Path(f.source).name, f.rule, f.line) for f in findings] == [
        ("bad.yaml", "case-invalid", 2),
        ("typo.yaml", "case-invalid", 3),
    ]
    assert "missing required key 'diagnosis'" in findings[0].message
    assert findings[1].message == "unknown therapy 'ritux'"


def test_unreachable_node_never_hold_versus_contradiction(tmp_path: Path) -> None:
    text = MINI.read_text().replace(
        "      when: {not: {fact: refractory}}\n",
        "      when: {all: [{field: age, less_than: 10}, {field: age, more_than: 20}]}\n",
        1,
    )
    path = tmp_path / "p.yaml"
    path.write_text(text)
    (finding,) = [f for f in lint.check(str(path), today=TODAY) if f.rule == "unreachable-node"]
    assert finding.subject == "initial"
    assert "can never hold" in finding.message


def test_reachability_accepts_what_some_profile_reaches(tmp_path: Path) -> None:
    # contains / contains_any / absence / numbers at their edges are all satisfiable
    text = MINI.read_text().replace(
        "          when: {fact: juvenile}\n",
        "          when: {all: [{fact: juvenile}, {field: diagnosis.autoantibodies, contains: jo1},"
        " {not: {field: diagnosis.autoantibodies, contains_any: [mda5, srp]}}, {field: safety.egfr, at_least: 200},"
        " {field: safety.pregnancy, present: false}]}\n",
        1,
    )
    path = tmp_path / "p.yaml"
    path.write_text(text)
    assert [f for f in lint.check(str(path), today=TODAY) if f.rule == "unreachable-node"] == []
