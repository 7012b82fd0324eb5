"""Safe YAML loading for profiles and pathways alike.

Everything a hostile or careless file can do is stopped here, before any data
reaches validation: only YAML's core tags are constructed (a ``!!python/...``
tag is an error, never an object), duplicate keys are errors, timestamps stay
strings, and size, nesting depth and alias expansion are bounded. Errors carry
the line and column of the offending node.

A multi-document stream is split on its document markers before parsing, so a
syntax error in one document does not cost the documents after it their
records.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator
from typing import Any, ClassVar, NamedTuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from . import fastload
from .documents import Document
from .problems import Problem

_TAG_PREFIX = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG_PREFIX + "merge"


class Limits(NamedTuple):
    """Bounds on one input; each is overridable from the command line."""

    max_file_bytes: int = 10 * 1024 * 1024
    max_depth: int = 100
    max_alias_nodes: int = 100_000


DEFAULT_LIMITS: Limits = Limits()


def widest(*limits: Limits) -> Limits:
    """Each bound at its largest of ``limits``."""
    return Limits(*(max(bounds) for bounds in zip(*limits, strict=True)))


class LoadError(Exception):
    """A document (or a whole file) that could not be read as plain YAML data."""

    def __init__(
        self,
        kind: str,
        message: str,
        line: int | None = None,
        column: int | None = None,
        pointer: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.pointer = pointer

    def problem(self) -> Problem:
        return Problem(self.kind, self.message, self.pointer or "", self.line, self.column)


class _NodeError(yaml.YAMLError):
    """Raised while constructing: names the node so the caller can locate it."""

    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.message = message
        self.node = node


# --------------------------------------------------------------------------
# Resolver and constructor: YAML's core schema only.


class _Resolver(yaml.resolver.Resolver):
    pass


_Resolver.yaml_implicit_resolvers = fastload.RESOLVERS  # dates stay strings


def _short_tag(tag: str | None) -> str:
    if tag and tag.startswith(_TAG_PREFIX):
        return "!!" + tag[len(_TAG_PREFIX) :]
    return str(tag)


class _Constructor(yaml.constructor.SafeConstructor):
    yaml_constructors: ClassVar[dict[Any, Any]] = {}  # a fresh registry, not SafeConstructor's

    def construct_mapping(self, node: Node, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):
            raise _NodeError(f"expected a mapping, found {_node_kind(node)}", node)
        pairs = node.value
        for key_node, _ in pairs:
            if key_node.tag == _MERGE_TAG:
                # a merge can hide a duplicate (<<: {pregnancy: pregnant, pregnancy: none})
                # and silently override a field: write the keys out instead
                raise _NodeError(
                    "merge keys ('<<') are not allowed: write the keys out in full", key_node
                )
        mapping: dict[Any, Any] = {}
        for key_node, value_node in pairs:
            key = self._key(key_node)
            if key in mapping:
                _check_duplicate_keys(pairs)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping

    def _key(self, key_node: Node) -> str:
        if not isinstance(key_node, ScalarNode):
            raise _NodeError(
                f"a mapping key must be a plain string, found {_node_kind(key_node)}", key_node
            )
        key = self.construct_object(key_node)
        if not isinstance(key, str):
            raise _NodeError(
                f"key '{key_node.value}' is read as {_yaml_type_words(key)}, not a string; quote it",
                key_node,
            )
        return key

    def construct_yaml_int(self, node: ScalarNode) -> int:
        text = str(node.value)
        if _PLAIN_INT.match(text):
            if len(text) > _MAX_DIGITS:
                raise _NodeError(f"number with {len(text):,} digits is too long", node)
            return int(text)
        raise _NodeError(_yaml11_number(text, node, self), node)

    def construct_yaml_float(self, node: ScalarNode) -> float:
        text = str(node.value)
        if not _PLAIN_FLOAT.match(text) and not _SPECIAL_FLOAT.match(text):
            raise _NodeError(_yaml11_number(text, node, self), node)
        if len(text) > _MAX_DIGITS:
            raise _NodeError(f"number with {len(text):,} digits is too long", node)
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            raise _NodeError(f"'{node.value}' is not a finite number", node)
        return value

    def construct_undefined(self, node: Node) -> Any:
        raise _NodeError(
            f"tag '{_short_tag(node.tag)}' is not allowed: only plain YAML data "
            "(mappings, lists, strings, numbers, booleans, null) is read",
            node,
        )


_register: Any = _Constructor.add_constructor  # PyYAML's stubs do not type subclass registries
for _name in ("null", "bool", "str", "seq", "map"):
    _register(
        _TAG_PREFIX + _name, getattr(yaml.constructor.SafeConstructor, f"construct_yaml_{_name}")
    )
_register(_TAG_PREFIX + "int", _Constructor.construct_yaml_int)
_register(_TAG_PREFIX + "float", _Constructor.construct_yaml_float)
_register(None, _Constructor.construct_undefined)


# Only plain decimals are numbers (fastload.py says why); every other form
# YAML 1.1 reads as a number is an error that says how to write it.
_PLAIN_INT, _PLAIN_FLOAT, _MAX_DIGITS = (
    fastload.PLAIN_INT,
    fastload.PLAIN_FLOAT,
    fastload.MAX_DIGITS,
)
_SPECIAL_FLOAT = re.compile(r"^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")


def _yaml11_number(text: str, node: ScalarNode, constructor: Any) -> str:
    """What YAML 1.1 made of a number not written as a plain decimal, and how to write it."""
    base = text.lstrip("+-")
    sign = "-" if text.startswith("-") else ""
    if len(text) > _MAX_DIGITS:
        return f"number with {len(text):,} digits is too long"
    read = ""
    for construct in (
        yaml.constructor.SafeConstructor.construct_yaml_int,
        yaml.constructor.SafeConstructor.construct_yaml_float,
    ):
        try:
            read = f"{construct(constructor, node):g}"
            break
        except (ValueError, TypeError):
            continue
    quote = f", or quote it ('{text}') if it is text"
    lowered = base.lower()
    if "_" in base:
        return f"'{text}' has underscores, which YAML 1.1 drops ({read}); write {text.replace('_', '')}{quote}"
    if ":" in base:
        return (
            f"'{text}' is a base-60 number in YAML 1.1 ({read}); write it as a plain decimal{quote}"
        )
    if lowered.startswith("0x"):
        return f"'{text}' is a hexadecimal number ({read}); write it as a plain decimal{quote}"
    if lowered.startswith("0b"):
        return f"'{text}' is a binary number ({read}); write it as a plain decimal{quote}"
    if base.startswith("0") and base.isdigit():
        meant = sign + (base.lstrip("0") or "0")
        return f"'{text}' is a zero-padded number: YAML 1.1 reads it as octal, {read}; write {meant}{quote}"
    return f"'{text}' is not a plain decimal number; write it as one{quote}"


def _check_duplicate_keys(pairs: list[tuple[Node, Node]]) -> None:
    seen: dict[Any, Node] = {}
    for key_node, _ in pairs:
        if not isinstance(key_node, ScalarNode):
            continue
        key = key_node.value
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise _NodeError(f"duplicate key '{key}' (first defined at line {first})", key_node)
        seen[key] = key_node


# The fast paths (fastload.py): the commonest profile's data read line by
# line, else an ordinary document's data straight from libyaml's events;
# whatever neither handles falls back to the constructor below, which reads
# the document again with every YAML 1.1 message.
# tests/properties/test_loader.py proves the paths agree.
FAST_PATH = True
_fast_lines = fastload.lines
_fast_events = fastload.data
_Fallback = fastload.Fallback


_CParser: Any = fastload.CParser
if _CParser is not None:

    class _Loader(_CParser, _Constructor, _Resolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            _Constructor.__init__(self)
            _Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Loader(  # type: ignore[no-redef]
        yaml.reader.Reader,
        yaml.scanner.Scanner,
        yaml.parser.Parser,
        yaml.composer.Composer,
        _Constructor,
        _Resolver,
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Constructor.__init__(self)
            _Resolver.__init__(self)


# --------------------------------------------------------------------------
# Reading bytes and decoding.


_BLOCK = 1 << 20


def read_file(path: str, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """Read a whole regular file, refusing one over the size limit before reading it.

    Anything that is not a regular file (a FIFO, a socket, a device) is refused
    without being opened for reading, so a stray FIFO cannot hang a batch.
    """
    try:
        info = os.stat(path)
        if not stat.S_ISREG(info.st_mode):
            if stat.S_ISDIR(info.st_mode):
                raise LoadError("io", "is a directory")
            raise LoadError(
                "io", f"not a regular file ({_file_kind(info.st_mode)}); use - for standard input"
            )
        if info.st_size > limits.max_file_bytes:
            raise LoadError("io", _too_big(info.st_size, limits))
        # O_NONBLOCK: should the path have been swapped for a FIFO since the
        # stat, opening it still returns at once
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                raise LoadError("io", "not a regular file; use - for standard input")
            data = _read_regular(fd, min(opened.st_size, limits.max_file_bytes), limits)
        finally:
            os.close(fd)
    except LoadError:
        raise
    except PermissionError:
        raise LoadError("io", "permission denied: cannot read the file") from None
    except FileNotFoundError:
        raise LoadError("io", "no such file") from None
    except OSError as exc:
        raise LoadError("io", f"cannot read the file: {exc.strerror or exc}") from None
    return data


def _file_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _read_bounded(stream: Any, limits: Limits) -> bytes:
    """At most the limit, read in blocks: a limit beyond memory is never allocated at once."""
    blocks: list[bytes] = []
    total = 0
    while True:
        block = stream.read(_BLOCK)
        if not block:
            break
        total += len(block)
        if total > limits.max_file_bytes:
            raise LoadError("io", _too_big(None, limits))
        blocks.append(block)
    return b"".join(blocks)


def _read_regular(fd: int, size: int, limits: Limits) -> bytes:
    """A regular file's bytes, at most the limit, in one read of the size it had
    (one byte more, to see it grew) and a small one to find the end: no buffered
    reader, no megabyte buffer for a file of a few hundred bytes."""
    first = os.read(fd, size + 1)
    blocks = [first]
    total = len(first)
    want = 4096
    while True:  # the file may have grown since fstat: read on to the end
        if total > limits.max_file_bytes:
            raise LoadError("io", _too_big(None, limits))
        block = os.read(fd, want)
        if not block:
            break
        total += len(block)
        blocks.append(block)
        want = _BLOCK
    return first if len(blocks) == 1 else b"".join(blocks)


def read_stream(stream: Any, limits: Limits = DEFAULT_LIMITS) -> bytes:
    return _read_bounded(stream, limits)


def _too_big(size: int | None, limits: Limits) -> str:
    what = f"{size:,} bytes" if size is not None else "larger"
    return (
        f"file is {what}, over the {limits.max_file_bytes:,}-byte limit "
        "(raise it with --max-file-size)"
    )


_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def decode(data: bytes) -> str:
    """UTF-8 (a byte-order mark is accepted) to text, or a located error."""
    for bom, name in _BOMS.items():
        if data.startswith(bom):
            raise LoadError("yaml", f"file is {name}; save it as UTF-8", 1, 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        raise LoadError(
            "yaml", "binary file: NUL byte found; expected UTF-8 YAML text", line, column
        )
    # the mark is dropped by hand: the "utf-8-sig" codec costs a millisecond to import
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(body, exc.start)  # as an editor shows it: no mark
        raise LoadError(
            "yaml",
            f"invalid UTF-8 byte 0x{body[exc.start]:02x}; save the file as UTF-8",
            line,
            column,
        ) from None


def _position(data: bytes | str, offset: int) -> tuple[int, int]:
    newline = b"\n" if isinstance(data, bytes) else "\n"
    line = data.count(newline, 0, offset) + 1  # type: ignore[arg-type]
    start = data.rfind(newline, 0, offset) + 1  # type: ignore[arg-type]
    column = (
        len(data[start:offset].decode("utf-8", "replace")) + 1
        if isinstance(data, bytes)
        else offset - start + 1
    )
    return line, column


# --------------------------------------------------------------------------
# Splitting a stream into documents.


class Chunk(NamedTuple):
    """The text of one document and where it starts in its file (0-based line)."""

    text: str
    line_offset: int


_MARKER = re.compile(r"^(---|\.\.\.)(?=[ \t\r\n]|\Z)", re.MULTILINE)
_CONTENT = re.compile(r"^[ \t]*[^\s#%]", re.MULTILINE)


def _may_have_marker(text: str) -> bool:
    """False when ``text`` holds no document marker: one starts a line, so
    without "---" or "..." after a break or at the start there is none (the
    substring tests take a tenth of the marker search's time)."""
    return "\n---" in text or "\n..." in text or text.startswith(("---", "..."))


def split_documents(text: str) -> list[Chunk]:
    """Cut a YAML stream at its document markers, in one linear pass.

    YAML forbids a line starting with ``---`` or ``...`` inside content, so the
    cut is the same one libyaml makes; doing it ourselves means each document
    is parsed on its own. A stretch without content and without an explicit
    ``---`` (comments, directives, a leading blank) is not a document.
    ``text`` has LF line breaks only (see ``normalise_breaks``).
    """
    if not _may_have_marker(text) or _MARKER.search(text) is None:
        return [Chunk(text, 0)] if _CONTENT.search(text) else []
    chunks: list[Chunk] = []
    start = 0  # where the current document's text starts
    start_line = 0
    counted_to, line = 0, 0  # lines are counted incrementally: O(n) over the stream
    explicit = False

    def line_at(offset: int) -> int:
        nonlocal counted_to, line
        line += text.count("\n", counted_to, offset)
        counted_to = offset
        return line

    def close(end: int) -> None:
        nonlocal start, start_line
        body = text[start:end]
        if explicit or _CONTENT.search(body):
            chunks.append(Chunk(body, start_line))
            start = end
            start_line = line_at(end)
        # otherwise keep `start`: comments and directives join the next document

    for match in _MARKER.finditer(text):
        if match.group(1) == "---":
            close(match.start())
            explicit = True
        else:
            line_end = text.find("\n", match.start())
            end = len(text) if line_end < 0 else line_end + 1
            close(end)
            start = end
            start_line = line_at(end)
            explicit = False
    close(len(text))
    return chunks


_BREAKS = re.compile("\r\n?|[\x85\u2028\u2029]")


def normalise_breaks(text: str) -> str:
    """Every YAML 1.1 line break (CR LF, CR, NEL, LS, PS) as LF.

    libyaml breaks lines at all of them; the document splitter and the line
    numbers of messages must see the same lines it does.
    """
    if "\r" not in text and (text.isascii() or not _BREAKS.search(text)):
        return text  # isascii reads a flag: NEL, LS and PS are not ASCII
    return _BREAKS.sub("\n", text)


# --------------------------------------------------------------------------
# Loading one document.


def _check_depth(text: str, limits: Limits) -> None:
    # libyaml's composer recurses in C: 200,000 nested brackets crash the
    # process. A cheap bound clears ordinary files: flow depth is at most the
    # number of brackets, and block depth at most two levels per column of
    # leading indentation and '- '/'? ' indicators. Only a file that fails
    # the bound is scanned event by event.
    spare = (limits.max_depth - text.count("[") - text.count("{")) // 2 - 1
    if spare >= 0 and not _deeply_indented(text, spare + 1):
        return
    depth = 0
    starts = (yaml.MappingStartEvent, yaml.SequenceStartEvent)
    ends = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
    too_deep = f"nesting deeper than {limits.max_depth} levels (raise the limit with --max-depth)"
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, starts):
                depth += 1
                if depth > limits.max_depth:
                    start: Any = event.start_mark
                    raise _Located(too_deep, start.line, start.column)
            elif isinstance(event, ends):
                depth -= 1
    except yaml.MarkedYAMLError as exc:
        # libyaml >= 0.2.5 as bundled with PyYAML stops at 1000 levels by itself
        mark = exc.problem_mark
        if exc.problem and "maximum nesting depth" in exc.problem and mark is not None:
            if limits.max_depth < 1000:
                message = too_deep
            else:
                message = "nesting deeper than 1000 levels, the YAML parser's own limit"
            raise _Located(message, mark.line, mark.column) from None
        raise


