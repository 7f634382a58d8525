"""Read desired-state YAML files into documents that remember where every value was written.

In: file or directory paths (a directory means every ``*.yaml`` / ``*.yml`` beneath it, sorted),
or ``(name, bytes)`` pairs read elsewhere (a git revision). Out: :class:`Document` values (plain
JSON-shaped data plus a ``file:line:col`` for every mapping, key, scalar and list item) and a list
of located :class:`Problem` values. Nothing here raises on bad input; ``load_desired_state`` is
the one entry point that raises, a ``ConfigError`` carrying every problem at once.

Choices, and why:

* Safe loading only: libyaml (PyYAML's ``CSafeLoader`` parser, shipped in PyYAML's wheels)
  produces events and we build the values from them ourselves, with no node tree in between,
  so no tag can construct an object. A file libyaml rejects is parsed again by PyYAML's
  pure-Python parser, whose located error messages users have always seen. Only the standard
  scalar tags (str, int, float, bool, null) are accepted; any other tag is a problem.
* Anchors and aliases are refused outright, at the first anchor, before anything is expanded.
  That makes an alias bomb ("billion laughs") cost one short parse, and keeps every file literal:
  a one-line change in review cannot silently change many apps.
* Files over ``MAX_FILE_BYTES`` (1 MiB) are refused unread; a zone's Spectrum apps fit in a few
  KiB. Nesting deeper than ``MAX_DEPTH`` is refused (the format needs five levels).
* Booleans are YAML 1.2's ``true``/``false`` only: ``tls: off`` means the string ``"off"``, as
  the API and editors using the JSON Schema read it, not YAML 1.1's ``false``. Timestamps stay
  strings, so every value is JSON-shaped.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from reconciler.desired.document import Document, PathKey
from reconciler.desired.validate import validate_documents
from reconciler.errors import ConfigError
from reconciler.model import DesiredState, Location, Problem

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "Document",
    "load_desired_state",
    "load_documents",
    "load_documents_from_texts",
]

MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
YAML_SUFFIXES = (".yaml", ".yml")

_STR, _INT, _FLOAT, _BOOL, _NULL = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
)
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_DROPPED_RESOLVERS = {_BOOL, "tag:yaml.org,2002:timestamp"}


class _Refused(Exception):
    """A construct we do not load (an anchor, deep nesting), with where it starts."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _Resolver(yaml.resolver.Resolver):
    """PyYAML's resolver with YAML 1.2 booleans and no timestamps (see the module docstring)."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_RESOLVERS]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

# libyaml's parser (in PyYAML's wheels) when present: the same events, many times faster.
_FAST_PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def load_desired_state(paths: Sequence[str | Path]) -> DesiredState:
    """Load and validate ``paths``; raise ``ConfigError`` with every problem, sorted by location."""
    return _validated(*load_documents(paths))


def desired_state_from_texts(items: Sequence[tuple[str, bytes]]) -> DesiredState:
    """As ``load_desired_state``, for ``(name, content)`` pairs read elsewhere (a git revision)."""
    return _validated(*load_documents_from_texts(items))


def _validated(documents: Sequence[Document], problems: Sequence[Problem]) -> DesiredState:
    state, more = validate_documents(documents)
    problems = sorted([*problems, *more], key=_problem_order)
    if problems or state is None:
        raise ConfigError(problems)
    return state


def load_documents(paths: Sequence[str | Path]) -> tuple[list[Document], list[Problem]]:
    """Read files and directories into documents; problems for anything that does not load."""
    items, problems = _read_paths(paths)
    documents, more = load_documents_from_texts(items)
    return documents, [*problems, *more]


def load_documents_from_texts(
    items: Sequence[tuple[str, bytes]],
) -> tuple[list[Document], list[Problem]]:
    """Parse ``(name, content)`` pairs (no disk access); ``name`` is what locations show."""
    documents: list[Document] = []
    problems: list[Problem] = []
    for name, content in items:
        document, found = _parse(name, content)
        problems.extend(found)
        if document is not None:
            documents.append(document)
    return documents, problems


def _problem_order(problem: Problem) -> tuple[bool, Location, str]:
    return (problem.location is None, problem.location or Location("", 0, 0), problem.message)


# --- reading paths -------------------------------------------------------------------------


def _read_paths(paths: Sequence[str | Path]) -> tuple[list[tuple[str, bytes]], list[Problem]]:
    items: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for path in paths:
        files, found = _expand(Path(path))
        problems.extend(found)
        for file in files:
            if file.resolve() in seen:
                continue  # a file named twice (directly and by its directory) is read once
            seen.add(file.resolve())
            content, problem = _read_file(file)
            if problem is not None:
                problems.append(problem)
            elif content is not None:
                items.append((str(file), content))
    return items, problems


def _expand(path: Path) -> tuple[list[Path], list[Problem]]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
        if not files:
            return [], [_at_start(str(path), "no *.yaml or *.yml files in this directory")]
        return files, []
    if path.is_file():
        return [path], []
    return [], [_at_start(str(path), "no such file or directory — check the path")]


def _read_file(path: Path) -> tuple[bytes | None, Problem | None]:
    try:
        with path.open("rb") as stream:
            content = stream.read(MAX_FILE_BYTES + 1)  # never read more than the cap allows
    except OSError as exc:
        return None, _at_start(str(path), f"cannot read the file ({exc.strerror or exc})")
    return content, None


def _at_start(name: str, message: str) -> Problem:
    return Problem(Location(name, 1, 1), message)


# --- parsing one file ----------------------------------------------------------------------


def _parse(name: str, content: bytes) -> tuple[Document | None, list[Problem]]:
    if len(content) > MAX_FILE_BYTES:
        return None, [_at_start(name, _too_large_message())]
    text, problem = _decode(name, content)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    return _build(name, text)


def _too_large_message() -> str:
    return (
        f"the file is larger than {MAX_FILE_BYTES // 1024} KiB — split the zone's apps "
        "across several files"
    )


def _decode(name: str, content: bytes) -> tuple[str | None, Problem | None]:
    try:
        return content.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line_start = content.rfind(b"\n", 0, exc.start) + 1
        line = content.count(b"\n", 0, exc.start) + 1
        col = len(content[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        byte = content[exc.start]
        message = f"the file is not UTF-8 text (byte 0x{byte:02x}) — save it as UTF-8"
        return None, Problem(Location(name, line, col), message)


def _build(name: str, text: str) -> tuple[Document | None, list[Problem]]:
    """Parse ``text`` and build its document in one pass over the parser's events.

    libyaml parses; a file it rejects is parsed again by PyYAML's pure-Python parser, so a
    syntax error reads (and is located) exactly as it always did — errors are rare, speed there
    does not matter. That also turns libyaml's own nesting cap into our located one.
    """
    bad = _NON_PRINTABLE.search(text)  # PyYAML's own check, so both parsers refuse alike
    if bad is not None:
        where = _text_location(name, text, bad.start())
        return None, [Problem(where, _control_message(bad.group()))]
    try:
        return _build_with(_FAST_PARSER, name, text)
    except yaml.YAMLError:
        pass
    try:
        return _build_with(yaml.SafeLoader, name, text)
    except yaml.reader.ReaderError as exc:  # pragma: no cover - the search above finds them first
        return None, [Problem(_text_location(name, text, exc.position), _reader_message(exc))]
    except yaml.MarkedYAMLError as exc:
        return None, [Problem(_mark_location(name, exc), _syntax_message(exc))]
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above carries a mark
        return None, [_at_start(name, f"YAML error: {exc} — fix the YAML syntax")]


def _build_with(parser_class: Any, name: str, text: str) -> tuple[Document | None, list[Problem]]:
    parser = parser_class(text)
    try:
        return _Builder(name, parser).build()
    except _Refused as exc:
        return None, [Problem(_location(name, exc.mark), exc.message)]
    finally:
        parser.dispose()


def _control_message(char: str) -> str:
    return f"the file holds a control character {ord(char):#06x} — remove it"


def _reader_message(exc: yaml.reader.ReaderError) -> str:
    char = exc.character if isinstance(exc.character, str) else chr(exc.character)
    return f"the file holds a control character {ord(char):#06x} — remove it"


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    what = "; ".join(part for part in (exc.context, exc.problem) if part)
    return f"YAML syntax error: {what or 'cannot parse'} — fix the YAML syntax here"


def _mark_location(name: str, exc: yaml.MarkedYAMLError) -> Location:
    mark = exc.problem_mark or exc.context_mark
    return _location(name, mark) if mark is not None else Location(name, 1, 1)


def _location(name: str, mark: Any) -> Location:
    return Location(name, mark.line + 1, mark.column + 1)


def _text_location(name: str, text: str, position: int) -> Location:
    line_start = text.rfind("\n", 0, position) + 1
    return Location(name, text.count("\n", 0, position) + 1, position - line_start + 1)


_ANCHORS_MESSAGE = "YAML anchors and aliases are not supported — write the value out in full"
_DEPTH_MESSAGE = (
    f"nested deeper than {MAX_DEPTH} levels — the desired-state format needs only a few; "
    "check the file's indentation and brackets"
)
_TOP_LEVEL_MESSAGE = "the top level must be a mapping (zone:, apps:, ...) — see the examples/"


class _Builder:
    """Builds plain values straight from the parser's events, recording where each was written.

    No node tree is composed: that was most of the time of loading, and a tree is what an alias
    bomb would expand into. Each node's start is checked first — an anchor or alias, or a node
    deeper than ``MAX_DEPTH`` (keys count, as in PyYAML's composer), stops the file at once.
    """

    def __init__(self, name: str, parser: Any) -> None:
        self.name = name
        self.parser = parser
        self.positions: dict[PathKey, Location] = {}
        self.key_positions: dict[PathKey, Location] = {}
        self.problems: list[Problem] = []
        self.unreadable: set[PathKey] = set()
        self._resolver = _Resolver()
        self._constructor = yaml.SafeLoader("")
        self._depth = 0

    def build(self) -> tuple[Document | None, list[Problem]]:
        self.parser.get_event()  # StreamStartEvent
        event = self.parser.get_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None, [_at_start(self.name, "the file is empty — declare a zone and apps")]
        root_event = self.parser.get_event()  # after the DocumentStartEvent
        data = self.value(root_event, ())
        self.parser.get_event()  # DocumentEndEvent
        event = self.parser.get_event()
        if not isinstance(event, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                root_event.start_mark,
                "but found another document",
                event.start_mark,
            )
        if not isinstance(data, dict):
            return None, [Problem(self._at(root_event), _TOP_LEVEL_MESSAGE)]
        document = Document(
            self.name, data, self.positions, self.key_positions, frozenset(self.unreadable)
        )
        return document, self.problems

    def value(self, event: Any, path: PathKey) -> Any:
        self._enter(event)
        self.positions[path] = self._at(event)
        if isinstance(event, yaml.ScalarEvent):
            value, readable = self.scalar(event)
        elif isinstance(event, yaml.MappingStartEvent):
            readable = self._collection_tag(event, yaml.MappingNode)
            value = self.mapping(path)
        else:
            readable = self._collection_tag(event, yaml.SequenceNode)
            value = self.sequence(path)
        if not readable:
            self.unreadable.add(path)
        self._depth -= 1
        return value

    def mapping(self, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while not isinstance(key_event := self.parser.get_event(), yaml.MappingEndEvent):
            key = self.key(key_event)
            value_event = self.parser.get_event()
            if key is None:
                self.skip(value_event)
                continue
            key_path = (*path, key)
            if key_path in self.key_positions:
                self._duplicate(key_event, key, self.key_positions[key_path])
                self.skip(value_event)
                continue
            self.key_positions[key_path] = self._at(key_event)
            result[key] = self.value(value_event, key_path)
        return result

    def sequence(self, path: PathKey) -> list[Any]:
        result: list[Any] = []
        while not isinstance(event := self.parser.get_event(), yaml.SequenceEndEvent):
            result.append(self.value(event, (*path, len(result))))
        return result

    def key(self, event: Any) -> str | None:
        if isinstance(event, yaml.ScalarEvent):
            self._enter(event)
            self._depth -= 1
            if self._scalar_tag(event) == _STR:
                return str(event.value)
            shown = event.value
        else:
            shown = "MappingNode" if isinstance(event, yaml.MappingStartEvent) else "SequenceNode"
            self.skip(event)
        self._problem(event, f"the key {shown!r} is not a plain string — quote it or remove it")
        return None

    def skip(self, event: Any) -> None:
        """Consume the node ``event`` starts, checking it like any other (a key or a duplicate)."""
        self._enter(event)
        if not isinstance(event, yaml.ScalarEvent):
            while not isinstance(inner := self.parser.get_event(), _CollectionEnd):
                self.skip(inner)
        self._depth -= 1

    def scalar(self, event: Any) -> tuple[Any, bool]:
        """The scalar's value and whether it could be read (a problem is recorded if not)."""
        tag = self._scalar_tag(event)
        if tag == _STR:
            return event.value, True  # what SafeConstructor makes of a str node: its text
        if tag not in _SCALAR_TAGS:
            self._problem(event, f"unsupported YAML tag {tag} — write a plain value")
            return None, False
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            value = self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, ArithmeticError, LookupError):
            self._problem(event, f"cannot read {event.value!r} as {tag} — write a plain value")
            return None, False
        if isinstance(value, float) and not math.isfinite(value):
            self._problem(event, f"{event.value!r} is not a finite number — write a number")
            return None, False
        return value, True

    def _scalar_tag(self, event: Any) -> str:
        if event.tag not in (None, "!"):
            return str(event.tag)
        if not event.implicit[0]:
            return _STR  # quoted: always a string
        return str(self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit))  # type: ignore[no-untyped-call]

    def _collection_tag(self, event: Any, kind: type[yaml.Node]) -> bool:
        tag = event.tag
        if tag in (None, "!"):
            tag = self._resolver.resolve(kind, None, event.implicit)  # type: ignore[no-untyped-call]
        if tag in _COLLECTION_TAGS:
            return True
        self._problem(event, f"unsupported YAML tag {tag} — remove the tag")
        return False

    def _enter(self, event: Any) -> None:
        if isinstance(event, yaml.AliasEvent) or event.anchor:
            raise _Refused(event.start_mark, _ANCHORS_MESSAGE)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused(event.start_mark, _DEPTH_MESSAGE)

    def _at(self, event: Any) -> Location:
        return Location(self.name, event.start_mark.line + 1, event.start_mark.column + 1)

    def _duplicate(self, event: Any, key: str, first: Location) -> None:
        message = (
            f"duplicate key {key!r} (first at line {first.line}, column {first.col}) "
            "— keep only one"
        )
        self._problem(event, message)

    def _problem(self, event: Any, message: str) -> None:
        self.problems.append(Problem(self._at(event), message))


_CollectionEnd = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
