"""The pathway: clinical knowledge compiled from YAML into plain values.

``load_pathway`` reads a pathway file, validates it against its schema and
compiles every condition, reference and therapy id in it. Anything wrong is
found here, at load time, with its line and column, and raised as one
``PathwayError`` listing every problem. The engine then walks values it can
trust.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from . import loading, resources
from .compiled import sha256_hex
from .conditions import (
    Always,
    Condition,
    Environment,
    FactRef,
    FailureRules,
    FieldSpec,
    HistoryMatch,
    compile_condition,
    fields_from_schema,
)
from .errors import PathwayError

if TYPE_CHECKING:
    from .criteria import Criteria
    from .plan import Plan
from .problems import Locator, Problem, did_you_mean
from .validation import Validator

EVIDENCE_LEVELS = ("A", "B", "C", "D")
TIERS = ("preferred", "consider", "discouraged")  # best first
ALERT_LEVELS = ("critical", "warning", "info")  # most urgent first
# raised by the engine itself, worded by the pathway's messages: a current therapy now ruled out
CURRENT_CONTRAINDICATED = "current_therapy_contraindicated"
OUTCOMES = ("ongoing", "good_response", "partial_response", "inadequate_response", "intolerance")


class Reference(NamedTuple):
    id: str
    citation: str
    year: int | None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    nct: str | None = None
    newer_than_source: bool = False
    short: str = ""

    def label(self) -> str:
        """The citation with its identifiers, as printed in outputs."""
        ids = [
            f"PMID {self.pmid}" if self.pmid else "",
            f"doi:{self.doi}" if self.doi else "",
            self.nct or "",
        ]
        extra = "; ".join(i for i in ids if i)
        return f"{self.citation}" + (f" [{extra}]" if extra else "")

    def url(self) -> str:
        """Where to read it: PubMed, then DOI, PMC, ClinicalTrials.gov; empty when none."""
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.pmcid:
            return f"https://www.ncbi.nlm.nih.gov/pmc/articles/{self.pmcid}/"
        if self.nct:
            return f"https://clinicaltrials.gov/study/{self.nct}"
        return ""

    def entry(self) -> dict[str, Any]:
        """The reference as the record's ``references`` map holds it (absent identifiers left out)."""
        out: dict[str, Any] = {"citation": self.citation, "year": self.year}
        for key in ("pmid", "pmcid", "doi", "nct"):
            value = getattr(self, key)
            if value:
                out[key] = value
        link = self.url()
        if link:
            out["url"] = link
        return out


class Caveat(NamedTuple):
    code: str
    text: str
    references: tuple[str, ...] = ()


class SafetyRule(NamedTuple):
    """A contraindication (excludes) or a caution (penalty and caveat) of one therapy."""

    therapy: str
    id: str
    kind: str  # contraindication | caution
    when: Condition
    text: str
    penalty: float
    references: tuple[str, ...]
    pointer: str
    max_tier: str | None = None  # a caution may cap the tier while it holds

    @property
    def key(self) -> str:
        return f"{self.therapy}.{self.id}"


class ContextEvidence(NamedTuple):
    when: Condition
    evidence: str
    references: tuple[str, ...]


class Therapy(NamedTuple):
    id: str
    name: str
    klass: str
    aliases: tuple[str, ...]
    evidence: str
    references: tuple[str, ...]
    caveats: tuple[Caveat, ...]
    contraindications: tuple[SafetyRule, ...]
    cautions: tuple[SafetyRule, ...]
    order: int
    evidence_note: str = ""
    evidence_in_context: tuple[ContextEvidence, ...] = ()
    tier: str | None = None
    notes: str = ""
    current_when: Condition | None = None
    pointer: str = ""
    adequate_months: float | None = None  # None: history_rules.adequate_trial_months
    adequate_basis: str = ""
    adequate_references: tuple[str, ...] = ()
    retreat_on_partial: bool = False
    short_name: str = ""  # for the compact view; the name otherwise


class Population(NamedTuple):
    """Where a reason's evidence comes from; outside it the reason says so."""

    when: Condition
    note: str


