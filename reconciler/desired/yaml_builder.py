"""Build plain JSON-shaped values straight from a YAML parser's events, each with its location.

In: a file's name and a parser over its text (libyaml's or PyYAML's: the events are the same).
Out: a :class:`Document` (data plus the line and column of every mapping, key, scalar and list
item, made into a ``file:line:col`` only when a problem is located) and the problems of values
it could not read, or :class:`Refused` for what is never loaded.
Pure: the parser does the reading; no node tree is composed and no object constructed.

Choices, and why:

* Only the standard scalar tags (str, int, float, bool, null) are accepted; any other tag is a
  problem, so no tag can construct an object.
* Anchors and aliases are refused outright, at the first anchor, before anything is expanded.
  That makes an alias bomb ("billion laughs") cost one short parse, and keeps every file literal:
  a one-line change in review cannot silently change many apps.
* Nesting deeper than ``MAX_DEPTH`` is refused (the format needs five levels).
* Booleans are YAML 1.2's ``true``/``false`` only: ``tls: off`` means the string ``"off"``, as
  the API and editors using the JSON Schema read it, not YAML 1.1's ``false``. Timestamps stay
  strings, so every value is JSON-shaped.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Any

import yaml

from reconciler.desired.document import Document, PathKey, Position
from reconciler.model import Location, Problem
from reconciler.wording import FILE_FORMAT_DOCS

MAX_DEPTH = 32

_STR, _INT, _FLOAT, _BOOL, _NULL = (
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
)
_SCALAR_TAGS = {_STR, _INT, _FLOAT, _BOOL, _NULL}
_COLLECTION_TAGS = {"tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"}
_DROPPED_RESOLVERS = {_BOOL, "tag:yaml.org,2002:timestamp"}


class Refused(Exception):
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


def build_document(name: str, parser: Any) -> tuple[Document | None, list[Problem]]:
    """The one document of ``parser``'s stream; raises :class:`Refused` or a PyYAML error."""
    return _Builder(name, parser).build()


_ANCHORS_MESSAGE = "YAML anchors and aliases are not supported — write the value out in full"
_DEPTH_MESSAGE = (
    f"nested deeper than {MAX_DEPTH} levels — the desired-state format needs only a few; "
    "check the file's indentation and brackets"
)
_EMPTY_MESSAGE = "the file is empty — declare a zone and apps"
_TOP_LEVEL_MESSAGE = (
    f"the top level must be a mapping (zone:, apps:, ...) — see the file format: {FILE_FORMAT_DOCS}"
)


class _Builder:
    """Builds plain values straight from the parser's events, recording where each was written.

    No node tree is composed: that was most of the time of loading, and a tree is what an alias
    bomb would expand into. Each node's start is checked first — an anchor or alias, or a node
    deeper than ``MAX_DEPTH`` (keys count, as in PyYAML's composer), stops the file at once.
    """

    def __init__(self, name: str, parser: Any) -> None:
        self.name = name
        self.parser = parser
        # Plain (line, column) pairs, 0-based: a Location per value was a third of loading.
        self.positions: dict[PathKey, Position] = {}
        self.key_positions: dict[PathKey, Position] = {}
        self.problems: list[Problem] = []
        self.unreadable: set[PathKey] = set()
        self._resolver = _Resolver()
        self._constructor = yaml.SafeLoader("")
        self._depth = 0

    def build(self) -> tuple[Document | None, list[Problem]]:
        self.parser.get_event()  # StreamStartEvent
        event = self.parser.get_event()
        if isinstance(event, yaml.StreamEndEvent):
            return None, [Problem(Location(self.name, 1, 1), _EMPTY_MESSAGE)]
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
        mark = event.start_mark
        self.positions[path] = (mark.line, mark.column)
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
            mark = key_event.start_mark
            self.key_positions[key_path] = (mark.line, mark.column)
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
                # Interned: every app repeats the same few keys, and the parser makes a new
                # string for each occurrence (about 400 bytes per app).
                return sys.intern(str(event.value))
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
            raise Refused(event.start_mark, _ANCHORS_MESSAGE)
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise Refused(event.start_mark, _DEPTH_MESSAGE)

    def _at(self, event: Any) -> Location:
        return Location(self.name, event.start_mark.line + 1, event.start_mark.column + 1)

    def _duplicate(self, event: Any, key: str, first: Position) -> None:
        line, column = first
        message = (
            f"duplicate key {key!r} (first at line {line + 1}, column {column + 1}) — keep only one"
        )
        self._problem(event, message)

    def _problem(self, event: Any, message: str) -> None:
        self.problems.append(Problem(self._at(event), message))


_CollectionEnd = (yaml.MappingEndEvent, yaml.SequenceEndEvent)
