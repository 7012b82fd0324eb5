"""Conditions: the closed vocabulary in which the pathway asks about a patient.

A condition is YAML data, never code. Its forms:

``{all: [...]}``, ``{any: [...]}``, ``{not: ...}``
    combinators;
``{fact: NAME}``
    a named condition from the pathway's ``facts`` (juvenile, refractory...);
``{field: PATH, OP: OPERAND}``
    a test on one profile field, ``PATH`` dotted as in the profile
    (``safety.pregnancy``), ``OP`` one of the operators in ``OPERATORS``;
``{history: {therapy: [...], outcome: [...], adequate: BOOL, current: BOOL, failed: BOOL, at_least: N}}``
    some recorded history entry matches every test given (``failed``: the
    history rules count it as failed or not tolerated; ``at_least``: that many
    different therapies match);
``{current: [THERAPY, ...]}``
    the patient currently takes one of these therapies;
``{classification: [CATEGORY, ...]}``
    the classification criteria (the table the pathway names) place the
    recorded items in one of these categories whatever the unrecorded ones are
    (false without a ``classification`` section).

Every condition is compiled when the pathway is loaded, so an unknown field,
operator, value, fact or therapy is an error with its location then, never
a surprise while walking.

Evaluation is three-valued. A test on an absent field is *unknown* (``None``),
never false: the profile's absence means "not known". Each result also
carries the JSON pointers of the absent fields that could change it, which
become the record's ``missing`` list. Two leaf modifiers say what absence
means where the pathway knows better:

``if_absent: true|false``
    assume this answer when the field is absent; the field is still listed
    as missing (the assumption is visible);
``not_asked_when: CONDITION``
    when the field is absent and this holds, the answer is false and nothing
    is missing (pregnancy status is not asked of a male patient);
``ask: false`` (with ``if_absent``)
    absence is itself an answer here, so the field is not listed as missing
    (no prophylaxis recorded: assume none is in place, and say nothing).

History tests may count: ``{history: {..., at_least: N}}`` holds when N
different therapies have a matching entry (three failed agents). Each
therapy's adequate-trial length comes from the catalogue (rituximab's from
its trial's time to improvement), 3 months otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

from .problems import Problem, did_you_mean, join_pointer

Truth = bool | None
Result = tuple[Truth, frozenset[str]]
EMPTY: Final[frozenset[str]] = frozenset()


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


TRUE: Final[Result] = (True, EMPTY)
FALSE: Final[Result] = (False, EMPTY)
UNKNOWN: Final[Result] = (None, EMPTY)

ABSENT: Final = _Sentinel("ABSENT")
"""The profile does not record this field."""

UNASSIGNED: Final = _Sentinel("UNASSIGNED")
"""Used by the linter's search: the field has not been decided yet."""

NOT_KNOWN: Final = "unknown"
"""A profile value (sex, hepatitis B, tuberculosis, TPMT) that means "not known":
conditions read it exactly as an absent field."""


# --------------------------------------------------------------------------
# Fields: what a condition may ask about, read from the profile schema.


class FieldSpec(NamedTuple):
    """One profile field a condition can test."""

    path: str  # dotted: safety.pregnancy
    pointer: str  # /safety/pregnancy
    title: str
    kind: str  # enum | boolean | number | integer | string | list | object
    values: tuple[Any, ...] = ()  # enum values, or item values of a list field
    minimum: float | None = None
    maximum: float | None = None
    order: int = 0


