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
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, NamedTuple

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


def _pairs(old: Mapping[str, Any], new: Mapping[str, Any]) -> Iterator[tuple[str, Any, Any]]:
    """Every key of either side, the new side's order first: (key, old or None, new or None)."""
    for key, value in new.items():
        yield key, old.get(key), value
    for key, value in old.items():
        if key not in new:
            yield key, value, None


def _changed(
    section: str, subject: str, fields: Iterable[tuple[str, Any, Any, str]], node: str = ""
) -> Iterator[Edit]:
    """One 'changed' edit per (field, old, new, sentence) whose two values differ."""
    for field, old, new, sentence in fields:
        if old != new:
            yield Edit(section, "changed", subject, field, old, new, sentence, node)


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
        yield from _changed("metadata", field, [(field, old, new, f"{words}: {old} → {new}")])
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
    return {child.id: node.id for node in p.tree.walk() for child in node.children}


def _names(p: Pathway, therapies: tuple[str, ...]) -> str:
    return " + ".join(p.name_of(t) for t in therapies)


def _nodes(a: Pathway, b: Pathway) -> Iterator[Edit]:
    parents_a, parents_b = _path_of(a), _path_of(b)
    raw_a, raw_b = _raw_nodes(a), _raw_nodes(b)
    new_nodes = b.nodes()
    for nid, x, y in _pairs(a.nodes(), new_nodes):
        if x is None:
            where = f" under '{new_nodes[parents_b[nid]].title}'" if nid in parents_b else ""
            suggests = (
                "suggests "
                + ", ".join(f"{_names(b, o.therapies)} (weight {o.weight:g})" for o in y.options)
                if y.options
                else "suggests nothing itself"
            )
            text = (
                f"node added{where}: '{y.title}' ({nid}), entered when {y.when.words()}; {suggests}"
            )
            yield Edit("node", "added", nid, "", None, y.title, text, nid)
            continue
        if y is None:
            text = f"node removed: '{x.title}' ({nid})"
            yield Edit("node", "removed", nid, "", x.title, None, text, parents_a.get(nid, ""))
            continue
        label = f"'{y.title}' ({nid})"
        was, now = x.when.words(), y.when.words()
        yield from _changed(
            "node",
            nid,
            [
                ("title", x.title, y.title, f"{label}: title was '{x.title}'"),
                ("condition", was, now, f"{label}: now entered when {now} (was: {was})"),
                (
                    "parent",
                    parents_a.get(nid),
                    parents_b.get(nid),
                    f"{label}: moved under {parents_b.get(nid)}",
                ),
            ],
            nid,
        )
        yield from _options(a, b, x, y, label)
        caps_x = {(c.max_tier, c.caveat) for c in x.caps}
        caps_y = {(c.max_tier, c.caveat) for c in y.caps}
        for tier, caveat in sorted(caps_y - caps_x):
            text = f"{label}: caps options at {tier}: {_q(caveat)}"
            yield Edit("node", "changed", nid, "cap", None, tier, text, nid)
        for tier, caveat in sorted(caps_x - caps_y):
            text = f"{label}: no longer caps options at {tier} ({_q(caveat)})"
            yield Edit("node", "changed", nid, "cap", tier, None, text, nid)
        yield from _unnamed_node(b, raw_a.get(nid), raw_b.get(nid), nid, label)


def _options(a: Pathway, b: Pathway, x: Node, y: Node, label: str) -> Iterator[Edit]:
    before = {o.key: o for o in x.options}
    after = {o.key: o for o in y.options}
    for key, p, o in _pairs(before, after):
        subject = f"{y.id}/{key}"
        if p is None:
            evidence = f", evidence {o.evidence}" if o.evidence else ""
            text = f"{label}: suggests {_names(b, o.therapies)} (weight {o.weight:g}{evidence}): {_q(o.reason)}"
            yield Edit("option", "added", subject, "", None, o.weight, text, y.id)
            continue
        if o is None:
            text = f"{label}: no longer suggests {_names(a, p.therapies)}"
            yield Edit("option", "removed", subject, "", p.weight, None, text, y.id)
            continue
        name = _names(b, o.therapies)
        fields: list[tuple[str, Any, Any, str]] = [
            (
                field,
                getattr(p, field),
                getattr(o, field),
                f"{label}: {name} {words} {_shown(getattr(p, field))} → {_shown(getattr(o, field))}",
            )
            for field, words in (
                ("weight", "weight"),
                ("evidence", "evidence"),
                ("max_tier", "at most"),
            )
        ]
        fields.append(
            (
                "reason",
                p.reason,
                o.reason,
                f"{label}: {name}'s reason now reads {_q(o.reason)}",
            )
        )
        fields.append(
            (
                "references",
                sorted(p.references),
                sorted(o.references),
                f"{label}: {name} cites {', '.join(o.references)}",
            )
        )
        yield from _changed("option", subject, fields, y.id)


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value or "none")


