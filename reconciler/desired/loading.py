"""Read desired-state YAML files into documents that remember where every value was written.

In: file or directory paths (a directory means every ``*.yaml`` / ``*.yml`` beneath it, sorted),
or ``(name, bytes)`` pairs read elsewhere (a git revision). Out: :class:`Document` values (plain
JSON-shaped data plus a ``file:line:col`` for every mapping, key, scalar and list item) and a list
of located :class:`Problem` values. Nothing here raises on bad input; ``load_desired_state`` is
the one entry point that raises, a ``ConfigError`` carrying every problem at once. I/O: reads the
files; ``yaml_builder`` turns each file's parser events into its document.

Choices, and why:

* Safe loading only: libyaml (PyYAML's ``CSafeLoader`` parser, shipped in PyYAML's wheels)
  produces events and ``yaml_builder`` builds the values from them, with no node tree in between
  (its docstring says what it refuses). A file libyaml rejects is parsed again by PyYAML's
  pure-Python parser, whose located error messages users have always seen.
* Files over ``MAX_FILE_BYTES`` (1 MiB) are refused unread; a zone's Spectrum apps fit in a few
  KiB. Text that is not UTF-8, or holds control characters, is refused before parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from reconciler.desired.document import Document
from reconciler.desired.validate import validate_documents
from reconciler.desired.yaml_builder import Refused, build_document
from reconciler.errors import ConfigError
from reconciler.model import DesiredState, Location, Problem

__all__ = [
    "MAX_FILE_BYTES",
    "desired_state_from_documents",
    "desired_state_from_texts",
    "load_desired_state",
    "load_documents",
    "load_documents_from_texts",
    "read_files",
]

MAX_FILE_BYTES = 1024 * 1024
YAML_SUFFIXES = (".yaml", ".yml")

# libyaml's parser (in PyYAML's wheels) when present: the same events, many times faster.
_FAST_PARSER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE


def load_desired_state(paths: Sequence[str | Path]) -> DesiredState:
    """Load and validate ``paths``; raise ``ConfigError`` with every problem, sorted by location."""
    return _validated(*load_documents(paths))


def desired_state_from_texts(items: Sequence[tuple[str, bytes]]) -> DesiredState:
    """As ``load_desired_state``, for ``(name, content)`` pairs read elsewhere (a git revision)."""
    return _validated(*load_documents_from_texts(items))


def read_files(paths: Sequence[str | Path]) -> list[tuple[str, bytes]]:
    """The ``(name, content)`` of every file ``paths`` names, as ``load_desired_state`` reads
    them (for a caller that needs the texts as well as the state); ``ConfigError`` if any
    path cannot be read."""
    items, problems = _read_paths(paths)
    if problems:
        raise ConfigError(sorted(problems, key=_problem_order))
    return items


def desired_state_from_documents(
    documents: Sequence[Document], problems: Sequence[Problem]
) -> DesiredState:
    """As ``load_desired_state``, for documents already read (``load_documents``)."""
    return _validated(documents, problems)


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
            message = (
                "a directory with no *.yaml or *.yml files in it (nor below) — give a file, or a "
                "directory that holds some"
            )
            return [], [Problem(Location(str(path), 0, 0), message)]
        return files, []
    if path.is_file():
        return [path], []
    return [], [Problem(Location(str(path), 0, 0), "no such file or directory — check the path")]


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
        return build_document(name, parser)
    except Refused as exc:
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