def fields_from_schema(schema: Mapping[str, Any]) -> dict[str, FieldSpec]:
    """Every testable field of the profile schema, in schema order."""
    found: dict[str, FieldSpec] = {}

    def resolve(node: Mapping[str, Any]) -> Mapping[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = schema
            for part in ref[2:].split("/"):
                target = target[part]
            merged = dict(target)
            merged.update({k: v for k, v in node.items() if k != "$ref"})
            return merged
        return node

    def walk(props: Mapping[str, Any], prefix: list[str]) -> None:
        for name, raw in props.items():
            sub = resolve(raw)
            parts = [*prefix, name]
            path = ".".join(parts)
            title = str(sub.get("title", name.replace("_", " ")))
            kind, values = _kind(sub, resolve)
            if path == "history":
                kind = "history"
            found[path] = FieldSpec(
                path,
                join_pointer(parts),
                title,
                kind,
                values,
                sub.get("minimum"),
                sub.get("maximum"),
                len(found),
            )
            if kind == "object":
                walk(sub.get("properties", {}), parts)

    walk(schema.get("properties", {}), [])
    return found


def _kind(
    sub: Mapping[str, Any], resolve: Callable[[Mapping[str, Any]], Mapping[str, Any]]
) -> tuple[str, tuple[Any, ...]]:
    if "enum" in sub:
        return "enum", tuple(sub["enum"])
    if "const" in sub:
        return "enum", (sub["const"],)
    kind = sub.get("type")
    if kind == "array":
        items = resolve(sub.get("items", {}))
        return "list", tuple(items.get("enum", ()))
    if kind in ("boolean", "number", "integer", "string", "object"):
        return str(kind), ()
    return "string", ()


# --------------------------------------------------------------------------
# The evaluation context.


class HistoryItem(NamedTuple):
    """One history entry as conditions see it (therapy already resolved to an id)."""

    position: int  # index in the profile's history list
    therapy: str
    months: float | None
    outcome: str | None
    current: bool


class FailureRules(NamedTuple):
    """What the pathway's history rules count as a failed or not tolerated therapy."""

    failures: frozenset[str]  # outcomes that fail after an adequate trial
    intolerances: frozenset[str]
    exempt: frozenset[str]  # therapies a failure does not rule out
    retreat: frozenset[str]  # course-based therapies: a partial response is not a failure


class Context:
    """What conditions read: one patient's fields, history, and the named facts."""

    __slots__ = (
        "_facts",
        "_memo",
        "adequate_by_therapy",
        "adequate_months",
        "classified",
        "current",
        "failure",
        "has_history",
        "history",
        "unknown_months_adequate",
        "values",
    )

    def __init__(
        self,
        values: Mapping[str, Any],
        history: tuple[HistoryItem, ...],
        has_history: bool,
        facts: Mapping[str, Condition],
        adequate_months: float,
        unknown_months_adequate: bool,
        current: Mapping[str, Result] | None = None,
        adequate_by_therapy: Mapping[str, float] | None = None,
    ) -> None:
        self.values = values
        self.history = history
        self.has_history = has_history
        self._facts = facts
        self._memo: dict[str, Result] = {}
        self.adequate_months = adequate_months
        self.unknown_months_adequate = unknown_months_adequate
        self.current: Mapping[str, Result] = current or {}
        self.adequate_by_therapy: Mapping[str, float] = adequate_by_therapy or {}
        self.failure: FailureRules | None = None  # what the history rules call failed
        self.classified: Any = None  # the classification criteria's answer, once asked

    def adequate(self, therapy: str) -> float:
        """Months that make an adequate trial of ``therapy``."""
        return self.adequate_by_therapy.get(therapy, self.adequate_months)

    def value(self, path: str) -> Any:
        return self.values.get(path, ABSENT)

    def fact(self, name: str) -> Result:
        result = self._memo.get(name)
        if result is None:
            result = self._memo[name] = self._facts[name].evaluate(self)
        return result


# --------------------------------------------------------------------------
# Compiled conditions.


class Condition:
    """A compiled condition: evaluate it, say it in words, list what it reads."""

    __slots__ = ()

    def evaluate(self, ctx: Context) -> Result:
        raise NotImplementedError

    def words(self) -> str:
        raise NotImplementedError

    def children(self) -> tuple[Condition, ...]:
        return ()

    def walk(self) -> Iterator[Condition]:
        yield self
        for child in self.children():
            yield from child.walk()


class Always(Condition):
    __slots__ = ()

    def evaluate(self, ctx: Context) -> Result:
        return True, EMPTY

    def words(self) -> str:
        return "always"


class All(Condition):
    __slots__ = ("items",)

    def __init__(self, items: tuple[Condition, ...]) -> None:
        self.items = items

    def evaluate(self, ctx: Context) -> Result:
        # Kleene AND; the missing fields kept are those that could change the answer
        false = unknown = False
        missing: frozenset[str] | None = None
        for item in self.items:
            value, item_missing = item.evaluate(ctx)
            if value is False:
                if not item_missing:
                    return FALSE  # decided: nothing else could change it
                false = True
            elif value is None:
                unknown = True
            if item_missing:
                missing = item_missing if missing is None else missing | item_missing
        if missing is None:
            return FALSE if false else (UNKNOWN if unknown else TRUE)
        return (False if false else (None if unknown else True)), missing

    def words(self) -> str:
        return " and ".join(_grouped(item) for item in self.items)

    def children(self) -> tuple[Condition, ...]:
        return self.items


class AnyOf(Condition):
    __slots__ = ("items",)

    def __init__(self, items: tuple[Condition, ...]) -> None:
        self.items = items

    def evaluate(self, ctx: Context) -> Result:
        # Kleene OR, the mirror of All
        true = unknown = False
        missing: frozenset[str] | None = None
        for item in self.items:
            value, item_missing = item.evaluate(ctx)
            if value is True:
                if not item_missing:
                    return TRUE
                true = True
            elif value is None:
                unknown = True
            if item_missing:
                missing = item_missing if missing is None else missing | item_missing
        if missing is None:
            return TRUE if true else (UNKNOWN if unknown else FALSE)
        return (True if true else (None if unknown else False)), missing

    def words(self) -> str:
        return " or ".join(_grouped(item) for item in self.items)

    def children(self) -> tuple[Condition, ...]:
        return self.items


class Not(Condition):
    __slots__ = ("item",)

    def __init__(self, item: Condition) -> None:
        self.item = item

    def evaluate(self, ctx: Context) -> Result:
        value, missing = self.item.evaluate(ctx)
        if not missing:
            return UNKNOWN if value is None else (FALSE if value else TRUE)
        return (None if value is None else not value), missing

    def words(self) -> str:
        inner = self.item
        if isinstance(inner, Leaf):
            return inner.words(negated=True)
        return f"not {_grouped(inner)}"

    def children(self) -> tuple[Condition, ...]:
        return (self.item,)


class FactRef(Condition):
    __slots__ = ("name", "title")

    def __init__(self, name: str, title: str) -> None:
        self.name = name
        self.title = title

    def evaluate(self, ctx: Context) -> Result:
        result = ctx._memo.get(self.name)
        if result is None:
            result = ctx._memo[self.name] = ctx._facts[self.name].evaluate(ctx)
        return result

    def words(self) -> str:
        return self.title


def _union(results: list[Result]) -> frozenset[str]:
    missing = [m for _, m in results if m]
    if not missing:
        return EMPTY
    if len(missing) == 1:
        return missing[0]
    return frozenset().union(*missing)


def _grouped(item: Condition) -> str:
    text = item.words()
    return f"({text})" if isinstance(item, (All, AnyOf)) and len(item.items) > 1 else text


# Leaf operators: name -> (test, words, kinds it applies to, operand shape).
def _op_equals(value: Any, operand: Any) -> bool:
    return bool(value == operand) and isinstance(value, bool) == isinstance(operand, bool)


def _op_in(value: Any, operand: frozenset[Any]) -> bool:
    return value in operand


def _op_contains(value: Any, operand: Any) -> bool:
    return operand in value


def _op_contains_any(value: Any, operand: frozenset[Any]) -> bool:
    return any(v in operand for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Operator(NamedTuple):
    name: str
    test: Callable[[Any, Any], bool]
    kinds: frozenset[str]
    operand: str  # value | values | number | boolean
    words: str
    negated_words: str


OPERATORS: Final[dict[str, Operator]] = {
    op.name: op
    for op in (
        Operator(
            "equals",
            _op_equals,
            frozenset({"enum", "boolean", "number", "integer", "string"}),
            "value",
            "is {}",
            "is not {}",
        ),
        Operator(
            "in",
            _op_in,
            frozenset({"enum", "string", "number", "integer"}),
            "values",
            "is {}",
            "is not {}",
        ),
        Operator(
            "contains",
            _op_contains,
            frozenset({"list"}),
            "value",
            "includes {}",
            "does not include {}",
        ),
        Operator(
            "contains_any",
            _op_contains_any,
            frozenset({"list"}),
            "values",
            "includes {}",
            "includes none of {}",
        ),
        Operator(
            "at_least",
            lambda v, n: _number(v) and v >= n,
            frozenset({"number", "integer"}),
            "number",
            "is at least {}",
            "is below {}",
        ),
        Operator(
            "at_most",
            lambda v, n: _number(v) and v <= n,
            frozenset({"number", "integer"}),
            "number",
            "is at most {}",
            "is above {}",
        ),
        Operator(
            "less_than",
            lambda v, n: _number(v) and v < n,
            frozenset({"number", "integer"}),
            "number",
            "is below {}",
            "is at least {}",
        ),
        Operator(
            "more_than",
            lambda v, n: _number(v) and v > n,
            frozenset({"number", "integer"}),
            "number",
            "is above {}",
            "is at most {}",
        ),
    )
}
LEAF_KEYS: Final = frozenset({"field", "if_absent", "not_asked_when", "ask", "present", *OPERATORS})


class Leaf(Condition):
    __slots__ = (
        "ask",
        "field",
        "if_absent",
        "missing",
        "not_asked_when",
        "op",
        "operand",
        "spec",
        "test",
        "when_absent",
    )

    def __init__(
        self,
        spec: FieldSpec,
        op: Operator,
        operand: Any,
        if_absent: bool | None,
        not_asked_when: Condition | None,
        ask: bool = True,
    ) -> None:
        self.spec = spec
        self.field = spec.path
        self.op = op
        self.operand = frozenset(operand) if op.operand == "values" else operand
        self.if_absent = if_absent
        self.not_asked_when = not_asked_when
        self.ask = ask
        self.missing = frozenset({spec.pointer}) if ask else EMPTY
        self.test = _specialise(op.name, self.operand)
        # most absent fields need no second condition: their answer is fixed
        self.when_absent: Result | None = (
            None
            if not_asked_when is not None
            else (None, self.missing)
            if if_absent is None
            else (if_absent, self.missing)
        )

    def evaluate(self, ctx: Context) -> Result:
        value = ctx.values.get(self.field, ABSENT)
        if value is ABSENT:
            fixed = self.when_absent
            return self._absent(ctx) if fixed is None else fixed
        if value is UNASSIGNED:
            return UNKNOWN
        return TRUE if self.test(value) else FALSE

    def _absent(self, ctx: Context) -> Result:
        """Absent where ``not_asked_when`` may excuse it (without one: ``when_absent``)."""
        excused = self.not_asked_when
        assert excused is not None
        asked, asked_missing = excused.evaluate(ctx)
        if asked is True and not asked_missing:
            return False, EMPTY
        if self.if_absent is None:
            return None, self.missing | asked_missing
        return self.if_absent, self.missing

    def words(self, negated: bool = False) -> str:
        template = self.op.negated_words if negated else self.op.words
        text = f"{self.spec.title} {template.format(_operand_words(self.operand, self.op))}"
        if self.if_absent is not None:
            assumed = "so" if self.if_absent != negated else "not"
            text += f" (assumed {assumed} when not recorded)" if self.ask else ""
        return text

    def children(self) -> tuple[Condition, ...]:
        return (self.not_asked_when,) if self.not_asked_when is not None else ()


def _specialise(name: str, operand: Any) -> Callable[[Any], bool]:
    """The operator's test bound to its operand: one call per evaluation, in C where possible."""
    if name == "in":
        contains: Callable[[Any], bool] = operand.__contains__
        return lambda value: isinstance(value, (str, int, float)) and contains(value)
    if name == "contains":
        return lambda value: operand in value
    if name == "contains_any":
        disjoint = operand.isdisjoint
        return lambda value: not disjoint(value)
    test = OPERATORS[name].test
    return lambda value: test(value, operand)


class Present(Condition):
    """``{field: X, present: true|false}``: never unknown, but absence is reported."""

    __slots__ = ("field", "missing", "spec", "want")

    def __init__(self, spec: FieldSpec, want: bool) -> None:
        self.spec = spec
        self.field = spec.path
        self.want = want
        self.missing = frozenset({spec.pointer})

    def evaluate(self, ctx: Context) -> Result:
        value = ctx.values.get(self.field, ABSENT)
        if value is UNASSIGNED:
            return None, EMPTY
        if value is ABSENT:
            return (not self.want), self.missing
        return self.want, EMPTY

    def words(self, negated: bool = False) -> str:
        recorded = self.want != negated
        return f"{self.spec.title} is {'recorded' if recorded else 'not recorded'}"


class HistoryMatch(Condition):
    """Some recorded history entry matches every given test."""

    __slots__ = (
        "adequate",
        "at_least",
        "current",
        "failed",
        "outcomes",
        "therapies",
        "therapy_names",
    )

    def __init__(
        self,
        therapies: frozenset[str] | None,
        therapy_names: tuple[str, ...],
        outcomes: frozenset[str] | None,
        adequate: bool | None,
        current: bool | None,
        at_least: int = 1,
        failed: bool | None = None,
    ) -> None:
        self.failed = failed
        self.therapies = therapies
        self.therapy_names = therapy_names
        self.outcomes = outcomes
        self.adequate = adequate
        self.current = current
        self.at_least = at_least  # how many different therapies must match

    def entry(self, item: HistoryItem, ctx: Context) -> Result:
        if self.therapies is not None and item.therapy not in self.therapies:
            return False, EMPTY
        if self.failed is not None:
            value, missing = _failed(item, ctx)
            if value is not None and value != self.failed:
                return False, EMPTY
            if value is None:
                return None, missing
        if self.outcomes is not None and item.outcome not in self.outcomes:
            return False, EMPTY
        if self.current is not None and item.current != self.current:
            return False, EMPTY
        if self.adequate is not None:
            if item.months is None:
                missing = frozenset({f"/history/{item.position}/months"})
                if ctx.unknown_months_adequate:
                    return self.adequate, missing
                return None, missing
            if (item.months >= ctx.adequate(item.therapy)) != self.adequate:
                return False, EMPTY
        return True, EMPTY

    def matching(self, ctx: Context) -> list[HistoryItem]:
        return [item for item in ctx.history if self.entry(item, ctx)[0] is True]

    def evaluate(self, ctx: Context) -> Result:
        if not ctx.has_history:
            return False, _HISTORY_MISSING
        results = [self.entry(item, ctx) for item in ctx.history]
        if self.at_least > 1:
            return self._count(ctx, results)
        for value, missing in results:
            if value is True and not missing:
                return True, EMPTY
        missing_all = _union(results)
        if any(v is True for v, _ in results):
            return True, missing_all
        if any(v is None for v, _ in results):
            return None, missing_all
        return False, missing_all

    def _count(self, ctx: Context, results: list[Result]) -> Result:
        """At least N different therapies match: decided, unknown, or not."""
        sure: set[str] = set()
        maybe: set[str] = set()
        for item, (value, missing) in zip(ctx.history, results, strict=True):
            if value is True and not missing:
                sure.add(item.therapy)
            elif value is not False or missing:
                maybe.add(item.therapy)
        missing_all = _union(results)
        if len(sure) >= self.at_least:
            return True, EMPTY
        if len(sure | maybe) >= self.at_least:
            return None, missing_all
        return False, missing_all

    def words(self, negated: bool = False) -> str:
        parts = []
        if self.therapy_names:
            parts.append(" or ".join(self.therapy_names))
        else:
            parts.append("any therapy")
        if self.outcomes:
            parts.append("with " + " or ".join(sorted(o.replace("_", " ") for o in self.outcomes)))
        if self.adequate is True:
            parts.append("after an adequate trial")
        elif self.adequate is False:
            parts.append("after a trial shorter than adequate")
        if self.current is True:
            parts.append("still taken")
        elif self.current is False:
            parts.append("since stopped")
        if self.failed is True:
            parts.append("failed or not tolerated")
        elif self.failed is False:
            parts.append("not failed")
        if self.at_least > 1:
            parts.insert(0, f"at least {self.at_least} different therapies among")
        text = "history records " + " ".join(parts)
        return f"not ({text})" if negated else text


_HISTORY_MISSING: Final = frozenset({"/history"})


def _failed(item: HistoryItem, ctx: Context) -> Result:
    """Whether the history rules count this entry as a failed or not tolerated therapy."""
    rules = ctx.failure
    if rules is None or item.therapy in rules.exempt:
        return False, EMPTY
    if item.outcome in rules.intolerances:
        return True, EMPTY
    if item.outcome not in rules.failures:
        return False, EMPTY
    if item.therapy in rules.retreat and item.outcome == "partial_response":
        return False, EMPTY
    if item.months is None:
        missing = frozenset({f"/history/{item.position}/months"})
        return (True, missing) if ctx.unknown_months_adequate else (None, missing)
    return item.months >= ctx.adequate(item.therapy), EMPTY


class CurrentTherapy(Condition):
    """The patient currently takes one of these therapies."""

    __slots__ = ("names", "therapies")

    def __init__(self, therapies: tuple[str, ...], names: tuple[str, ...]) -> None:
        self.therapies = therapies
        self.names = names

    def evaluate(self, ctx: Context) -> Result:
        results = [ctx.current.get(t, (False, _HISTORY_MISSING)) for t in self.therapies]
        for value, missing in results:
            if value is True and not missing:
                return True, EMPTY
        if any(v is True for v, _ in results):
            return True, _union(results)
        if any(v is None for v, _ in results):
            return None, _union(results)
        return False, _union(results)

    def words(self) -> str:
        return "currently taking " + " or ".join(self.names)


class ClassifiedAs(Condition):
    """The classification criteria place the recorded items in one of these categories.

    True when every completion of the unrecorded items stays in ``categories``,
    false when none can, unknown (naming the items that would decide) between.
    Without a ``classification`` section it is false: the criteria say nothing
    yet, and the pathway does not ask every patient for them.
    """

    __slots__ = ("categories", "criteria")

    def __init__(self, categories: frozenset[str], criteria: Callable[[], Any]) -> None:
        self.categories = categories
        self.criteria = criteria  # loads the table on first use

    def evaluate(self, ctx: Context) -> Result:
        if not isinstance(ctx.values.get("classification"), Mapping):
            return False, EMPTY
        result = ctx.classified
        if result is None:  # an alert and its details may all ask: classify once per case
            from .criteria import classify

            result = ctx.classified = classify(self.criteria(), ctx.values)
        if not result.recorded_any:
            return False, EMPTY
        column = result.applicable
        reachable = set(column.category_range)
        if reachable <= self.categories:
            return True, EMPTY
        if not reachable & self.categories:
            return False, EMPTY
        return None, frozenset(f"/classification/{item}" for item in column.unknown)

    def words(self) -> str:
        named = sorted(c.replace("_", " ").replace("not iim", "not IIM") for c in self.categories)
        return "the recorded classification items score " + " or ".join(named)


CATEGORY_NAMES: Final = ("not_iim", "possible", "probable", "definite")


def _operand_words(operand: Any, op: Operator) -> str:
    if isinstance(operand, frozenset):
        items = sorted(operand, key=str)
        words = [_value_words(v) for v in items]
        if op.name == "contains_any":
            return "any of " + ", ".join(words)
        return words[0] if len(words) == 1 else "one of " + ", ".join(words)
    return _value_words(operand)


def _value_words(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).replace("_", " ")


# --------------------------------------------------------------------------
# Compiling.


@dataclass
class Environment:
    """What a condition may name: fields, facts, therapies, history outcomes."""

    fields: Mapping[str, FieldSpec]
    fact_titles: Mapping[str, str]
    therapies: Mapping[str, str]  # id -> display name
    outcomes: tuple[str, ...]
    problems: list[Problem] = field(default_factory=list)
    facts_used: set[str] = field(default_factory=set)
    criteria: Callable[[], Any] | None = None  # the classification table, loaded on first use

    def error(self, rule: str, message: str, pointer: str) -> None:
        self.problems.append(Problem("pathway", message, pointer, rule=rule))


def compile_condition(raw: Any, pointer: str, env: Environment) -> Condition:
    """Compile YAML data into a Condition, recording problems in ``env``.

    Compiling never raises for a mistake in the data: it records a located
    problem and returns ``Always()`` in its place, so that one pass reports
    every mistake of a pathway.
    """
    if not isinstance(raw, dict):
        env.error(
            "bad-condition", f"a condition must be a mapping, got {type(raw).__name__}", pointer
        )
        return Always()
    keys = set(raw)
    if "all" in raw or "any" in raw:
        name = "all" if "all" in raw else "any"
        if len(keys) != 1:
            env.error(
                "bad-condition",
                f"'{name}' must stand alone in its mapping; found also {sorted(keys - {name})}",
                pointer,
            )
        items = raw[name]
        if not isinstance(items, list) or not items:
            env.error(
                "bad-condition",
                f"'{name}' takes a non-empty list of conditions",
                f"{pointer}/{name}",
            )
            return Always()
        compiled = tuple(
            compile_condition(x, f"{pointer}/{name}/{i}", env) for i, x in enumerate(items)
        )
        return All(compiled) if name == "all" else AnyOf(compiled)
    if "not" in raw:
        if len(keys) != 1:
            env.error(
                "bad-condition",
                f"'not' must stand alone in its mapping; found also {sorted(keys - {'not'})}",
                pointer,
            )
        return Not(compile_condition(raw["not"], f"{pointer}/not", env))
    if "fact" in raw:
        name = raw["fact"]
        if len(keys) != 1:
            env.error(
                "bad-condition",
                f"'fact' must stand alone in its mapping; found also {sorted(keys - {'fact'})}",
                pointer,
            )
        if name not in env.fact_titles:
            guess = did_you_mean(str(name), env.fact_titles)
            env.error(
                "unknown-fact",
                f"unknown fact '{name}'" + (f" (did you mean {guess}?)" if guess else ""),
                f"{pointer}/fact",
            )
            return Always()
        env.facts_used.add(name)
        return FactRef(name, env.fact_titles[name])
    if "history" in raw:
        return _compile_history(raw, pointer, env)
    if "current" in raw:
        if len(keys) != 1:
            env.error("bad-condition", "'current' must stand alone in its mapping", pointer)
        ids = _therapy_list(raw["current"], f"{pointer}/current", env)
        return CurrentTherapy(ids, tuple(env.therapies.get(t, t) for t in ids))
    if "field" in raw:
        return _compile_leaf(raw, pointer, env)
    if "classification" in raw:
        return _compile_classification(raw, pointer, env)
    known = ["all", "any", "not", "fact", "field", "history", "current", "classification"]
    first = next(iter(keys), "")
    guess = did_you_mean(str(first), known)
    env.error(
        "unknown-operator",
        f"unknown condition form {sorted(keys)}"
        + (f" (did you mean {guess}?)" if guess else f"; expected one of: {', '.join(known)}"),
        pointer,
    )
    return Always()


def _compile_classification(raw: dict[str, Any], pointer: str, env: Environment) -> Condition:
    here = f"{pointer}/classification"
    if len(raw) != 1:
        env.error("bad-condition", "'classification' must stand alone in its mapping", pointer)
    wanted = raw["classification"]
    if not isinstance(wanted, list) or not wanted:
        env.error("bad-condition", "'classification' takes a list of categories", here)
        return Always()
    for i, name in enumerate(wanted):
        if name not in CATEGORY_NAMES:
            guess = did_you_mean(str(name), CATEGORY_NAMES)
            env.error(
                "bad-value",
                f"unknown category '{name}'"
                + (
                    f" (did you mean {guess}?)"
                    if guess
                    else f"; expected {', '.join(CATEGORY_NAMES)}"
                ),
                f"{here}/{i}",
            )
            return Always()
    if env.criteria is None:
        env.error("bad-condition", "this pathway has no classification criteria table", here)
        return Always()
    return ClassifiedAs(frozenset(wanted), env.criteria)


def _compile_leaf(raw: dict[str, Any], pointer: str, env: Environment) -> Condition:
    path = raw["field"]
    spec = env.fields.get(path) if isinstance(path, str) else None
    if spec is None:
        guess = did_you_mean(str(path), env.fields)
        env.error(
            "unknown-field",
            f"unknown field '{path}'" + (f" (did you mean {guess}?)" if guess else ""),
            f"{pointer}/field",
        )
        return Always()
    unknown = set(raw) - LEAF_KEYS
    if unknown:
        for key in sorted(unknown):
            guess = did_you_mean(key, sorted(LEAF_KEYS - {"field"}))
            env.error(
                "unknown-operator",
                f"unknown operator '{key}'" + (f" (did you mean {guess}?)" if guess else ""),
                f"{pointer}/{key}",
            )
        return Always()
    ops = [k for k in raw if k in OPERATORS or k == "present"]
    if len(ops) != 1:
        env.error(
            "bad-condition",
            f"a field test takes exactly one operator ({', '.join(['present', *OPERATORS])}); found {len(ops)}",
            pointer,
        )
        return Always()
    op_name = ops[0]
    if op_name == "present":
        if not isinstance(raw["present"], bool):
            env.error("bad-condition", "'present' takes true or false", f"{pointer}/present")
        if "if_absent" in raw or "not_asked_when" in raw or "ask" in raw:
            env.error(
                "bad-condition",
                "'present' already says what absence means; drop if_absent/not_asked_when/ask",
                pointer,
            )
        return Present(spec, bool(raw["present"]))
    op = OPERATORS[op_name]
    if spec.kind not in op.kinds:
        env.error(
            "bad-value",
            f"'{op_name}' does not apply to {spec.path} ({spec.kind})",
            f"{pointer}/{op_name}",
        )
        return Always()
    operand = _check_operand(raw[op_name], op, spec, f"{pointer}/{op_name}", env)
    if_absent = raw.get("if_absent")
    if if_absent is not None and not isinstance(if_absent, bool):
        env.error("bad-condition", "'if_absent' takes true or false", f"{pointer}/if_absent")
        if_absent = None
    not_asked = None
    if "not_asked_when" in raw:
        not_asked = compile_condition(raw["not_asked_when"], f"{pointer}/not_asked_when", env)
    ask = raw.get("ask", True)
    if not isinstance(ask, bool):
        env.error("bad-condition", "'ask' takes true or false", f"{pointer}/ask")
        ask = True
    if ask is False and if_absent is None:
        env.error(
            "bad-condition",
            "'ask: false' needs 'if_absent': say what absence means when it is not asked",
            f"{pointer}/ask",
        )
        ask = True
    return Leaf(spec, op, operand, if_absent, not_asked, ask)


def _check_operand(
    operand: Any, op: Operator, spec: FieldSpec, pointer: str, env: Environment
) -> Any:
    if op.operand == "number":
        if not _number(operand):
            env.error("bad-value", f"'{op.name}' takes a number, got {operand!r}", pointer)
            return 0
        return operand
    values = operand if op.operand == "values" else [operand]
    if op.operand == "values" and (not isinstance(operand, list) or not operand):
        env.error("bad-condition", f"'{op.name}' takes a non-empty list", pointer)
        return []
    allowed = spec.values
    for i, value in enumerate(values):
        where = f"{pointer}/{i}" if op.operand == "values" else pointer
        if value == NOT_KNOWN and value in allowed:
            env.error(
                "bad-value",
                f"'{NOT_KNOWN}' is read as not recorded, so this test can never hold; "
                "say what absence means with if_absent instead",
                where,
            )
        elif allowed and value not in allowed:
            guess = did_you_mean(str(value), allowed)
            env.error(
                "bad-value",
                f"'{value}' is not a value of {spec.path}"
                + (
                    f" (did you mean {guess}?)"
                    if guess
                    else f"; expected one of: {', '.join(map(str, allowed))}"
                ),
                where,
            )
        elif spec.kind == "boolean" and not isinstance(value, bool):
            env.error("bad-value", f"{spec.path} is true or false, got {value!r}", where)
        elif spec.kind in ("number", "integer") and not _number(value):
            env.error("bad-value", f"{spec.path} is a number, got {value!r}", where)
    return operand


_HISTORY_KEYS: Final = ("therapy", "outcome", "adequate", "current", "failed", "at_least")


def _compile_history(raw: dict[str, Any], pointer: str, env: Environment) -> Condition:
    if len(raw) != 1:
        env.error("bad-condition", "'history' must stand alone in its mapping", pointer)
    spec = raw["history"]
    here = f"{pointer}/history"
    if not isinstance(spec, dict):
        env.error(
            "bad-condition", "'history' takes a mapping of tests: " + ", ".join(_HISTORY_KEYS), here
        )
        return Always()
    for key in spec:
        if key not in _HISTORY_KEYS:
            guess = did_you_mean(str(key), _HISTORY_KEYS)
            env.error(
                "unknown-operator",
                f"unknown history test '{key}'" + (f" (did you mean {guess}?)" if guess else ""),
                f"{here}/{key}",
            )
    therapies = None
    names: tuple[str, ...] = ()
    if "therapy" in spec:
        ids = _therapy_list(spec["therapy"], f"{here}/therapy", env)
        therapies = frozenset(ids)
        names = tuple(env.therapies.get(t, t) for t in ids)
    outcomes = None
    if "outcome" in spec:
        raw_outcomes = spec["outcome"] if isinstance(spec["outcome"], list) else [spec["outcome"]]
        for i, outcome in enumerate(raw_outcomes):
            if outcome not in env.outcomes:
                guess = did_you_mean(str(outcome), env.outcomes)
                env.error(
                    "bad-value",
                    f"unknown outcome '{outcome}'" + (f" (did you mean {guess}?)" if guess else ""),
                    f"{here}/outcome/{i}",
                )
        outcomes = frozenset(raw_outcomes)
    flags: dict[str, bool | None] = {}
    for key in ("adequate", "current", "failed"):
        value = spec.get(key)
        if value is not None and not isinstance(value, bool):
            env.error("bad-condition", f"'{key}' takes true or false", f"{here}/{key}")
            value = None
        flags[key] = value
    at_least = spec.get("at_least", 1)
    if isinstance(at_least, bool) or not isinstance(at_least, int) or at_least < 1:
        env.error("bad-value", "'at_least' takes a whole number of at least 1", f"{here}/at_least")
        at_least = 1
    return HistoryMatch(therapies, names, outcomes, flags["adequate"], flags["current"], at_least)


def _therapy_list(raw: Any, pointer: str, env: Environment) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else [raw]
    ids = []
    for i, item in enumerate(items):
        if item not in env.therapies:
            guess = did_you_mean(str(item), env.therapies)
            where = f"{pointer}/{i}" if isinstance(raw, list) else pointer
            env.error(
                "unknown-therapy",
                f"unknown therapy '{item}'" + (f" (did you mean {guess}?)" if guess else ""),
                where,
            )
        else:
            ids.append(str(item))
    return tuple(ids)
