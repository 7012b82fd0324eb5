"""What an edit changed in the pathway itself, in clinicians' words (``pathway diff``).

Two compiled pathways are compared section by section, keyed by the ids a
reviewer points at (node, therapy, rule, caveat, alert, reference): nodes
added, removed or changed (title, condition, options and their weights,
caps), therapies and their evidence, standing caveats and safety rules,
alerts, facts, references, the metadata and the version. Conditions are
compared and shown in words; therapies by name. Sections without their own
wording (messages, ranking, policy...) are compared key by key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from .pathway import Node, Pathway, SafetyRule


class Edit(NamedTuple):
    section: (
        str  # metadata | reference | fact | therapy | rule | caveat | node | option | alert | other
    )
    kind: str  # added | removed | changed
    subject: str  # the id a reviewer points at
    field: str  # what changed, for a change ('' for an addition or removal)
    old: Any
    new: Any
    text: str  # the sentence
    node: str = ""  # the tree node it belongs to, for the picture of the changed part

    def data(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "kind": self.kind,
            "subject": self.subject,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "text": self.text,
        }


def _q(text: Any) -> str:
    shown = str(text)
    return f"“{shown if len(shown) <= 160 else shown[:157] + '…'}”"


def edits(a: Pathway, b: Pathway) -> list[Edit]:
    """Every change from ``a`` to ``b``, metadata first, then in pathway order."""
    out: list[Edit] = []
    out += _metadata(a, b)
    out += _nodes(a, b)
    out += _therapies(a, b)
    out += _alerts(a, b)
    out += _facts(a, b)
    out += _references(a, b)
    out += _other(a, b)
    return out


def content_changed(a: Pathway, b: Pathway) -> bool:
    """Whether anything but ``last_reviewed`` differs: the test behind ``version-unchanged``."""

    def strip(data: Any) -> Any:
        copy = json.loads(json.dumps(data))
        copy.get("pathway", {}).pop("last_reviewed", None)
        copy.get("pathway", {}).pop("version", None)
        return copy

    return bool(strip(a.data) != strip(b.data))


def version_problem(a: Pathway, b: Pathway) -> str | None:
    """An error sentence when the content changed and the semantic version did not rise."""
    if not content_changed(a, b):
        return None
    old, new = _semver(a.version), _semver(b.version)
    if new == old:
        return (
            f"the pathway's content changed but its version did not ({a.version}): "
            "raise pathway.version (semantic versioning) so records name the new knowledge"
        )
    if new < old:
        return f"the version went down ({a.version} -> {b.version}) while the content changed"
    return None


def _semver(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("-")[0].split("."))
    except ValueError:
        return (0,)


# ---------------------------------------------------------------------------- sections


def _metadata(a: Pathway, b: Pathway) -> Iterator[Edit]:
    ma, mb = a.metadata, b.metadata
    for field, words in (
        ("version", "version"),
        ("status", "status"),
        ("title", "title"),
        ("last_reviewed", "last reviewed"),
        ("review_interval_days", "review interval (days)"),
        ("disclaimer", "disclaimer"),
    ):
        old, new = getattr(ma, field), getattr(mb, field)
        if old != new:
            yield Edit("metadata", "changed", field, field, old, new, f"{words}: {old} → {new}")
    added = [s for s in mb.sources if s not in ma.sources]
    removed = [s for s in ma.sources if s not in mb.sources]
    if added or removed:
        parts = [f"added {', '.join(added)}"] if added else []
        parts += [f"removed {', '.join(removed)}"] if removed else []
        yield Edit(
            "metadata",
            "changed",
            "sources",
            "sources",
            list(ma.sources),
            list(mb.sources),
            "sources: " + "; ".join(parts),
        )


def _path_of(p: Pathway) -> dict[str, str]:
    """Node id -> its parent's id."""
    parents: dict[str, str] = {}

    def walk(node: Node) -> None:
        for child in node.children:
            parents[child.id] = node.id
            walk(child)

    walk(p.tree)
    return parents


def _names(p: Pathway, therapies: tuple[str, ...]) -> str:
    return " + ".join(p.name_of(t) for t in therapies)


