"""JSON Schema validation: a compiled fast path and located, readable errors.

Valid documents are the common case in a batch, so each schema is compiled
once into plain Python predicates that answer "valid or not" without
importing jsonschema. Only a document that fails is handed to jsonschema for
the full list of errors, each turned into a message a clinician can act on
and located in the file (JSON pointer, line, column).

The compiler understands the keywords our schemas use and refuses any other,
so a schema edit can never silently weaken the fast path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

from .problems import Locator, Problem, Problems, did_you_mean, join_pointer

Predicate = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
        "$defs",
        "definitions",
        "x-order",
        "x-since",
    }
)


class SchemaCompileError(Exception):
    """The schema uses a keyword the fast path does not implement."""


# --------------------------------------------------------------------------
# JSON semantics in Python: bool is not a number, 1.0 is an integer.


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _type_test(name: str) -> Predicate:
    """``_is_type`` for one type name, decided once (a schema node's usual case)."""
    exact = _PYTHON_TYPES.get(name)
    if exact is not None:  # no other JSON type can also be one of these
        return lambda v: isinstance(v, exact)
    if name == "null":
        return lambda v: v is None
    return lambda v: _is_type(v, name)


_PYTHON_TYPES: dict[str, type] = {"string": str, "object": dict, "array": list, "boolean": bool}


def _is_type(value: Any, name: str) -> bool:
    if name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    return json_type(value) == name


def json_equal(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=False))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and bool(a == b)


# --------------------------------------------------------------------------
# The compiler.