class OptionSpec(NamedTuple):
    """An option as a node declares it: one therapy or a combination."""

    therapies: tuple[str, ...]  # catalogue order
    weight: float
    reason: str
    evidence: str | None
    references: tuple[str, ...]
    max_tier: str | None
    caveats: tuple[str, ...]
    pointer: str
    reasons_for: tuple[tuple[Condition, str], ...] = ()  # narrower populations, first wins
    studied_in: Population | None = None

    @property
    def key(self) -> str:
        return "+".join(self.therapies)


class Cap(NamedTuple):
    therapies: frozenset[str] | None  # None: every therapy
    max_tier: str
    caveat: str
    references: tuple[str, ...]


class Node(NamedTuple):
    id: str
    title: str
    when: Condition
    has_condition: bool
    options: tuple[OptionSpec, ...]
    caps: tuple[Cap, ...]
    children: tuple[Node, ...]
    pointer: str

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


class AlertRule(NamedTuple):
    code: str
    level: str
    when: Condition
    message: str
    references: tuple[str, ...]
    pointer: str
    details: tuple[tuple[Condition, str], ...] = ()  # appended when their condition holds
    yields_to_critical: bool = False  # a routine notice: not shown beside a critical alert
    check_if_unknown: str = ""  # undecided: ask for its absent fields, with this reason
    summary: str = ""  # one short line for the compact view


class CheckSpec(NamedTuple):
    """How to ask for one undecided profile field."""

    id: str
    pointer: str  # /safety/tuberculosis
    ask: str
    references: tuple[str, ...]
    order: int
    label: str = ""  # a short label for the compact view


class EmptyAnswer(NamedTuple):
    """The alert raised when nothing is left to offer."""

    code: str
    level: str
    message: str  # {why}: what ruled each suggestion out
    references: tuple[str, ...]
    summary: str = ""


class Fact(NamedTuple):
    name: str
    title: str
    description: str
    when: Condition
    pointer: str


class HistoryRules(NamedTuple):
    adequate_trial_months: float
    unknown_months_adequate: bool
    failure_outcomes: frozenset[str]
    intolerance_outcomes: frozenset[str]
    current_outcomes: frozenset[str]
    failure_exempt: frozenset[str] = frozenset()


class Metadata(NamedTuple):
    id: str
    version: str
    title: str
    status: str
    last_reviewed: str
    review_interval_days: int | None
    sources: tuple[str, ...]
    disclaimer: str
    notes: str = ""