def _nodes(a: Pathway, b: Pathway) -> Iterator[Edit]:
    old, new = a.nodes(), b.nodes()
    parents_a, parents_b = _path_of(a), _path_of(b)
    for nid, node in new.items():
        if nid not in old:
            where = f" under '{new[parents_b[nid]].title}'" if nid in parents_b else ""
            yield Edit(
                "node",
                "added",
                nid,
                "",
                None,
                node.title,
                f"node added{where}: '{node.title}' ({nid}), entered when {node.when.words()}; "
                + (
                    "suggests "
                    + ", ".join(
                        f"{_names(b, o.therapies)} (weight {o.weight:g})" for o in node.options
                    )
                    if node.options
                    else "suggests nothing itself"
                ),
                nid,
            )
    for nid, node in old.items():
        if nid not in new:
            yield Edit(
                "node",
                "removed",
                nid,
                "",
                node.title,
                None,
                f"node removed: '{node.title}' ({nid})",
                parents_a.get(nid, ""),
            )
    for nid in (n for n in new if n in old):
        x, y = old[nid], new[nid]
        label = f"'{y.title}' ({nid})"
        if x.title != y.title:
            yield Edit(
                "node",
                "changed",
                nid,
                "title",
                x.title,
                y.title,
                f"{label}: title was '{x.title}'",
                nid,
            )
        if x.when.words() != y.when.words():
            yield Edit(
                "node",
                "changed",
                nid,
                "condition",
                x.when.words(),
                y.when.words(),
                f"{label}: now entered when {y.when.words()} (was: {x.when.words()})",
                nid,
            )
        if parents_a.get(nid) != parents_b.get(nid):
            yield Edit(
                "node",
                "changed",
                nid,
                "parent",
                parents_a.get(nid),
                parents_b.get(nid),
                f"{label}: moved under {parents_b.get(nid)}",
                nid,
            )
        yield from _options(a, b, x, y, label)
        caps_x = {(c.max_tier, c.caveat) for c in x.caps}
        caps_y = {(c.max_tier, c.caveat) for c in y.caps}
        for tier, caveat in sorted(caps_y - caps_x):
            yield Edit(
                "node",
                "changed",
                nid,
                "cap",
                None,
                tier,
                f"{label}: caps options at {tier}: {_q(caveat)}",
                nid,
            )
        for tier, caveat in sorted(caps_x - caps_y):
            yield Edit(
                "node",
                "changed",
                nid,
                "cap",
                tier,
                None,
                f"{label}: no longer caps options at {tier} ({_q(caveat)})",
                nid,
            )


def _options(a: Pathway, b: Pathway, x: Node, y: Node, label: str) -> Iterator[Edit]:
    ox = {o.key: o for o in x.options}
    oy = {o.key: o for o in y.options}
    for key, o in oy.items():
        name = _names(b, o.therapies)
        if key not in ox:
            yield Edit(
                "option",
                "added",
                f"{y.id}/{key}",
                "",
                None,
                o.weight,
                f"{label}: suggests {name} (weight {o.weight:g}"
                + (f", evidence {o.evidence}" if o.evidence else "")
                + f"): {_q(o.reason)}",
                y.id,
            )
            continue
        p = ox[key]
        for field, words in (
            ("weight", "weight"),
            ("evidence", "evidence"),
            ("max_tier", "at most"),
        ):
            before, after = getattr(p, field), getattr(o, field)
            if before != after:
                yield Edit(
                    "option",
                    "changed",
                    f"{y.id}/{key}",
                    field,
                    before,
                    after,
                    f"{label}: {name} {words} {_shown(before)} → {_shown(after)}",
                    y.id,
                )
        if p.reason != o.reason:
            yield Edit(
                "option",
                "changed",
                f"{y.id}/{key}",
                "reason",
                p.reason,
                o.reason,
                f"{label}: {name}'s reason now reads {_q(o.reason)}",
                y.id,
            )
        if set(p.references) != set(o.references):
            yield Edit(
                "option",
                "changed",
                f"{y.id}/{key}",
                "references",
                list(p.references),
                list(o.references),
                f"{label}: {name} cites {', '.join(o.references)}",
                y.id,
            )
    for key, o in ox.items():
        if key not in oy:
            yield Edit(
                "option",
                "removed",
                f"{y.id}/{key}",
                "",
                o.weight,
                None,
                f"{label}: no longer suggests {_names(a, o.therapies)}",
                y.id,
            )


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value or "none")


def _rules(t: Any) -> dict[str, SafetyRule]:
    return {r.key: r for r in (*t.contraindications, *t.cautions)}


