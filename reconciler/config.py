"""Read desired-state YAML files into documents that remember where every value was written.

In: file or directory paths (a directory means every ``*.yaml`` / ``*.yml`` beneath it, sorted),
or ``(name, bytes)`` pairs read elsewhere (a git revision). Out: :class:`Document` values (plain
JSON-shaped data plus a ``file:line:col`` for every mapping, key, scalar and list item) and a list
of located :class:`Problem` values. Nothing here raises on bad input; ``load_desired_state`` is
the one entry point that raises, a ``ConfigError`` carrying every problem at once.

Choices, and why:

* Safe loading only: PyYAML's ``SafeLoader`` composes nodes; we build the values ourselves, so no
  tag can construct an object. Only the standard scalar tags (str, int, float, bool, null) are
  accepted; any other tag is a problem.
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
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from reconciler.errors import ConfigError
from reconciler.model import DesiredState, Location, Problem
from reconciler.validate import Document, PathKey, validate_documents

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


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses anchors and aliases and caps nesting while composing."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                event.start_mark,
                "YAML anchors and aliases are not supported — write the value out in full",
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Refused(
                    event.start_mark,
                    f"nested deeper than {MAX_DEPTH} levels — the desired-state format needs "
                    "only a few; check the file's indentation and brackets",
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# YAML 1.2 booleans and no timestamps (see the module docstring).
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED_RESOLVERS]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF")


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
    root, problem = _compose(name, text)
    if root is None:
        return None, [problem or _at_start(name, "the file is empty — declare a zone and apps")]
    if not isinstance(root, MappingNode):
        where = _location(name, root.start_mark)
        message = "the top level must be a mapping (zone:, apps:, ...) — see the examples/"
        return None, [Problem(where, message)]
    return _Builder(name).document(root)


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


def _compose(name: str, text: str) -> tuple[Node | None, Problem | None]:
    try:
        loader = _Loader(text)  # the reader checks for control characters right here
    except yaml.reader.ReaderError as exc:
        return None, Problem(_text_location(name, text, exc.position), _reader_message(exc))
    try:
        return loader.get_single_node(), None
    except _Refused as exc:
        return None, Problem(_location(name, exc.mark), exc.message)
    except yaml.reader.ReaderError as exc:
        return None, Problem(_text_location(name, text, exc.position), _reader_message(exc))
    except yaml.MarkedYAMLError as exc:
        return None, Problem(_mark_location(name, exc), _syntax_message(exc))
    except yaml.YAMLError as exc:  # pragma: no cover - every PyYAML error above carries a mark
        return None, _at_start(name, f"YAML error: {exc} — fix the YAML syntax")
    finally:
        loader.dispose()


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


class _Builder:
    """Turns a composed node tree into plain values, recording where each one was written."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.positions: dict[PathKey, Location] = {}
        self.key_positions: dict[PathKey, Location] = {}
        self.problems: list[Problem] = []
        self.unreadable: set[PathKey] = set()
        self._constructor = yaml.SafeLoader("")

    def document(self, root: MappingNode) -> tuple[Document, list[Problem]]:
        data = self.value(root, ())
        document = Document(
            self.name, data, self.positions, self.key_positions, frozenset(self.unreadable)
        )
        return document, self.problems

    def value(self, node: Node, path: PathKey) -> Any:
        self.positions[path] = _location(self.name, node.start_mark)
        if isinstance(node, (MappingNode, SequenceNode)) and node.tag not in _COLLECTION_TAGS:
            self._problem(node, f"unsupported YAML tag {node.tag} — remove the tag")
            self.unreadable.add(path)
        if isinstance(node, MappingNode):
            return self.mapping(node, path)
        if isinstance(node, SequenceNode):
            return [self.value(item, (*path, index)) for index, item in enumerate(node.value)]
        assert isinstance(node, ScalarNode)  # a composed node is one of the three kinds
        value, readable = self.scalar(node)
        if not readable:
            self.unreadable.add(path)
        return value

    def mapping(self, node: MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = self.key(key_node)
            if key is None:
                continue
            key_path = (*path, key)
            if key_path in self.key_positions:
                self._duplicate(key_node, key, self.key_positions[key_path])
                continue
            self.key_positions[key_path] = _location(self.name, key_node.start_mark)
            result[key] = self.value(value_node, key_path)
        return result

    def key(self, node: Node) -> str | None:
        if isinstance(node, ScalarNode) and node.tag == _STR:
            return str(node.value)
        shown = node.value if isinstance(node, ScalarNode) else type(node).__name__
        self._problem(node, f"the key {shown!r} is not a plain string — quote it or remove it")
        return None

    def scalar(self, node: ScalarNode) -> tuple[Any, bool]:
        """The scalar's value and whether it could be read (a problem is recorded if not)."""
        if node.tag not in _SCALAR_TAGS:
            self._problem(node, f"unsupported YAML tag {node.tag} — write a plain value")
            return None, False
        try:
            value = self._constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, ArithmeticError, LookupError):
            self._problem(node, f"cannot read {node.value!r} as {node.tag} — write a plain value")
            return None, False
        if isinstance(value, float) and not math.isfinite(value):
            self._problem(node, f"{node.value!r} is not a finite number — write a number")
            return None, False
        return value, True

    def _duplicate(self, node: Node, key: str, first: Location) -> None:
        message = (
            f"duplicate key {key!r} (first at line {first.line}, column {first.col}) "
            "— keep only one"
        )
        self._problem(node, message)

    def _problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(_location(self.name, node.start_mark), message))