@dataclass
class Pathway:
    """A loaded, checked pathway. Treat as read-only."""

    source: str
    metadata: Metadata
    references: dict[str, Reference]
    therapies: dict[str, Therapy]  # catalogue order
    facts: dict[str, Fact]
    tree: Node
    alerts: tuple[AlertRule, ...]
    history_rules: HistoryRules
    evidence_bonus: dict[str, float]
    preferred_at: float
    always_discouraged: frozenset[str]
    required_caveats: tuple[tuple[str, str, str], ...]  # therapy, caveat code, pointer
    messages: dict[str, str]
    fields: Mapping[str, FieldSpec]
    aliases: dict[str, str]  # lower-case name -> therapy id
    checks: dict[str, CheckSpec] = field(default_factory=dict)  # pointer -> how to ask
    empty_answer: EmptyAnswer | None = None
    criteria_file: str | None = None  # the classification table's name, beside the pathway
    data: Any = None
    locator: Locator | None = None
    raw: bytes | None = None  # the file's bytes, when loaded from a file
    sha256: str = ""  # of ``raw``: which knowledge produced an answer
    _nodes: dict[str, Node] = field(default_factory=dict)

    def __reduce__(self) -> tuple[Any, ...]:
        # Compiled conditions hold closures: a pathway travels as its source
        # and is compiled again, once per process, where it arrives.
        if self.raw is not None:
            return (_restore_from_bytes, (self.raw, self.source))
        return (_restore_from_data, (self.data, self.source))

    @property
    def id(self) -> str:
        return self.metadata.id

    @property
    def version(self) -> str:
        return self.metadata.version

    def nodes(self) -> dict[str, Node]:
        if not self._nodes:
            self._nodes = {node.id: node for node in self.tree.walk()}
        return self._nodes

    def safety_rules(self) -> Iterator[SafetyRule]:
        for therapy in self.therapies.values():
            yield from therapy.contraindications
            yield from therapy.cautions

    def resolve_therapy(self, name: str) -> str | None:
        """A therapy id for a name a profile uses (id, alias, any case)."""
        return self.aliases.get(_normal(name))

    def closest_therapy(self, name: str) -> str | None:
        guess = did_you_mean(_normal(name), self.aliases, cutoff=0.6)
        return self.aliases[guess] if guess else None

    def reference_label(self, ref_id: str) -> str:
        return self.labels[ref_id]

    # Computed once per pathway, not once per case.

    @cached_property
    def plan(self) -> Plan:
        """The fixed parts of this pathway's answers: names, tiers, standing caveats."""
        from .plan import Plan  # plan reads this module's types

        return Plan(self)

    @cached_property
    def labels(self) -> dict[str, str]:
        return {rid: ref.label() for rid, ref in self.references.items()}

    @cached_property
    def criteria(self) -> Criteria:
        """The classification table this pathway names, or the bundled one (read on first use)."""
        return criteria_for(self.source, self.criteria_file)

    @cached_property
    def alert_codes(self) -> frozenset[str]:
        """Every code an alert of this pathway can carry."""
        codes = {a.code for a in self.alerts} | {CURRENT_CONTRAINDICATED}
        if self.empty_answer is not None:
            codes.add(self.empty_answer.code)
        return frozenset(codes)

    @cached_property
    def missing_keys(self) -> dict[str, tuple[int, int, str]]:
        """A pointer -> its sort key among missing fields (filled by ranking.order_missing)."""
        return {}

    @cached_property
    def catalogue_order(self) -> dict[str, int]:
        """Therapy id -> its position in the catalogue (the tie-break order)."""
        return {tid: i for i, tid in enumerate(self.therapies)}

    @cached_property
    def citations(self) -> dict[str, dict[str, Any]]:
        """Reference id -> its entry in the record's ``references`` map."""
        return {rid: ref.entry() for rid, ref in self.references.items()}

    @cached_property
    def provenance(self) -> dict[str, Any]:
        """What produced an answer: the tool and the exact pathway file (by its bytes' sha256)."""
        return {
            "tool": tool_provenance(),
            "pathway": {
                "id": self.metadata.id,
                "version": self.metadata.version,
                "sha256": self.sha256 or None,
            },
        }

    @cached_property
    def fact_conditions(self) -> dict[str, Condition]:
        return {name: fact.when for name, fact in self.facts.items()}

    @cached_property
    def short_labels(self) -> dict[str, str]:
        """Reference id -> its short label for tables, marked † when newer than the source."""
        return {
            rid: (ref.short or rid) + (" †" if ref.newer_than_source else "")
            for rid, ref in self.references.items()
        }

    @cached_property
    def field_titles(self) -> dict[str, str]:
        """JSON pointer -> the field's title, for "... not recorded" caveats."""
        return {f.pointer: f.title for f in self.fields.values()}

    @cached_property
    def field_order(self) -> dict[str, int]:
        """JSON pointer -> position in the profile schema, for ordering ``missing``."""
        return {f.pointer: f.order for f in self.fields.values()}

    @cached_property
    def failure_rules(self) -> FailureRules:
        rules = self.history_rules
        return FailureRules(
            rules.failure_outcomes,
            rules.intolerance_outcomes,
            rules.failure_exempt,
            frozenset(tid for tid, t in self.therapies.items() if t.retreat_on_partial),
        )

    @cached_property
    def adequate_by_therapy(self) -> dict[str, float]:
        """Therapy -> months that make an adequate trial, where the catalogue sets its own."""
        return {tid: t.adequate_months for tid, t in self.therapies.items() if t.adequate_months}

    @cached_property
    def alert_history_tests(self) -> dict[str, tuple[HistoryMatch, ...]]:
        """Alert code -> the history tests in its condition (to name the matching trials)."""
        return {
            a.code: tuple(c for c in a.when.walk() if isinstance(c, HistoryMatch))
            for a in self.alerts
        }

    def name_of(self, therapy_id: str) -> str:
        return self.therapies[therapy_id].name

    def short_name_of(self, therapy_id: str) -> str:
        therapy = self.therapies[therapy_id]
        return therapy.short_name or therapy.name

    def adequate_months(self, therapy_id: str) -> float:
        """Months that make an adequate trial of a therapy (its own, or the default)."""
        own = self.therapies[therapy_id].adequate_months
        return own if own else self.history_rules.adequate_trial_months


