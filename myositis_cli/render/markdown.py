"""``--format markdown``: a short clinical note by default, the full content with ``--detail``.

The note (for pasting into the patient's record) holds the header, the
critical and warning alerts, the options with one line of why each, what is
taken now, the checks before starting, what was left out, and the
disclaimer: about 2 KB for a typical case, plain Markdown, no HTML tags.
``--detail`` adds every reason, caveat, reference, notice and the checks'
reasons (still without HTML tags: lists instead of ``<br>``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from ..problems import display
from ..results import CaseResult, Recommendation
from .common import (
    first_sentence,
    left_out_lines,
    missing_words,
    refractory_words,
    subtype_words,
    without_setting,
)


def write_markdown(
    results: Iterable[CaseResult],
    out: TextIO,
    *,
    explain: bool = False,
    top: int | None = None,
    detail: bool = False,
) -> Iterator[CaseResult]:
    first = True
    for result in results:
        if result.recommendation is not None:
            if not first:
                out.write("\n---\n\n")
            render = render_detail if (detail or explain) else render_note
            out.write(render(result, explain=explain, top=top))
            first = False
        yield result


def _header(result: CaseResult, rec: Recommendation) -> list[str]:
    return [
        f"## {_inline(rec.id)} — {subtype_words(rec)} — {refractory_words(rec)}",
        "",
        f"Source `{_code(result.source)}`"
        + (f" (document {result.document + 1})" if result.document else "")
        + f" · pathway {rec.pathway_id} {rec.pathway_version}",
        "",
    ]


def render_note(result: CaseResult, *, explain: bool = False, top: int | None = None) -> str:
    """The short clinical note."""
    rec = result.recommendation
    assert rec is not None
    lines = _header(result, rec)
    alerts = [a for a in rec.alerts if a.level in ("critical", "warning")]
    if alerts:
        lines += [
            f"- **{a.level.upper()}** {_inline(a.summary or first_sentence(a.message))}"
            for a in alerts
        ]
        lines.append("")
    options = rec.options if top is None else rec.options[:top]
    lines.append("**Options, ranked**")
    lines.append("")
    for o in options:
        why = _clip(without_setting(o.reasons[0])) if o.reasons else ""
        name = o.short_name or o.name
        lines.append(f"{o.rank}. **{_inline(name)}** — {o.tier}, {o.evidence}: {_inline(why)}")
    if not options:
        lines.append("_No option to suggest._")
    if top is not None and len(rec.options) > len(options):
        lines.append(f"_{len(rec.options) - len(options)} more option(s) not shown (--top {top})._")
    lines.append("")
    if rec.taking:
        lines.append(
            "**Taking now:** " + "; ".join(_inline(f"{t.name}: {t.reason}") for t in rec.taking)
        )
        lines.append("")
    if rec.checks:
        lines.append("**Before starting, check:** " + "; ".join(_check(c) for c in rec.checks))
        lines.append("")
    left = left_out_lines(rec)
    if left:
        lines.append("**Left out:** " + "; ".join(_inline(f"{n}: {_clip(r, 60)}") for n, r in left))
        lines.append("")
    lines += [f"_{_inline(rec.disclaimer)}_", ""]
    return "\n".join(lines)


def render_detail(result: CaseResult, *, explain: bool = False, top: int | None = None) -> str:
    """Everything: every reason, caveat and reference, as lists (no HTML)."""
    rec = result.recommendation
    assert rec is not None
    lines = _header(result, rec)
    if rec.alerts:
        lines += ["### Alerts", ""]
        lines += [f"- **{a.level.upper()}** {_inline(a.message)}" for a in rec.alerts]
        lines.append("")
    options = rec.options if top is None else rec.options[:top]
    lines += ["### Options, ranked", ""]
    for o in options:
        lines.append(
            f"{o.rank}. **{_inline(o.name)}** — {o.tier}, evidence {o.evidence}, score {o.score:g}"
        )
        lines += [f"   - {_inline(r)}" for r in o.reasons]
        lines += [f"   - _Caveat:_ {_inline(c)}" for c in o.caveats]
        lines.append(f"   - _Evidence:_ {_inline('; '.join(o.sources))}")
    if not options:
        lines.append("_No option to suggest._")
    if top is not None and len(rec.options) > len(options):
        lines += [
            "",
            f"_{len(rec.options) - len(options)} more option(s) not shown (--top {top})._",
        ]
    lines.append("")
    if rec.taking:
        lines += ["### Taking now", ""]
        lines += [f"- **{_inline(t.name)}**: {t.advice}: {_inline(t.reason)}" for t in rec.taking]
        lines.append("")
    if rec.checks:
        lines += ["### Before starting, check", ""]
        for c in rec.checks:
            names = f" — {_inline(', '.join(c.names))}" if c.names else ""
            lines.append(f"- **{_inline(c.ask)}**{names}")
            lines += [f"  - {_inline(r)}" for r in c.reasons]
        lines.append("")
    left = left_out_lines(rec)
    if left:
        lines += ["### Left out", ""]
        lines += [f"- **{_inline(n)}**: {_inline(r)}" for n, r in left]
        lines.append("")
    if rec.missing:
        lines += [f"**Not recorded (could change the answer):** {_inline(missing_words(rec))}", ""]
    if explain and rec.trace:
        lines += ["### How the pathway was walked", ""]
        lines += [f"- {s.phase} · {_inline(s.subject)}: {_inline(s.message)}" for s in rec.trace]
        lines.append("")
    if any("†" in s for o in options for s in o.sources):
        lines += ["† newer than the 2015 source abstract (SP0173)", ""]
    lines += [f"_{_inline(rec.disclaimer)}_", ""]
    return "\n".join(lines)


NOTE_REASON = 70  # characters of a reason in the short note (the rest with --detail)


def _check(check: Any) -> str:
    label = check.label or check.ask
    if not check.names:
        return _inline(label)
    names = ", ".join(check.names) if len(check.names) <= 3 else f"{len(check.names)} options"
    return _inline(f"{label} ({names})")


def _clip(text: str, limit: int = NOTE_REASON) -> str:
    """At most ``limit`` characters, cut at a word boundary."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"


def _inline(text: str) -> str:
    text = display(text)  # control characters and newlines as visible escapes
    for ch in ("\\", "*", "_", "`", "<", ">", "[", "]", "|"):
        text = text.replace(ch, "\\" + ch)
    return " ".join(text.split())


def _code(text: str) -> str:
    return display(text).replace("`", "'")