def _rules(t: Any) -> dict[str, SafetyRule]:
    return {r.key: r for r in (*t.contraindications, *t.cautions)}


def _therapies(a: Pathway, b: Pathway) -> Iterator[Edit]:
    for tid, x, y in _pairs(a.therapies, b.therapies):
        if x is None:
            text = f"therapy added: {y.name} (evidence {y.evidence})"
            yield Edit("therapy", "added", tid, "", None, y.name, text)
            continue
        if y is None:
            yield Edit("therapy", "removed", tid, "", x.name, None, f"therapy removed: {x.name}")
            continue
        name = y.name
        fields: list[tuple[str, Any, Any, str]] = [
            (
                field,
                getattr(x, field),
                getattr(y, field),
                f"{name}: {words} {getattr(x, field)} → {getattr(y, field)}",
            )
            for field, words in (
                ("name", "name"),
                ("evidence", "evidence level"),
                ("tier", "fixed tier"),
                ("adequate_months", "adequate trial (months)"),
                ("retreat_on_partial", "re-treatment on a partial response"),
            )
        ]
        fields.append(
            (
                "evidence_note",
                x.evidence_note,
                y.evidence_note,
                f"{name}: evidence note now reads {_q(y.evidence_note)}",
            )
        )
        yield from _changed("therapy", tid, fields)
        yield from _caveats(tid, name, x, y)
        yield from _safety_rules(name, x, y)
        yield from _unnamed_therapy(a, b, tid, name)


def _caveats(tid: str, name: str, x: Any, y: Any) -> Iterator[Edit]:
    before = {c.code: c.text for c in x.caveats}
    after = {c.code: c.text for c in y.caveats}
    for code, old, new in _pairs(before, after):
        subject = f"{tid}.{code}"
        if old is None:
            yield Edit(
                "caveat",
                "added",
                subject,
                "",
                None,
                new,
                f"{name}: standing caveat added: {_q(new)}",
            )
        elif new is None:
            yield Edit(
                "caveat",
                "removed",
                subject,
                "",
                old,
                None,
                f"{name}: standing caveat removed: {_q(old)}",
            )
        else:
            yield from _changed(
                "caveat",
                subject,
                [("text", old, new, f"{name}: caveat {code} now reads {_q(new)}")],
            )


def _safety_rules(name: str, x: Any, y: Any) -> Iterator[Edit]:
    for key, p, r in _pairs(_rules(x), _rules(y)):
        if p is None:
            what = (
                "contraindication" if r.kind == "contraindication" else f"caution (-{r.penalty:g})"
            )
            text = f"{name}: {what} added, when {r.when.words()}: {_q(r.text)}"
            yield Edit("rule", "added", key, "", None, r.text, text)
            continue
        if r is None:
            text = f"{name}: {p.kind} removed: {p.id} ({_q(p.text)})"
            yield Edit("rule", "removed", key, "", p.text, None, text)
            continue
        was, now = p.when.words(), r.when.words()
        yield from _changed(
            "rule",
            key,
            [
                (
                    "kind",
                    p.kind,
                    r.kind,
                    f"{name}: {r.id} is now a {r.kind} (was a {p.kind})",
                ),
                (
                    "condition",
                    was,
                    now,
                    f"{name}: {r.id} now applies when {now} (was: {was})",
                ),
                ("text", p.text, r.text, f"{name}: {r.id} now reads {_q(r.text)}"),
                (
                    "penalty",
                    p.penalty,
                    r.penalty,
                    f"{name}: {r.id} penalty {p.penalty:g} → {r.penalty:g}",
                ),
                (
                    "max_tier",
                    p.max_tier,
                    r.max_tier,
                    f"{name}: {r.id} caps at {r.max_tier or 'nothing'} (was {p.max_tier or 'nothing'})",
                ),
            ],
        )