_DEEP_INDENT: dict[int, tuple[re.Pattern[str], re.Pattern[str]]] = {}


def _deeply_indented(text: str, width: int) -> bool:
    """Whether a line is led by ``width`` or more spaces, '?' and '-'.

    Two patterns, not one with ``^`` and MULTILINE: a search that starts with
    a literal line break skips ahead to each break, where ``^`` is tried at
    every character (0.6 against 1.7 µs a small profile). Compiled once per width.
    """
    patterns = _DEEP_INDENT.get(width)
    if patterns is None:
        patterns = (re.compile(f"\n[ ?-]{{{width}}}"), re.compile(f"[ ?-]{{{width}}}"))
        if len(_DEEP_INDENT) < 64:  # a batch has one limit; the API may vary it
            _DEEP_INDENT[width] = patterns
    later, first = patterns
    return later.search(text) is not None or first.match(text) is not None


class _Located(Exception):
    def __init__(self, message: str, line: int, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


def _check_aliases(root: Node, limits: Limits) -> None:
    """Reject recursive aliases and documents whose aliases expand too far.

    The composed document is a graph in which an alias is a shared node; the
    size it would have written out is computed once per distinct node.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            if isinstance(node, MappingNode):
                children = [n for pair in node.value for n in pair]
            else:
                children = node.value
            size = 1 + sum(sizes[id(child)] for child in children)
            if size > limits.max_alias_nodes:
                raise _NodeError(
                    f"aliases expand this document past {limits.max_alias_nodes:,} nodes "
                    "(raise the limit with --max-alias-nodes)",
                    node,
                )
            sizes[key] = size
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise _NodeError("recursive alias: a node contains itself", node)
        if isinstance(node, ScalarNode):
            sizes[key] = 1
            continue
        on_path.add(key)
        stack.append((node, True))
        children = (
            [n for pair in node.value for n in pair]
            if isinstance(node, MappingNode)
            else node.value
        )
        for child in reversed(children):
            if id(child) not in sizes:
                stack.append((child, False))


def load_document(chunk: Chunk, limits: Limits = DEFAULT_LIMITS) -> Any:
    """Parse one document to plain data (dict, list, str, int, float, bool, None)."""
    text = chunk.text
    root: Node | None = None
    try:
        _check_depth(text, limits)
        if FAST_PATH and _CParser is not None:  # anchors and aliases fall back as they come
            try:
                return _fast_lines(text)
            except _Fallback:
                pass  # not one entry a line of plain words: libyaml's events
            try:
                return _fast_events(text)
            except _Fallback:
                pass  # anything unusual: the full constructor, with its messages
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            if "*" in text:  # no asterisk, no alias: skip the walk
                _check_aliases(root, limits)
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except _Located as exc:
        raise LoadError(
            "yaml", exc.message, chunk.line_offset + exc.line + 1, exc.column + 1
        ) from None
    except _NodeError as exc:
        mark = exc.node.start_mark
        pointer = find_pointer(root, exc.node) if root is not None else None
        raise LoadError(
            "yaml", exc.message, chunk.line_offset + mark.line + 1, mark.column + 1, pointer
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise _marked_error(exc, chunk) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, exc.position)
        what = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise LoadError(
            "yaml",
            f"character U+{ord(what):04X} is not allowed in YAML",
            chunk.line_offset + line,
            column,
        ) from None
    except yaml.YAMLError as exc:
        raise LoadError("yaml", _squash(str(exc))) from None
    except RecursionError:  # pure-Python parser only; the depth check should come first
        raise LoadError("yaml", "nesting too deep") from None


def _marked_error(exc: yaml.MarkedYAMLError, chunk: Chunk) -> LoadError:
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        context = exc.context
        if exc.context_mark is not None and exc.context_mark is not mark:
            context += f" that started at line {chunk.line_offset + exc.context_mark.line + 1}"
        problem = f"{problem} ({context})"
    if "expected a single document" in problem:
        problem = "more than one document in one chunk; separate documents with '---'"
    if mark is None:
        return LoadError("yaml", _squash(problem))
    return LoadError("yaml", _squash(problem), chunk.line_offset + mark.line + 1, mark.column + 1)


def _squash(message: str) -> str:
    return " ".join(message.split())


# --------------------------------------------------------------------------
# Locating nodes: the slow path used only when reporting an error.


def compose(chunk: Chunk) -> Node | None:
    """The node graph of a document that is known to parse, with marks."""
    loader = _Loader(chunk.text)
    try:
        node: Node | None = loader.get_single_node()
        return node
    finally:
        loader.dispose()


class YamlLocator:
    """Maps JSON pointers of one YAML document to where they are written.

    The document is composed again only when a problem must be located (a
    valid document never pays for it), and each mapping gets a key index the
    first time it is searched, so locating many problems stays linear.
    """

    __slots__ = ("_composed", "_indexes", "_root", "chunk", "prefix")

    def __init__(self, chunk: Chunk, prefix: tuple[str | int, ...] = ()) -> None:
        self.chunk = chunk
        self.prefix = prefix  # parts above the profile (a golden case's /profile)
        self._root: Node | None = None
        self._composed = False
        self._indexes: dict[int, dict[str, tuple[Node, Node]]] = {}

    def within(self, *parts: str | int) -> YamlLocator:
        """A locator for the value at ``parts`` (pointers are then relative to it)."""
        inner = YamlLocator(self.chunk, (*self.prefix, *parts))
        inner._root, inner._composed, inner._indexes = self.root(), True, self._indexes
        return inner

    def root(self) -> Node | None:
        if not self._composed:
            self._composed = True
            try:
                self._root = compose(self.chunk)
            except yaml.YAMLError:
                self._root = None
        return self._root

    def _entry(self, node: MappingNode, key: str) -> tuple[Node, Node] | None:
        index = self._indexes.get(id(node))
        if index is None:
            index = {}
            for key_node, value_node in node.value:  # the last one wins, as in dicts
                if isinstance(key_node, ScalarNode):
                    index[key_node.value] = (key_node, value_node)
            self._indexes[id(node)] = index
        return index.get(key)

    def _walk(self, parts: list[str | int], key: bool) -> tuple[Node | None, Any]:
        node = self.root()
        if node is None:
            return None, None
        mark = node.start_mark
        full = [*self.prefix, *parts]
        for position, part in enumerate(full):
            last = position == len(full) - 1
            if isinstance(node, MappingNode):
                entry = self._entry(node, str(part))
                if entry is None:
                    return None, mark
                key_node, value_node = entry
                mark = key_node.start_mark if (key and last) else value_node.start_mark
                node = value_node
            elif (
                isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value)
            ):
                node = node.value[part]
                mark = node.start_mark
            else:
                return None, mark
        return node, mark

    def locate(self, parts: list[str | int], *, key: bool = False) -> tuple[int, int] | None:
        """1-based line and column of the node at ``parts`` (or the deepest that exists)."""
        _, mark = self._walk(parts, key)
        if mark is None:
            return None
        return self.chunk.line_offset + mark.line + 1, mark.column + 1

    def written(self, parts: list[str | int]) -> str | None:
        """The scalar as written in the file (``017``, ``2021-07-15``, ``no``)."""
        node, _ = self._walk(parts, False)
        return node.value if isinstance(node, ScalarNode) else None


def find_pointer(root: Node, target: Node) -> str | None:
    """The JSON pointer of ``target`` inside ``root`` (keys point at their mapping entry)."""
    stack: list[tuple[Node, str]] = [(root, "")]
    seen: set[int] = set()
    while stack:
        node, pointer = stack.pop()
        if node is target:
            return pointer
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, MappingNode):
            for key_node, value_node in node.value:
                child = pointer + "/" + _escape(str(key_node.value))
                if key_node is target:
                    return child
                stack.append((value_node, child))
        elif isinstance(node, SequenceNode):
            for i, item in enumerate(node.value):
                stack.append((item, f"{pointer}/{i}"))
    return None


def _escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"'{node.value}'"


def _yaml_type_words(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


# --------------------------------------------------------------------------
# A whole source.


def iter_documents(data: bytes, limits: Limits = DEFAULT_LIMITS) -> Iterator[Document]:
    """Every document of a YAML source, in order; a bad one is a Document with an error.

    An empty source, or one with only comments, is one document with an error,
    so every input yields at least one record.
    """
    try:
        text = normalise_breaks(decode(data))
    except LoadError as exc:
        yield Document(0, problems=(exc.problem(),))
        return
    chunks = split_documents(text)
    if not chunks:
        yield Document(
            0, problems=(Problem("yaml", "empty file: expected a YAML mapping", "", 1, 1),)
        )
        return
    for index, chunk in enumerate(chunks):
        locator = YamlLocator(chunk)
        try:
            data_ = load_document(chunk, limits)
        except LoadError as exc:
            yield Document(
                index, problems=(exc.problem(),), locator=locator, line=chunk.line_offset + 1
            )
            continue
        yield Document(index, data_, locator=locator, line=chunk.line_offset + 1)