def _normal(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").split())


# --------------------------------------------------------------------------
# Loading.


@cache
def profile_fields() -> dict[str, FieldSpec]:
    return fields_from_schema(resources.schema("profile"))


@cache
def profile_validator() -> Validator:
    return Validator(resources.schema("profile"), what="a profile")


@cache
def pathway_validator() -> Validator:
    return Validator(resources.schema("pathway"), what="a pathway")


def _read(source: str, limits: loading.Limits) -> bytes:
    try:
        return loading.read_file(source, limits)
    except loading.LoadError as exc:
        raise PathwayError(source, [Problem(exc.kind, exc.message, rule="yaml")]) from None


def read_pathway_document(
    source: str, limits: loading.Limits = loading.DEFAULT_LIMITS
) -> tuple[Any, Locator | None]:
    """The single YAML document of a pathway file, or a PathwayError."""
    return pathway_document_from_bytes(_read(source, limits), source, limits)


def pathway_document_from_bytes(
    raw: bytes, source: str, limits: loading.Limits = loading.DEFAULT_LIMITS
) -> tuple[Any, Locator | None]:
    documents = list(loading.iter_documents(raw, limits))
    first = documents[0]
    if first.error is not None:
        raise PathwayError(source, [first.error._replace(rule="yaml")])
    if len(documents) > 1:
        line = documents[1].line
        raise PathwayError(
            source, [Problem("yaml", "a pathway file holds one YAML document", "", line, 1, "yaml")]
        )
    return first.data, first.locator


# what string.Formatter().parse calls, without importing string (1.4 ms a start)
if TYPE_CHECKING:
    from string import Formatter

    _template_fields = Formatter().parse
else:
    try:
        from _string import formatter_parser as _template_fields
    except ImportError:  # pragma: no cover - other implementations
        from string import Formatter

        _template_fields = Formatter().parse


def load_pathway(
    path: str | Path | None = None, limits: loading.Limits = loading.DEFAULT_LIMITS
) -> Pathway:
    """Read, validate and compile a pathway (the bundled one by default)."""
    source = str(path) if path is not None else str(resources.default_pathway())
    return load_pathway_bytes(_read(source, limits), source, limits)


def is_bundled(source: str) -> bool:
    """Whether ``source`` is a pathway that ships with the tool."""
    try:
        return Path(source).resolve().parent == resources.data_dir("pathways").resolve()
    except (OSError, ValueError):
        return False


def load_pathway_bytes(
    raw: bytes, source: str, limits: loading.Limits = loading.DEFAULT_LIMITS
) -> Pathway:
    """A pathway from its bytes (a file, or a git revision); ``source`` labels messages.

    The bundled pathway uses the validated data shipped in the wheel when it
    was built from these exact bytes, else it is parsed: it never reads the
    user's cache, so no cache entry can change its answers. Any other pathway
    is cached by content hash (see cache.py): one that loaded cleanly once is
    not parsed again, only validated and compiled.
    """
    digest = sha256_hex(raw)
    bundled = is_bundled(source)
    if bundled:
        from . import compiled

        cached = compiled.shipped(Path(source), digest)
        key = None
    else:
        from . import cache as data_cache

        key = data_cache.key(raw)
        cached = data_cache.read(key)
    # cached data is trusted no more than the file: validated and compiled like it
    if cached is not None and (bundled or pathway_validator().is_valid(cached)):
        builder = _Builder(cached, source)
        pathway = builder.build()
        if not builder.problems:
            pathway.raw = raw
            pathway.sha256 = digest
            return pathway
    data, locator = pathway_document_from_bytes(raw, source, limits)
    pathway = _checked(data, source, locator)
    pathway.raw = raw
    pathway.sha256 = digest
    if key is not None:
        data_cache.write(key, data)
    return pathway


def tool_provenance() -> dict[str, str]:
    """The ``tool`` every record carries: which program, which version."""
    from . import __version__

    return {"name": "myositis", "version": __version__}


def criteria_for(source: str, name: str | None) -> Criteria:
    """The classification table named by a pathway at ``source`` (beside it), else the bundled one."""
    from .criteria import DEFAULT_CRITERIA, load_criteria

    if not name or is_bundled(source):
        return load_criteria(str(resources.data_dir("pathways") / (name or DEFAULT_CRITERIA)))
    beside = Path(source).parent / name
    if not beside.is_file() and ":" in source:  # REV:path from git: the working tree's table
        beside = Path(source.split(":", 1)[1]).parent / name
    return load_criteria(str(beside))


def _checked(data: Any, source: str, locator: Locator | None) -> Pathway:
    pathway, problems = compile_pathway(data, source, locator)
    if pathway is None or problems:
        raise PathwayError(source, problems)
    return pathway


_RESTORED: dict[tuple[str, str], Pathway] = {}


def _restore_from_bytes(raw: bytes, source: str) -> Pathway:
    """An unpickled pathway: compiled once per process, then reused."""
    key = (sha256_hex(raw), source)
    pathway = _RESTORED.get(key)
    if pathway is None:
        pathway = _RESTORED[key] = load_pathway_bytes(raw, source)
    return pathway


def _restore_from_data(data: Any, source: str) -> Pathway:
    return _checked(data, source, None)


def compile_pathway(
    data: Any, source: str, locator: Locator | None = None
) -> tuple[Pathway | None, list[Problem]]:
    """Validate and compile pathway data; every problem is returned, located."""
    validator = pathway_validator()
    if not validator.is_valid(data):
        problems = [
            p._replace(rule="schema").located(locator, key=p.message.startswith("unknown key"))
            for p in validator.problems(data, locator)
        ]
        return None, problems
    builder = _Builder(data, source)
    pathway = builder.build()
    pathway.locator = locator
    problems = [p.located(locator) for p in builder.problems]
    return pathway, problems


class _Builder:
    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.data = data
        self.source = source
        self.problems: list[Problem] = []
        names = {tid: t["name"] for tid, t in data["therapies"].items()}
        table = data.get("classification_criteria")
        self.env = Environment(
            fields=profile_fields(),
            fact_titles={name: f["title"] for name, f in data["facts"].items()},
            therapies=names,
            outcomes=OUTCOMES,
            problems=self.problems,
            # found and read once, on first use: most profiles never ask
            criteria=cache(partial(criteria_for, source, table)) if table else None,
        )
        self.references = data["references"]

    def error(self, rule: str, message: str, pointer: str) -> None:
        self.problems.append(Problem("pathway", message, pointer, rule=rule))

    def refs(self, ids: list[str] | None, pointer: str) -> tuple[str, ...]:
        for i, ref in enumerate(ids or []):
            if ref not in self.references:
                guess = did_you_mean(ref, self.references)
                self.error(
                    "unknown-reference",
                    f"reference '{ref}' is not in the pathway's references"
                    + (f" (did you mean {guess}?)" if guess else ""),
                    f"{pointer}/{i}",
                )
        return tuple(ids or ())

    def condition(self, raw: Any, pointer: str) -> Condition:
        return compile_condition(raw, pointer, self.env)

    def build(self) -> Pathway:
        d = self.data
        meta = d["pathway"]
        metadata = Metadata(
            meta["id"],
            meta["version"],
            meta["title"],
            meta["status"],
            meta["last_reviewed"],
            meta.get("review_interval_days"),
            self.refs(meta["sources"], "/pathway/sources"),
            meta["disclaimer"],
            meta.get("notes", ""),
        )
        references = {
            rid: Reference(
                rid,
                r["citation"],
                r.get("year"),
                r.get("pmid"),
                r.get("pmcid"),
                r.get("doi"),
                r.get("nct"),
                r.get("newer_than_source", False),
                r.get("short", ""),
            )
            for rid, r in self.references.items()
        }
        facts = {
            name: Fact(
                name,
                f["title"],
                f.get("description", ""),
                self.condition(f["when"], f"/facts/{name}/when"),
                f"/facts/{name}",
            )
            for name, f in d["facts"].items()
        }
        self._check_fact_cycles(facts)
        therapies = {
            tid: self._therapy(tid, raw, order)
            for order, (tid, raw) in enumerate(d["therapies"].items())
        }
        aliases = self._aliases(d["therapies"])
        seen_ids: dict[str, str] = {}
        tree = self._node(d["tree"], "/tree", seen_ids, therapies)
        alerts = tuple(
            AlertRule(
                a["code"],
                a["level"],
                self.condition(a["when"], f"/alerts/{i}/when"),
                a["message"],
                self.refs(a["references"], f"/alerts/{i}/references"),
                f"/alerts/{i}",
                tuple(
                    (self.condition(x["when"], f"/alerts/{i}/details/{j}/when"), x["text"])
                    for j, x in enumerate(a.get("details", []))
                ),
                bool(a.get("yields_to_critical", False)),
                a.get("check_if_unknown", ""),
                a.get("summary", ""),
            )
            for i, a in enumerate(d["alerts"])
        )
        checks = self._checks(d.get("checks", []))
        empty = d.get("empty_answer")
        empty_answer = (
            EmptyAnswer(
                empty["code"],
                empty["level"],
                empty["message"],
                self.refs(empty["references"], "/empty_answer/references"),
                empty.get("summary", ""),
            )
            if empty
            else None
        )
        if empty_answer is not None and empty_answer.code in {a["code"] for a in d["alerts"]}:
            self.error(
                "duplicate-id",
                f"empty_answer code '{empty_answer.code}' is also an alert code",
                "/empty_answer/code",
            )
        codes: dict[str, int] = {}
        for i, alert in enumerate(alerts):
            if alert.code in codes:
                self.error(
                    "duplicate-id",
                    f"alert code '{alert.code}' is used twice (first at /alerts/{codes[alert.code]})",
                    f"/alerts/{i}/code",
                )
            codes.setdefault(alert.code, i)
        hr = d["history_rules"]
        history_rules = HistoryRules(
            float(hr["adequate_trial_months"]),
            bool(hr.get("unknown_months_adequate", False)),
            frozenset(hr["failure_outcomes"]),
            frozenset(hr["intolerance_outcomes"]),
            frozenset(hr["current_outcomes"]),
            frozenset(hr.get("failure_exempt", [])),
        )
        for i, tid in enumerate(hr.get("failure_exempt", [])):
            if tid not in therapies:
                self._unknown_therapy(tid, f"/history_rules/failure_exempt/{i}", therapies)
        policy = d["policy"]
        for i, tid in enumerate(policy["always_discouraged"]):
            if tid not in therapies:
                self._unknown_therapy(tid, f"/policy/always_discouraged/{i}", therapies)
        required = []
        for i, rc in enumerate(policy["required_caveats"]):
            if rc["therapy"] not in therapies:
                self._unknown_therapy(
                    rc["therapy"], f"/policy/required_caveats/{i}/therapy", therapies
                )
            required.append((rc["therapy"], rc["caveat"], f"/policy/required_caveats/{i}"))
        messages = dict(d["messages"])
        self._check_messages(messages)
        return Pathway(
            source=self.source,
            metadata=metadata,
            references=references,
            therapies=therapies,
            facts=facts,
            tree=tree,
            alerts=alerts,
            history_rules=history_rules,
            evidence_bonus={k: float(v) for k, v in d["ranking"]["evidence_bonus"].items()},
            preferred_at=float(d["ranking"]["preferred_at"]),
            always_discouraged=frozenset(policy["always_discouraged"]),
            required_caveats=tuple(required),
            messages=messages,
            fields=profile_fields(),
            aliases=aliases,
            checks=checks,
            empty_answer=empty_answer,
            criteria_file=d.get("classification_criteria"),
            data=d,
        )

    def _checks(self, raw: list[dict[str, Any]]) -> dict[str, CheckSpec]:
        fields = profile_fields()
        checks: dict[str, CheckSpec] = {}
        ids: dict[str, int] = {}
        for i, c in enumerate(raw):
            spec = fields.get(c["field"])
            if spec is None:
                guess = did_you_mean(str(c["field"]), fields)
                self.error(
                    "unknown-field",
                    f"unknown field '{c['field']}'"
                    + (f" (did you mean {guess}?)" if guess else ""),
                    f"/checks/{i}/field",
                )
                continue
            if c["id"] in ids:
                self.error(
                    "duplicate-id",
                    f"check id '{c['id']}' is used twice (first at /checks/{ids[c['id']]})",
                    f"/checks/{i}/id",
                )
            ids.setdefault(c["id"], i)
            if spec.pointer in checks:
                self.error(
                    "duplicate-id",
                    f"field {c['field']} is asked twice in checks",
                    f"/checks/{i}/field",
                )
                continue
            checks[spec.pointer] = CheckSpec(
                c["id"],
                spec.pointer,
                c["ask"],
                self.refs(c.get("references"), f"/checks/{i}/references"),
                i,
                c.get("label", ""),
            )
        return checks

    def _therapy(self, tid: str, raw: dict[str, Any], order: int) -> Therapy:
        here = f"/therapies/{tid}"
        rules: dict[str, list[SafetyRule]] = {"contraindications": [], "cautions": []}
        for kind in rules:
            ids: set[str] = set()
            for i, r in enumerate(raw.get(kind, [])):
                at = f"{here}/{kind}/{i}"
                if r["id"] in ids:
                    self.error(
                        "duplicate-id",
                        f"rule id '{r['id']}' is used twice in {tid} {kind}",
                        f"{at}/id",
                    )
                ids.add(r["id"])
                rules[kind].append(
                    SafetyRule(
                        tid,
                        r["id"],
                        kind.rstrip("s"),
                        self.condition(r["when"], f"{at}/when"),
                        r["reason"] if kind == "contraindications" else r["caveat"],
                        float(r.get("penalty", 0)),
                        self.refs(r["references"], f"{at}/references"),
                        at,
                        r.get("max_tier"),
                    )
                )
        caveats = tuple(
            Caveat(
                c["code"],
                c["text"],
                self.refs(c.get("references"), f"{here}/caveats/{i}/references"),
            )
            for i, c in enumerate(raw["caveats"])
        )
        context = tuple(
            ContextEvidence(
                self.condition(c["when"], f"{here}/evidence_in_context/{i}/when"),
                c["evidence"],
                self.refs(c["references"], f"{here}/evidence_in_context/{i}/references"),
            )
            for i, c in enumerate(raw.get("evidence_in_context", []))
        )
        current_when = (
            self.condition(raw["current_when"], f"{here}/current_when")
            if "current_when" in raw
            else None
        )
        adequate = raw.get("adequate_trial")
        adequate_months = None
        adequate_refs: tuple[str, ...] = ()
        if adequate is not None:
            adequate_months = (
                float(adequate["months"])
                if "months" in adequate
                else float(adequate["weeks"]) * 12 / 52
            )
            adequate_refs = self.refs(adequate["references"], f"{here}/adequate_trial/references")
        return Therapy(
            id=tid,
            name=raw["name"],
            klass=raw["class"],
            aliases=tuple(raw.get("aliases", [])),
            evidence=raw["evidence"],
            references=self.refs(raw["references"], f"{here}/references"),
            caveats=caveats,
            contraindications=tuple(rules["contraindications"]),
            cautions=tuple(rules["cautions"]),
            order=order,
            evidence_note=raw.get("evidence_note", ""),
            evidence_in_context=context,
            tier=raw.get("tier"),
            notes=raw.get("notes", ""),
            current_when=current_when,
            pointer=here,
            adequate_months=adequate_months,
            adequate_basis=adequate["basis"] if adequate else "",
            adequate_references=adequate_refs,
            retreat_on_partial=bool(raw.get("retreat_on_partial", False)),
            short_name=raw.get("short_name", ""),
        )

    def _aliases(self, raw_therapies: dict[str, Any]) -> dict[str, str]:
        aliases: dict[str, str] = {}
        for tid in raw_therapies:
            aliases[_normal(tid)] = tid
        for tid, raw in raw_therapies.items():
            for i, alias in enumerate(raw.get("aliases", [])):
                key = _normal(alias)
                owner = aliases.get(key)
                if owner is not None and owner != tid:
                    self.error(
                        "duplicate-alias",
                        f"alias '{alias}' already names {owner}",
                        f"/therapies/{tid}/aliases/{i}",
                    )
                    continue
                aliases[key] = tid
        return aliases

    def _unknown_therapy(self, tid: str, pointer: str, therapies: Mapping[str, Therapy]) -> None:
        guess = did_you_mean(tid, therapies)
        self.error(
            "unknown-therapy",
            f"unknown therapy '{tid}'" + (f" (did you mean {guess}?)" if guess else ""),
            pointer,
        )

    def _node(
        self,
        raw: dict[str, Any],
        pointer: str,
        seen: dict[str, str],
        therapies: Mapping[str, Therapy],
    ) -> Node:
        nid = raw["id"]
        if nid in seen:
            self.error(
                "duplicate-id",
                f"node id '{nid}' is used twice (first at {seen[nid]})",
                f"{pointer}/id",
            )
        seen.setdefault(nid, pointer)
        has_condition = "when" in raw
        when = self.condition(raw["when"], f"{pointer}/when") if has_condition else Always()
        options = []
        for i, o in enumerate(raw.get("options", [])):
            at = f"{pointer}/options/{i}"
            members = o["therapies"] if "therapies" in o else [o["therapy"]]
            where = f"{at}/therapies" if "therapies" in o else f"{at}/therapy"
            known = []
            for j, tid in enumerate(members):
                if tid not in therapies:
                    self._unknown_therapy(
                        tid, f"{where}/{j}" if "therapies" in o else where, therapies
                    )
                else:
                    known.append(tid)
            if not known:
                continue
            known.sort(key=lambda t: therapies[t].order)
            reasons_for = tuple(
                (self.condition(r["when"], f"{at}/reasons_for/{j}/when"), r["reason"])
                for j, r in enumerate(o.get("reasons_for", []))
            )
            studied = o.get("studied_in")
            studied_in = (
                Population(
                    self.condition(studied["when"], f"{at}/studied_in/when"), studied["note"]
                )
                if studied
                else None
            )
            options.append(
                OptionSpec(
                    tuple(known),
                    float(o["weight"]),
                    o["reason"],
                    o.get("evidence"),
                    self.refs(o.get("references"), f"{at}/references"),
                    o.get("max_tier"),
                    tuple(o.get("caveats", [])),
                    at,
                    reasons_for,
                    studied_in,
                )
            )
        caps = []
        for i, c in enumerate(raw.get("caps", [])):
            ids = None
            if c["therapies"] != "all":
                for j, tid in enumerate(c["therapies"]):
                    if tid not in therapies:
                        self._unknown_therapy(tid, f"{pointer}/caps/{i}/therapies/{j}", therapies)
                ids = frozenset(c["therapies"])
            caps.append(
                Cap(
                    ids,
                    c["max_tier"],
                    c["caveat"],
                    self.refs(c.get("references"), f"{pointer}/caps/{i}/references"),
                )
            )
        children = tuple(
            self._node(child, f"{pointer}/children/{i}", seen, therapies)
            for i, child in enumerate(raw.get("children", []))
        )
        return Node(
            nid, raw["title"], when, has_condition, tuple(options), tuple(caps), children, pointer
        )

    def _check_fact_cycles(self, facts: Mapping[str, Fact]) -> None:
        uses = {
            name: {c.name for c in fact.when.walk() if isinstance(c, FactRef)}
            for name, fact in facts.items()
        }
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str, path: list[str]) -> None:
            if state.get(name) == 2:
                return
            if state.get(name) == 1:
                cycle = [*path[path.index(name) :], name]
                self.error(
                    "fact-cycle",
                    "facts refer to each other in a cycle: " + " -> ".join(cycle),
                    f"/facts/{name}/when",
                )
                return
            state[name] = 1
            for used in sorted(uses.get(name, ())):
                if used in uses:
                    visit(used, [*path, name])
            state[name] = 2

        for name in facts:
            visit(name, [])

    def _check_messages(self, messages: dict[str, str]) -> None:
        allowed = {
            "intolerance": {"after"},
            "failure": {"outcome", "months"},
            "continue_current": {"names"},
            "already_current": {"names"},
            "member_excluded": {"name", "reason"},
            "not_recorded": {"fields", "reason"},
            "current_contraindicated": {"name", "reason"},
            "taking_working": {"outcome", "months"},
            "taking_contraindicated": {"reason"},
            "taking_failed": {"outcome", "months"},
            "taking_window": {"outcome", "months", "adequate"},
            "taking_retreat": {"outcome", "months"},
            "taking_continue": {"outcome", "months"},
            "extrapolated": {"reason", "note"},
        }
        for key, text in messages.items():
            try:
                used = {f for _, f, _, _ in _template_fields(text) if f}
            except ValueError as exc:
                self.error(
                    "bad-message",
                    f"message '{key}' is not a valid template: {exc}",
                    f"/messages/{key}",
                )
                continue
            unknown = used - allowed.get(key, set())
            if unknown:
                self.error(
                    "bad-message",
                    f"message '{key}' uses unknown fields {sorted(unknown)}; it may use {sorted(allowed.get(key, set()))}",
                    f"/messages/{key}",
                )