def _alerts(a: Pathway, b: Pathway) -> Iterator[Edit]:
    before = {r.code: r for r in a.alerts}
    after = {r.code: r for r in b.alerts}
    raw_a = {entry.get("code"): entry for entry in _raw(a, "alerts") or ()}
    raw_b = {entry.get("code"): entry for entry in _raw(b, "alerts") or ()}
    for code, p, r in _pairs(before, after):
        if p is None:
            text = f"alert added: {code} ({r.level}), when {r.when.words()}: {_q(r.summary or r.message)}"
            yield Edit("alert", "added", code, "", None, r.level, text)
            continue
        if r is None:
            yield Edit(
                "alert", "removed", code, "", p.level, None, f"alert removed: {code} ({p.level})"
            )
            continue
        was, now = p.when.words(), r.when.words()
        yield from _changed(
            "alert",
            code,
            [
                ("level", p.level, r.level, f"alert {code}: level {p.level} → {r.level}"),
                (
                    "condition",
                    was,
                    now,
                    f"alert {code}: now raised when {now} (was: {was})",
                ),
                (
                    "message",
                    p.message,
                    r.message,
                    f"alert {code}: message now reads {_q(r.message)}",
                ),
            ],
        )
        yield from _unnamed(
            "alert", code, f"alert {code}", raw_a.get(code), raw_b.get(code), NAMED["alert"]
        )


def _facts(a: Pathway, b: Pathway) -> Iterator[Edit]:
    for name, x, y in _pairs(a.facts, b.facts):
        if x is None:
            text = f"fact added: {y.title} ({name}): {y.when.words()}"
            yield Edit("fact", "added", name, "", None, y.when.words(), text)
        elif y is None:
            yield Edit(
                "fact", "removed", name, "", x.title, None, f"fact removed: {x.title} ({name})"
            )
        else:
            was, now = x.when.words(), y.when.words()
            sentence = f"fact {y.title} ({name}) now means {now} (was: {was})"
            yield from _changed("fact", name, [("condition", was, now, sentence)])
            yield from _unnamed(
                "fact",
                name,
                f"fact {y.title} ({name})",
                (_raw(a, "facts") or {}).get(name),
                (_raw(b, "facts") or {}).get(name),
                NAMED["fact"],
            )


def _references(a: Pathway, b: Pathway) -> Iterator[Edit]:
    for rid, x, y in _pairs(a.references, b.references):
        if x is None:
            text = f"reference added: {rid} ({y.short or y.citation[:80]})"
            yield Edit("reference", "added", rid, "", None, y.citation, text)
        elif y is None:
            text = f"reference removed: {rid} ({x.short or x.citation[:80]})"
            yield Edit("reference", "removed", rid, "", x.citation, None, text)
        elif x != y:
            text = f"reference {rid} changed: {y.label()[:160]}"
            yield Edit("reference", "changed", rid, "citation", x.label(), y.label(), text)


_COVERED = {"pathway", "tree", "therapies", "alerts", "facts", "references"}

# ---------------------------------------------------------------------------- the rest
#
# The raw keys each section above puts in its own words. Any other key of the
# same entry that differs (aliases, a rule's references, an alert's details, an
# option's caveats...) is still named, in general words, so no edit goes
# unnamed; a test changes every key the pathway schema allows and checks that
# some edit names it.

NAMED: Final = {
    "therapy": frozenset(
        {
            "name",
            "evidence",
            "tier",
            "evidence_note",
            "retreat_on_partial",
            "caveats",
            "contraindications",
            "cautions",
            "adequate_trial.months",
            "adequate_trial.weeks",
        }
    ),
    "caveat": frozenset({"code", "text"}),
    "rule": frozenset({"id", "when", "reason", "caveat", "penalty", "max_tier"}),
    "alert": frozenset({"code", "level", "when", "message"}),
    "fact": frozenset({"when"}),
    "node": frozenset({"id", "title", "when", "options", "caps", "children"}),
    "option": frozenset(
        {"therapy", "therapies", "weight", "reason", "evidence", "references", "max_tier"}
    ),
    "cap": frozenset({"max_tier", "caveat"}),
}


def _raw(p: Pathway, section: str) -> Any:
    return (p.data or {}).get(section)


def _flat(entry: Mapping[str, Any] | None) -> dict[str, Any]:
    """An entry's keys, a mapping's own keys one level down (``adequate_trial.basis``)."""
    out: dict[str, Any] = {}
    for key, value in (entry or {}).items():
        if isinstance(value, Mapping) and not key.endswith("when"):  # a condition stays whole
            for sub, item in value.items():
                out[f"{key}.{sub}"] = item
        else:
            out[key] = value
    return out


def _change_words(old: Any, new: Any) -> str:
    scalars = (str, int, float, bool)
    if (
        isinstance(old, list)
        and isinstance(new, list)
        and all(isinstance(v, scalars) for v in (*old, *new))
    ):
        added = [v for v in new if v not in old]
        removed = [v for v in old if v not in new]
        parts = [f"added {', '.join(map(str, added))}"] if added else []
        parts += [f"removed {', '.join(map(str, removed))}"] if removed else []
        return "; ".join(parts) or "reordered"
    if old is None:
        return f"added: {_words(new)}"
    if new is None:
        return f"removed (was {_words(old)})"
    return f"now {_words(new)}"