def _therapies(a: Pathway, b: Pathway) -> Iterator[Edit]:
    for tid, t in b.therapies.items():
        if tid not in a.therapies:
            yield Edit(
                "therapy",
                "added",
                tid,
                "",
                None,
                t.name,
                f"therapy added: {t.name} (evidence {t.evidence})",
            )
    for tid, t in a.therapies.items():
        if tid not in b.therapies:
            yield Edit("therapy", "removed", tid, "", t.name, None, f"therapy removed: {t.name}")
    for tid in (t for t in b.therapies if t in a.therapies):
        x, y = a.therapies[tid], b.therapies[tid]
        name = y.name
        for field, words in (
            ("name", "name"),
            ("evidence", "evidence level"),
            ("tier", "fixed tier"),
            ("adequate_months", "adequate trial (months)"),
            ("retreat_on_partial", "re-treatment on a partial response"),
        ):
            before, after = getattr(x, field), getattr(y, field)
            if before != after:
                yield Edit(
                    "therapy",
                    "changed",
                    tid,
                    field,
                    before,
                    after,
                    f"{name}: {words} {before} → {after}",
                )
        if x.evidence_note != y.evidence_note:
            yield Edit(
                "therapy",
                "changed",
                tid,
                "evidence_note",
                x.evidence_note,
                y.evidence_note,
                f"{name}: evidence note now reads {_q(y.evidence_note)}",
            )
        cx = {c.code: c.text for c in x.caveats}
        cy = {c.code: c.text for c in y.caveats}
        for code, text in cy.items():
            if code not in cx:
                yield Edit(
                    "caveat",
                    "added",
                    f"{tid}.{code}",
                    "",
                    None,
                    text,
                    f"{name}: standing caveat added: {_q(text)}",
                )
            elif cx[code] != text:
                yield Edit(
                    "caveat",
                    "changed",
                    f"{tid}.{code}",
                    "text",
                    cx[code],
                    text,
                    f"{name}: caveat {code} now reads {_q(text)}",
                )
        for code, text in cx.items():
            if code not in cy:
                yield Edit(
                    "caveat",
                    "removed",
                    f"{tid}.{code}",
                    "",
                    text,
                    None,
                    f"{name}: standing caveat removed: {_q(text)}",
                )
        rx, ry = _rules(x), _rules(y)
        for key, r in ry.items():
            if key not in rx:
                what = (
                    "contraindication"
                    if r.kind == "contraindication"
                    else f"caution (-{r.penalty:g})"
                )
                yield Edit(
                    "rule",
                    "added",
                    key,
                    "",
                    None,
                    r.text,
                    f"{name}: {what} added, when {r.when.words()}: {_q(r.text)}",
                )
                continue
            p = rx[key]
            if p.kind != r.kind:
                yield Edit(
                    "rule",
                    "changed",
                    key,
                    "kind",
                    p.kind,
                    r.kind,
                    f"{name}: {r.id} is now a {r.kind} (was a {p.kind})",
                )
            if p.when.words() != r.when.words():
                yield Edit(
                    "rule",
                    "changed",
                    key,
                    "condition",
                    p.when.words(),
                    r.when.words(),
                    f"{name}: {r.id} now applies when {r.when.words()} (was: {p.when.words()})",
                )
            if p.text != r.text:
                yield Edit(
                    "rule",
                    "changed",
                    key,
                    "text",
                    p.text,
                    r.text,
                    f"{name}: {r.id} now reads {_q(r.text)}",
                )
            if p.penalty != r.penalty:
                yield Edit(
                    "rule",
                    "changed",
                    key,
                    "penalty",
                    p.penalty,
                    r.penalty,
                    f"{name}: {r.id} penalty {p.penalty:g} → {r.penalty:g}",
                )
            if p.max_tier != r.max_tier:
                yield Edit(
                    "rule",
                    "changed",
                    key,
                    "max_tier",
                    p.max_tier,
                    r.max_tier,
                    f"{name}: {r.id} caps at {r.max_tier or 'nothing'} (was {p.max_tier or 'nothing'})",
                )
        for key, r in rx.items():
            if key not in ry:
                yield Edit(
                    "rule",
                    "removed",
                    key,
                    "",
                    r.text,
                    None,
                    f"{name}: {r.kind} removed: {r.id} ({_q(r.text)})",
                )


