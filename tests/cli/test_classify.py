"""``myositis classify`` as a user runs it: batches, stdin, formats, exit codes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml
from helpers import CASES_DIR, EXAMPLES, SCRIPT

DEFINITE = {
    "profile_version": 2,
    "id": "cls-dm",
    "age": 52,
    "diagnosis": {"subtype": "dermatomyositis"},
    "classification": {
        "onset_age": 50,
        "weakness_proximal_arms": True,
        "heliotrope_rash": True,
        "gottron_papules": True,
        "enzymes_raised": True,
    },
}


def classify(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SCRIPT, "classify", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_one_profile_in_every_format(tmp_path: Path) -> None:
    case = tmp_path / "dm.yaml"
    case.write_text(yaml.safe_dump(DEFINITE))
    text = classify(str(case))
    assert text.returncode == 0, text.stderr
    assert "9.3 → definite IIM" in text.stdout  # 2.1 + 0.7 + 3.1 + 2.1 + 1.3
    assert "not a diagnosis" in text.stdout
    (record,) = json.loads(classify(str(case), "-f", "json").stdout)
    c = record["classification"]
    assert c["without_biopsy"]["score"] == 9.3 and c["without_biopsy"]["category"] == "definite"
    assert c["with_biopsy"] is None and c["classifiable"] is True
    assert c["without_biopsy"]["min"] == 9.3 and c["without_biopsy"]["category_range"] == [
        "definite"
    ]
    assert record["criteria"]["id"] == "eular-acr-2017" and len(record["criteria"]["sha256"]) == 64
    line = classify(str(case), "-f", "jsonl").stdout
    assert json.loads(line) == record
    markdown = classify(str(case), "-f", "markdown").stdout
    assert markdown.startswith("### cls-dm") and "definite IIM" in markdown and "<" not in markdown


def test_a_batch_goes_on_past_a_contradiction_and_says_where(tmp_path: Path) -> None:
    bad = {
        **DEFINITE,
        "id": "clash",
        "diagnosis": {"subtype": "polymyositis", "autoantibodies": ["jo1"]},
    }
    bad["classification"] = {**DEFINITE["classification"], "anti_jo1": False}
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(DEFINITE))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(bad))
    done = classify(str(tmp_path), "-f", "jsonl", "--jobs", "2")
    assert done.returncode == 1
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["status"] == "ok" and second["status"] == "error"
    assert second["error"]["path"] == "/classification/anti_jo1"
    assert "contradicts diagnosis.autoantibodies" in done.stderr
    assert "b.yaml:" in done.stderr and ":" in done.stderr.split("b.yaml:")[1]


def test_stdin_folders_and_golden_case_profiles(tmp_path: Path) -> None:
    piped = classify("-", "-f", "jsonl", stdin=yaml.safe_dump(DEFINITE))
    assert json.loads(piped.stdout)["source"] == "<stdin>"
    examples = classify(str(EXAMPLES), "-f", "json", "-q")
    assert examples.returncode == 0
    records = json.loads(examples.stdout)
    assert len(records) == 9 and all(r["status"] == "ok" for r in records)
    # a profile with nothing recorded: score 0, every category reachable, said plainly
    nothing = next(r for r in records if r["id"] == "case-017")["classification"]
    assert nothing["without_biopsy"]["category_range"][0] == "not_iim"
    assert nothing["without_biopsy"]["max"] > 7.5


def test_suggest_raises_the_review_alert_only_when_the_criteria_settle_below_probable() -> None:
    done = subprocess.run(
        [
            SCRIPT,
            "suggest",
            "-f",
            "jsonl",
            "-q",
            str(CASES_DIR / "classify-without-biopsy-below-possible.yaml"),
        ],
        capture_output=True,
        text=True,
    )
    # a golden case is not a profile: suggest reads it as an error; its profile is what matters
    assert done.returncode == 1
    profile = yaml.safe_load(
        (CASES_DIR / "classify-without-biopsy-below-possible.yaml").read_text()
    )["profile"]
    answered = subprocess.run(
        [SCRIPT, "suggest", "-", "-f", "jsonl"],
        input=yaml.safe_dump(profile),
        capture_output=True,
        text=True,
    )
    alerts = [a["code"] for a in json.loads(answered.stdout)["alerts"]]
    assert "classification_review" in alerts
    probable = yaml.safe_load((CASES_DIR / "classify-without-biopsy-at-probable.yaml").read_text())[
        "profile"
    ]
    answered = subprocess.run(
        [SCRIPT, "suggest", "-", "-f", "jsonl"],
        input=yaml.safe_dump(probable),
        capture_output=True,
        text=True,
    )
    assert "classification_review" not in [a["code"] for a in json.loads(answered.stdout)["alerts"]]