def _words(value: Any) -> str:
    return _q(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))


def _unnamed(
    section: str,
    subject: str,
    label: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    named: frozenset[str],
    node: str = "",
) -> Iterator[Edit]:
    """One edit per key of an entry, outside ``named``, whose value differs."""
    if old is None or new is None or old == new:
        return
    before, after = _flat(old), _flat(new)
    for key, x, y in _pairs(before, after):
        if key in named or x == y:
            continue
        text = f"{label}: {key.replace('_', ' ').replace('.', ' ')} {_change_words(x, y)}"
        yield Edit(section, "changed", subject, key, x, y, text, node)


def _unnamed_therapy(a: Pathway, b: Pathway, tid: str, name: str) -> Iterator[Edit]:
    old = (_raw(a, "therapies") or {}).get(tid)
    new = (_raw(b, "therapies") or {}).get(tid)
    if old is None or new is None or old == new:
        return
    yield from _unnamed("therapy", tid, name, old, new, NAMED["therapy"])
    caveats_old = {c.get("code"): c for c in old.get("caveats") or ()}
    caveats_new = {c.get("code"): c for c in new.get("caveats") or ()}
    for code, x, y in _pairs(caveats_old, caveats_new):
        label = f"{name}: caveat {code}"
        yield from _unnamed("caveat", f"{tid}.{code}", label, x, y, NAMED["caveat"])
    rules_old = {
        r.get("id"): r for k in ("contraindications", "cautions") for r in old.get(k) or ()
    }
    rules_new = {
        r.get("id"): r for k in ("contraindications", "cautions") for r in new.get(k) or ()
    }
    for rid, x, y in _pairs(rules_old, rules_new):
        yield from _unnamed("rule", f"{tid}.{rid}", f"{name}: {rid}", x, y, NAMED["rule"])


def _raw_nodes(p: Pathway) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    stack = [_raw(p, "tree") or {}]
    while stack:
        node = stack.pop()
        found[node.get("id", "")] = node
        stack.extend(node.get("children") or ())
    return found


def _option_key(option: Mapping[str, Any], order: Mapping[str, int]) -> str:
    """As ``OptionSpec.key`` names the compiled option: its therapies in catalogue order."""
    members = [str(m) for m in option.get("therapies") or [option.get("therapy")]]
    return "+".join(sorted(members, key=lambda t: order.get(t, len(order))))


def _unnamed_node(
    b: Pathway,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
    nid: str,
    label: str,
) -> Iterator[Edit]:
    if old is None or new is None or old == new:
        return
    yield from _unnamed("node", nid, label, old, new, NAMED["node"], nid)
    options = (
        {_option_key(o, b.catalogue_order): o for o in old.get("options") or ()},
        {_option_key(o, b.catalogue_order): o for o in new.get("options") or ()},
    )
    for key, x, z in _pairs(*options):
        names = " + ".join(b.name_of(t) if t in b.therapies else t for t in key.split("+"))
        yield from _unnamed(
            "option", f"{nid}/{key}", f"{label}: {names}", x, z, NAMED["option"], nid
        )
    caps_old, caps_new = old.get("caps") or [], new.get("caps") or []
    if len(caps_old) == len(caps_new):  # otherwise the caps added or removed are named above
        for number, (x, z) in enumerate(zip(caps_old, caps_new, strict=True), start=1):
            cap_label = f"{label}: cap {number}"
            yield from _unnamed("node", nid, cap_label, x, z, NAMED["cap"], nid)


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
            entries = True
            x, y = {i["id"]: i for i in x}, {i["id"]: i for i in y}
        elif isinstance(x, Mapping) and isinstance(y, Mapping):
            entries = False
        else:
            yield Edit("other", "changed", section, section, x, y, f"{section} changed")
            continue
        for key, old, new in _pairs(x, y):
            if old == new:
                continue
            kind = "added" if old is None else "removed" if new is None else "changed"
            if entries:
                shown = new or old or {}
                words = shown.get("ask") or shown.get("title") or shown.get("text") or ""
                text = f"{section} entry {key} {kind}" + (f": {_q(words)}" if words else "")
            else:
                shown = f": {_q(json.dumps(new, ensure_ascii=False))}" if new is not None else ""
                text = f"{section}.{key} {kind}{shown}"
            yield Edit("other", kind, f"{section}.{key}", key, old, new, text)