class _Compiler:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.refs: dict[str, list[Predicate]] = {}

    def ref(self, pointer: str) -> Predicate:
        slot = self.refs.get(pointer)
        if slot is None:
            slot = self.refs[pointer] = []
            slot.append(self.compile(_resolve(self.root, pointer)))
        # late-bound: a recursive reference is compiled before it is called
        return lambda value: slot[0](value)

    def compile(self, schema: Any) -> Predicate:
        if schema is True:
            return lambda value: True
        if schema is False:
            return lambda value: False
        if not isinstance(schema, dict):
            raise SchemaCompileError(f"not a schema: {schema!r}")
        unknown = set(schema) - _KEYWORDS - _ANNOTATIONS
        if unknown:
            raise SchemaCompileError(f"unsupported keywords: {sorted(unknown)}")
        checks: list[Predicate] = []
        s = schema

        if "$ref" in s:
            checks.append(self.ref(s["$ref"]))
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if len(types) == 1:
                checks.append(_type_test(types[0]))
            else:
                checks.append(lambda v: any(_is_type(v, t) for t in types))
        if "enum" in s:
            options = s["enum"]
            if all(isinstance(o, str) for o in options):
                as_set = frozenset(options)
                checks.append(lambda v: isinstance(v, str) and v in as_set)
            else:
                checks.append(lambda v: any(json_equal(v, o) for o in options))
        if "const" in s:
            const = s["const"]
            checks.append(lambda v: json_equal(v, const))

        # numbers
        bounds: tuple[tuple[str, Callable[[Any, Any], bool]], ...] = (
            ("minimum", lambda v, b: v >= b),
            ("maximum", lambda v, b: v <= b),
            ("exclusiveMinimum", lambda v, b: v > b),
            ("exclusiveMaximum", lambda v, b: v < b),
        )
        for key, test in bounds:
            if key in s:
                checks.append(_bounded(test, s[key]))
        # strings
        if "minLength" in s:
            n = s["minLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) >= n)
        if "maxLength" in s:
            m = s["maxLength"]
            checks.append(lambda v: not isinstance(v, str) or len(v) <= m)
        if "pattern" in s:
            rx = re.compile(ecma_pattern(s["pattern"]))
            checks.append(lambda v: not isinstance(v, str) or rx.search(v) is not None)
        # arrays
        if "items" in s:
            item = self.compile(s["items"])
            checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
        if "minItems" in s:
            lo = s["minItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) >= lo)
        if "maxItems" in s:
            hi = s["maxItems"]
            checks.append(lambda v: not isinstance(v, list) or len(v) <= hi)
        if s.get("uniqueItems"):
            checks.append(lambda v: not isinstance(v, list) or _unique(v))
        # objects
        props: dict[str, Predicate] = {
            name: self.compile(sub) for name, sub in s.get("properties", {}).items()
        }
        patterns = [
            (re.compile(p), self.compile(sub)) for p, sub in s.get("patternProperties", {}).items()
        ]
        additional = s.get("additionalProperties", True)
        extra = self.compile(additional) if additional is not True else None
        if props or patterns or extra is not None:
            checks.append(
                lambda v: not isinstance(v, dict) or _object_ok(v, props, patterns, extra)
            )
        if "required" in s:
            required = tuple(s["required"])
            checks.append(lambda v: not isinstance(v, dict) or all(k in v for k in required))
        if "minProperties" in s:
            lo_p = s["minProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) >= lo_p)
        if "maxProperties" in s:
            hi_p = s["maxProperties"]
            checks.append(lambda v: not isinstance(v, dict) or len(v) <= hi_p)
        if "propertyNames" in s:
            names = self.compile(s["propertyNames"])
            checks.append(lambda v: not isinstance(v, dict) or all(names(k) for k in v))
        # combinators
        if "allOf" in s:
            subs = [self.compile(x) for x in s["allOf"]]
            checks.append(lambda v: all(f(v) for f in subs))
        if "anyOf" in s:
            any_subs = [self.compile(x) for x in s["anyOf"]]
            checks.append(lambda v: any(f(v) for f in any_subs))
        if "oneOf" in s:
            one_subs = [self.compile(x) for x in s["oneOf"]]
            checks.append(lambda v: sum(1 for f in one_subs if f(v)) == 1)
        if "not" in s:
            negated = self.compile(s["not"])
            checks.append(lambda v: not negated(v))
        if "if" in s:
            cond = self.compile(s["if"])
            then = self.compile(s.get("then", True))
            other = self.compile(s.get("else", True))
            checks.append(lambda v: then(v) if cond(v) else other(v))

        if not checks:
            return lambda value: True
        if len(checks) == 1:
            return checks[0]
        checks_t = tuple(checks)
        return lambda v: all(check(v) for check in checks_t)


_KEYWORDS = frozenset(
    {
        "$ref",
        "type",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "pattern",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "minProperties",
        "maxProperties",
        "propertyNames",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "then",
        "else",
    }
)


def _bounded(test: Callable[[Any, Any], bool], bound: Any) -> Predicate:
    return lambda v: not _is_type(v, "number") or test(v, bound)


def _object_ok(
    value: dict[str, Any],
    props: dict[str, Predicate],
    patterns: list[tuple[re.Pattern[str], Predicate]],
    extra: Predicate | None,
) -> bool:
    for key, item in value.items():
        check = props.get(key)
        matched = False
        if check is not None:
            if not check(item):
                return False
            matched = True
        for rx, pattern_check in patterns:
            if rx.search(key):
                matched = True
                if not pattern_check(item):
                    return False
        if not matched and extra is not None and not extra(item):
            return False
    return True


def _unique(items: list[Any]) -> bool:
    if all(isinstance(x, str) for x in items):
        return len(set(items)) == len(items)
    return not any(json_equal(a, b) for i, a in enumerate(items) for b in items[i + 1 :])


def _resolve(root: dict[str, Any], ref: str) -> Any:
    if not ref.startswith("#"):
        raise SchemaCompileError(f"only local references are supported: {ref}")
    node: Any = root
    for part in ref[1:].split("/")[1:] if ref != "#" else []:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def ecma_pattern(pattern: str) -> str:
    """A JSON Schema (ECMA 262) pattern as a Python regex with the same meaning.

    ECMA's ``$`` matches only at the end of the text; Python's also matches
    before a final newline, which would let ``"abc\\n"`` pass ``^[a-z]+$``.
    """
    out: list[str] = []
    escaped = in_class = False
    for char in pattern:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char == "[":
            in_class = True
            out.append(char)
        elif char == "]":
            in_class = False
            out.append(char)
        elif char == "$" and not in_class:
            out.append(r"\Z")
        else:
            out.append(char)
    return "".join(out)


def compile_schema(schema: dict[str, Any]) -> Predicate:
    """A predicate answering whether a document is valid against ``schema``."""
    return _Compiler(schema).compile(schema)


# --------------------------------------------------------------------------
# The validator.


MAX_PROBLEMS = 100  # per document; the rest are counted in one line


class Validator:
    """A schema compiled once: ``is_valid`` is fast, ``problems`` is thorough."""

    def __init__(self, schema: dict[str, Any], *, what: str = "document") -> None:
        self.schema = schema
        self.what = what
        self.is_valid: Predicate = compile_schema(schema)
        self._full: Any = None

    def __reduce__(self) -> tuple[Any, ...]:
        # the compiled predicates are closures: a validator travels as its schema
        return (_restore_validator, (self.schema, self.what))

    def _jsonschema(self) -> Any:
        if self._full is None:
            import jsonschema  # only invalid documents pay for this import

            def pattern(validator: Any, expected: str, instance: Any, schema: Any) -> Any:
                if validator.is_type(instance, "string") and not re.search(
                    ecma_pattern(expected), instance
                ):
                    yield jsonschema.ValidationError(f"{instance!r} does not match {expected!r}")

            base = jsonschema.validators.validator_for(self.schema)
            cls = jsonschema.validators.extend(base, {"pattern": pattern})
            self._full = cls(self.schema)
        return self._full

    def problems(self, data: Any, locator: Locator | None = None) -> list[Problem]:
        """Every schema problem of ``data``, in document order, one per cause.

        ``locator`` gives the text as written (``017``, ``no``) for messages
        about YAML's typing, where the source format keeps it.
        """
        found: list[Problem] = []
        seen: set[tuple[str, str]] = set()
        more = 0
        for error in self._errors(self._jsonschema(), data):
            if len(found) >= MAX_PROBLEMS:
                more += 1
                continue
            explained = self._explain(error, data, locator, MAX_PROBLEMS - len(found))
            for problem in explained:
                marker = (problem.pointer, problem.message)
                if marker not in seen:
                    seen.add(marker)
                    found.append(problem)
            more += getattr(explained, "more", 0)
        if more:
            # as compilers do: a few hundred lines help nobody, the count does
            found.append(Problem("schema", f"and {more:,} more problem(s) of this document"))
        if not found and not self.is_valid(data):
            # never an invalid document without a reason (the two paths disagree: a bug)
            found.append(Problem("schema", f"not a valid {self.what.removeprefix('a ')}"))
        return found

    def _errors(self, full: Any, data: Any) -> Iterator[Any]:
        for error in full.iter_errors(data):
            if error.validator in ("oneOf", "anyOf") and error.context:
                yield from self._best_context(error)
            else:
                yield error

    def _best_context(self, error: Any) -> Iterator[Any]:
        # of the alternatives, report the errors of the one that got furthest
        groups: dict[int, list[Any]] = {}
        for sub in error.context:
            groups.setdefault(sub.schema_path[0], []).append(sub)
        best = max(
            groups.values(), key=lambda errs: (max(len(e.absolute_path) for e in errs), -len(errs))
        )
        deepest = max(len(e.absolute_path) for e in best)
        if deepest <= len(error.absolute_path):
            yield error
            return
        for sub in best:
            if sub.validator in ("oneOf", "anyOf") and sub.context:
                yield from self._best_context(sub)
            else:
                yield sub

    def _explain(
        self, error: Any, data: Any, root: Locator | None, budget: int = MAX_PROBLEMS
    ) -> list[Problem]:
        path = list(error.absolute_path)
        pointer = join_pointer(path)
        keyword = error.validator
        value = error.instance
        schema = error.schema if isinstance(error.schema, dict) else {}

        if keyword == "additionalProperties" and isinstance(value, dict):
            known = list(schema.get("properties", {}))
            problems = Problems()
            for key in value:
                if key in known or any(
                    re.search(p, key) for p in schema.get("patternProperties", {})
                ):
                    continue
                if len(problems) >= budget:
                    problems.more += 1
                    continue
                guess = did_you_mean(str(key), known)
                hint = (
                    f" (did you mean {guess}?)"
                    if guess
                    else (f"; expected one of: {', '.join(known)}" if known else "")
                )
                problems.append(
                    Problem("schema", f"unknown key '{key}'{hint}", join_pointer([*path, key]))
                )
            return problems
        if keyword == "required":
            missing = [
                k for k in error.validator_value if isinstance(value, dict) and k not in value
            ]
            return [
                Problem("schema", f"missing required key '{k}'", pointer or "") for k in missing
            ]
        if keyword == "type":
            return [
                Problem("schema", self._type_message(schema["type"], value, path, root), pointer)
            ]
        if keyword == "enum":
            allowed = error.validator_value
            message = (
                f"expected one of: {', '.join(map(str, allowed))}; got {_show(value, path, root)}"
            )
            if isinstance(value, str):
                guess = did_you_mean(value, allowed)
                if guess:
                    message += f" (did you mean {guess}?)"
            return [Problem("schema", message, pointer)]
        if keyword == "const":
            return [
                Problem(
                    "schema",
                    f"expected {error.validator_value!r}; got {_show(value, path, root)}",
                    pointer,
                )
            ]
        if keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            words = {
                "minimum": "at least",
                "maximum": "at most",
                "exclusiveMinimum": "more than",
                "exclusiveMaximum": "less than",
            }[keyword]
            return [
                Problem(
                    "schema",
                    f"must be {words} {error.validator_value}; got {_show(value, path, root)}",
                    pointer,
                )
            ]
        if keyword in ("pattern", "minLength", "maxLength"):
            description = schema.get("description")
            title = schema.get("title", "value")
            message = f"{_show(value, path, root)} is not a valid {title}"
            if description:
                message += f": {description[0].lower()}{description[1:].rstrip('.')}"
            return [Problem("schema", message, pointer)]
        if keyword == "uniqueItems" and isinstance(value, list):
            repeated = sorted(
                {str(x) for i, x in enumerate(value) if any(json_equal(x, y) for y in value[:i])}
            )
            return [Problem("schema", f"listed more than once: {', '.join(repeated)}", pointer)]
        if keyword in ("minItems", "maxItems", "minProperties", "maxProperties"):
            return [Problem("schema", _squash_jsonschema(error.message), pointer)]
        return [Problem("schema", _squash_jsonschema(error.message), pointer)]

    def _type_message(
        self, expected: Any, value: Any, path: list[Any], root: Locator | None
    ) -> str:
        names = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_TYPE_WORDS.get(str(n), str(n)) for n in names)
        if not path and names == ["object"]:
            return f"expected a mapping ({self.what}), got {_describe(value)}"
        message = f"expected {words}, got {_show(value, path, root)}"
        if (
            ("integer" in names or "number" in names)
            and isinstance(value, str)
            and _ZERO_PADDED.match(value)
        ):
            sign = "-" if value.startswith("-") else ""
            meant = sign + (value.lstrip("+-").lstrip("0") or "0")
            return f"{message}: a zero-padded number is not read as a number; write {meant}"
        written = _written(root, path)
        if "string" in names and written is not None and not isinstance(value, str):
            message += f"; quote it to keep it as text: '{written}'"
        return message


_ZERO_PADDED = re.compile(r"^[-+]?0[0-9]+$")

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def _describe(value: Any) -> str:
    kind = json_type(value)
    return {
        "object": "a mapping",
        "array": "a list",
        "null": "nothing (null)",
    }.get(kind, f"{_TYPE_WORDS.get(kind, kind)} {_short(value)}")


def _show(value: Any, path: list[Any], root: Locator | None) -> str:
    """A value as the user wrote it, with YAML's reading of it when they differ."""
    written = _written(root, path)
    if isinstance(value, bool):
        if written is not None and written.lower() not in ("true", "false"):
            return f"{written!r} (YAML reads {written} as {str(value).lower()}; quote it)"
        return str(value).lower()
    if value is None:
        return "nothing (null)"
    if isinstance(value, (int, float)):
        if written is not None and written != _short(value):
            return f"the number {written} (read as {_short(value)})"
        return f"the number {_short(value)}"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    return _describe(value)


def _written(root: Locator | None, path: list[Any]) -> str | None:
    return root.written(path) if root is not None else None


def _short(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and math.isfinite(value):
        return str(int(value))
    text = str(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _squash_jsonschema(message: str) -> str:
    message = " ".join(message.split())
    return message[0].lower() + message[1:] if message else message


def _restore_validator(schema: dict[str, Any], what: str) -> Validator:
    return Validator(schema, what=what)