def _alerts(a: Pathway, b: Pathway) -> Iterator[Edit]:
    ax = {r.code: r for r in a.alerts}
    ay = {r.code: r for r in b.alerts}
    for code, r in ay.items():
        if code not in ax:
            yield Edit(
                "alert",
                "added",
                code,
                "",
                None,
                r.level,
                f"alert added: {code} ({r.level}), when {r.when.words()}: {_q(r.summary or r.message)}",
            )
            continue
        p = ax[code]
        if p.level != r.level:
            yield Edit(
                "alert",
                "changed",
                code,
                "level",
                p.level,
                r.level,
                f"alert {code}: level {p.level} → {r.level}",
            )
        if p.when.words() != r.when.words():
            yield Edit(
                "alert",
                "changed",
                code,
                "condition",
                p.when.words(),
                r.when.words(),
                f"alert {code}: now raised when {r.when.words()} (was: {p.when.words()})",
            )
        if p.message != r.message:
            yield Edit(
                "alert",
                "changed",
                code,
                "message",
                p.message,
                r.message,
                f"alert {code}: message now reads {_q(r.message)}",
            )
    for code, r in ax.items():
        if code not in ay:
            yield Edit(
                "alert", "removed", code, "", r.level, None, f"alert removed: {code} ({r.level})"
            )


def _facts(a: Pathway, b: Pathway) -> Iterator[Edit]:
    for name, f in b.facts.items():
        old = a.facts.get(name)
        if old is None:
            yield Edit(
                "fact",
                "added",
                name,
                "",
                None,
                f.when.words(),
                f"fact added: {f.title} ({name}): {f.when.words()}",
            )
        elif old.when.words() != f.when.words():
            yield Edit(
                "fact",
                "changed",
                name,
                "condition",
                old.when.words(),
                f.when.words(),
                f"fact {f.title} ({name}) now means {f.when.words()} (was: {old.when.words()})",
            )
    for name, f in a.facts.items():
        if name not in b.facts:
            yield Edit(
                "fact", "removed", name, "", f.title, None, f"fact removed: {f.title} ({name})"
            )


def _references(a: Pathway, b: Pathway) -> Iterator[Edit]:
    for rid, r in b.references.items():
        old = a.references.get(rid)
        if old is None:
            yield Edit(
                "reference",
                "added",
                rid,
                "",
                None,
                r.citation,
                f"reference added: {rid} ({r.short or r.citation[:80]})",
            )
        elif old != r:
            yield Edit(
                "reference",
                "changed",
                rid,
                "citation",
                old.label(),
                r.label(),
                f"reference {rid} changed: {r.label()[:160]}",
            )
    for rid, r in a.references.items():
        if rid not in b.references:
            yield Edit(
                "reference",
                "removed",
                rid,
                "",
                r.citation,
                None,
                f"reference removed: {rid} ({r.short or r.citation[:80]})",
            )


_COVERED = {"pathway", "tree", "therapies", "alerts", "facts", "references"}


def _other(a: Pathway, b: Pathway) -> Iterator[Edit]:
    """Sections compared key by key: messages, ranking, policy, history rules, checks..."""
    da: Mapping[str, Any] = a.data or {}
    db: Mapping[str, Any] = b.data or {}
    for section in sorted((set(da) | set(db)) - _COVERED):
        x, y = da.get(section), db.get(section)
        if x == y:
            continue
        if (
            isinstance(x, list)
            and isinstance(y, list)
            and all(isinstance(i, Mapping) and "id" in i for i in (*x, *y))
        ):
            bx, by = {i["id"]: i for i in x}, {i["id"]: i for i in y}
            for key in [*by, *(k for k in bx if k not in by)]:
                if bx.get(key) != by.get(key):
                    kind = "added" if key not in bx else "removed" if key not in by else "changed"
                    shown = by.get(key, bx.get(key)) or {}
                    words = shown.get("ask") or shown.get("title") or shown.get("text") or ""
                    yield Edit(
                        "other",
                        kind,
                        f"{section}.{key}",
                        key,
                        bx.get(key),
                        by.get(key),
                        f"{section} entry {key} {kind}" + (f": {_q(words)}" if words else ""),
                    )
        elif isinstance(x, Mapping) and isinstance(y, Mapping):
            for key in sorted(set(x) | set(y), key=str):
                if x.get(key) != y.get(key):
                    kind = "added" if key not in x else "removed" if key not in y else "changed"
                    yield Edit(
                        "other",
                        kind,
                        f"{section}.{key}",
                        key,
                        x.get(key),
                        y.get(key),
                        f"{section}.{key} {kind}"
                        + (
                            f": {_q(json.dumps(y.get(key), ensure_ascii=False))}"
                            if key in y
                            else ""
                        ),
                    )
        else:
            yield Edit("other", "changed", section, section, x, y, f"{section} changed")
