"""The committee's review in CI: which pathway is checked, which findings count, golden upkeep.

Pure functions the ``pathway`` commands share: finding the pathway of the
repository being worked on (never the installed copy when a ``pathways/``
folder is here), filtering and counting findings the way ruff and yamllint
do, the GitHub job summary, rewriting golden expectations from the current
answers, and scaffolding a golden case from a profile.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from . import resources
from .errors import UsageError
from .lint import RULES, Finding
from .pathway import Pathway
from .problems import did_you_mean
from .results import Recommendation

_PATHWAY_KEY = re.compile(rb"^pathway:\s*$", re.MULTILINE)


def is_pathway_file(path: Path) -> bool:
    """A pathway file (not a table beside it): it has a top-level ``pathway:`` section."""
    try:
        with open(path, "rb") as handle:
            return bool(_PATHWAY_KEY.search(handle.read(1 << 16)))
    except OSError:
        return False


def local_pathways(cwd: str | None = None) -> list[str]:
    """``./pathways/*.yaml`` when the current folder has them, else the bundled pathway.

    So that ``pathway check`` at a repository's root checks the edited files, not the
    copy installed in site-packages.
    """
    folder = Path(cwd or os.getcwd()) / "pathways"
    if folder.is_dir():
        found = sorted(
            p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and is_pathway_file(p)
        )
        if found:
            base = Path(cwd or os.getcwd())
            return [str(p.relative_to(base)) for p in found]
    return [str(resources.default_pathway())]


def banner(command: str, path: str) -> str:
    """The first line of ``pathway check`` and ``pathway test``: the file and its sha256."""
    try:
        with open(path, "rb") as handle:
            digest = hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        digest = "unreadable"
    return f"{command}: {path} (sha256 {digest})"


# ---------------------------------------------------------------------------- findings


def rule_list(raw: str | None, option: str) -> set[str]:
    """``--select``/``--ignore`` values: rule ids, comma-separated, each a known rule."""
    if not raw:
        return set()
    chosen = {part.strip() for part in raw.split(",") if part.strip()}
    for rule in sorted(chosen):
        if rule not in RULES:
            guess = did_you_mean(rule, RULES)
            raise UsageError(
                f"{option}: unknown rule '{rule}'"
                + (f" (did you mean {guess}?)" if guess else "; see 'pathway check --help'")
            )
    return chosen


def select(findings: Iterable[Finding], selected: set[str], ignored: set[str]) -> list[Finding]:
    return [f for f in findings if (not selected or f.rule in selected) and f.rule not in ignored]


def statistics(findings: Iterable[Finding]) -> list[str]:
    """One line per rule, most frequent first, as ``ruff --statistics``."""
    counts = Counter((f.rule, f.severity) for f in findings)
    return [
        f"{n:5d}  {rule:<24} {severity}"
        for (rule, severity), n in sorted(counts.items(), key=lambda i: (-i[1], i[0]))
    ]


def exit_for(findings: list[Finding], *, strict: bool, exit_zero: bool) -> int:
    """Errors fail; warnings fail only with ``--strict``; ``--exit-zero`` never fails."""
    if exit_zero:
        return 0
    if any(f.severity == "error" for f in findings):
        return 1
    return 1 if strict and findings else 0


def step_summary(markdown: str) -> None:
    """Append to the GitHub Actions job summary when running under Actions."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path or os.environ.get("GITHUB_ACTIONS") != "true":
        return
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(markdown.rstrip("\n") + "\n\n")
    except OSError:
        pass  # a summary is a courtesy: never a failure


# ---------------------------------------------------------------------------- golden upkeep


def updated_expect(expect: dict[str, Any], rec: Recommendation) -> tuple[dict[str, Any], list[str]]:
    """The expectations rewritten to hold for ``rec``, keeping what still holds.

    Each key is kept as written when it passes; when it fails it is brought in
    line with the current answer (a list keeps the items that still hold, a
    value takes the current one). Returns the new expectations and the keys
    that had to be dropped because they cannot be rewritten from the answer.
    """
    from .golden import compare

    offered = [o.therapy for o in rec.options]
    started = {t for o in rec.options for t in o.therapies}
    excluded = {e.therapy for e in rec.excluded}
    alerts = [a.code for a in rec.alerts]
    tiers = {o.therapy: o.tier for o in rec.options}
    withheld = {w.therapy for w in rec.withheld}
    new: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in expect.items():
        if key == "classification" or not compare({key: value}, rec):
            new[key] = copy.deepcopy(value)
            continue
        if key == "top":
            new[key] = offered[0] if offered else None
        elif key == "top_tier" and rec.options:
            new[key] = rec.options[0].tier
        elif key == "refractory":
            new[key] = rec.refractory
        elif key in ("offered", "order"):
            kept = [o for o in value if o in offered]
            new[key] = sorted(kept, key=offered.index) if key == "order" else kept
        elif key == "not_offered":
            new[key] = [t for t in value if t not in started]
        elif key == "excluded":
            new[key] = [t for t in value if t in excluded]
        elif key == "not_excluded":
            new[key] = [t for t in value if t not in excluded]
        elif key == "tiers":
            new[key] = {o: tiers[o] for o in value if o in tiers}
        elif key == "alerts":
            new[key] = [c for c in value if c in alerts]
        elif key == "no_alerts":
            new[key] = [c for c in value if c not in alerts]
        elif key == "first_alert" and alerts:
            new[key] = alerts[0]
        elif key == "withheld":
            new[key] = [w for w in value if w in withheld]
        elif key == "not_withheld":
            new[key] = [w for w in value if w not in withheld]
        else:
            dropped.append(key)
            continue
        if new[key] in ([], {}):
            del new[key]
        elif compare({key: new[key]}, rec):
            del new[key]
            dropped.append(key)
    if not new:  # a case must expect something: the top option at least
        new["top"] = offered[0] if offered else None
    return new, dropped


def rewrite_expect(text: str, expect: dict[str, Any]) -> str:
    """A case file's text with only its ``expect:`` section replaced (comments elsewhere kept)."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if re.match(r"^expect:", line)), None)
    body = yaml.safe_dump({"expect": expect}, sort_keys=False, allow_unicode=True, width=100)
    if start is None:
        return text.rstrip("\n") + "\n" + body
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"^[A-Za-z_][\w-]*:", lines[i])),
        len(lines),
    )
    return "".join(lines[:start]) + body + "".join(lines[end:])


def unified(path: str, before: str, after: str) -> str:
    return "".join(
        difflib.unified_diff(
            before.splitlines(keepends=True), after.splitlines(keepends=True), path, path
        )
    )


def scaffold(profile: dict[str, Any], rec: Recommendation, pathway: Pathway, source: str) -> str:
    """A golden case for a profile, its expectations taken from today's answer, to edit."""
    offered = [o.therapy for o in rec.options]
    expect: dict[str, Any] = {"refractory": rec.refractory, "top": offered[0] if offered else None}
    if offered:
        expect["order"] = offered[:3]
        expect["tiers"] = {o.therapy: o.tier for o in rec.options[:3]}
    if rec.excluded:
        expect["excluded"] = [e.therapy for e in rec.excluded]
    if rec.alerts:
        expect["alerts"] = [a.code for a in rec.alerts]
        expect["first_alert"] = rec.alerts[0].code
    description = (
        f"{profile.get('id')}: {rec.subtype.replace('_', ' ')}, "
        + (pathway.name_of(offered[0]) if offered else "nothing")
        + " first (scaffolded from "
        + os.path.basename(source)
        + "; say why this answer is right)"
    )
    data = {
        "description": description,
        "scenario": "TODO: the clinical situation this case pins down",
        "profile": profile,
        "expect": expect,
    }
    header = (
        f"# Scaffolded by 'myositis pathway case' from {source} under {pathway.id} "
        f"{pathway.version}.\n# Check every expectation before committing: it records "
        "today's answer, not a clinician's judgement.\n"
    )
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
