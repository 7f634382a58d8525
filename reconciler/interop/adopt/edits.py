"""One desired-state file being adopted into: field edits, appended apps, removed blocks.

In: a file's text and, per app, the edits ``values`` computed. Out: the file's new text, with
every line outside the edited apps kept byte for byte (``layout.check_kept`` checks it).

Whole blocks move as lines: a removed app's lines go (with the comments right above it), an
appended app's lines (written by ruamel.yaml in the file's own indentation, with flow ``{...}``,
quotes and key order where the file's other apps use them, after a blank line where the file
separates its apps with one) go after the last app. Fields are then edited in ruamel.yaml's
round-trip tree, where they were declared: a changed scalar keeps its quoting style, an object
or list is edited key by key and item by item, a new field goes to its place in the field
table's order, a field the live app no longer has is removed.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from reconciler.errors import AdoptError
from reconciler.interop.adopt.layout import app_spans, check_kept
from reconciler.interop.adopt.roundtrip import BOM, RoundTrip
from reconciler.interop.adopt.values import REMOVE
from reconciler.model import AppKey
from reconciler.planning.normalize import FIELD_ORDER

# Plain words YAML 1.1 reads as booleans or null: quoted when written, so that every YAML
# tool reads "off" as the string the API means (as the examples write it).
_AMBIGUOUS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~", ""}
_QUOTED = (DoubleQuotedScalarString, SingleQuotedScalarString)


class FileEdit:
    """The edits asked of one file; ``text`` applies them all and checks the result."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.original = RoundTrip(name, text)
        self.lines = self.original.text.splitlines(keepends=True)
        spans = app_spans(self.lines, _apps(self.original))
        self.spans = dict(zip(_keys(self.original), spans, strict=True))
        self.fields: dict[AppKey, Mapping[str, Any]] = {}
        self.removed: list[AppKey] = []
        self.appended: list[Mapping[str, Any]] = []

    def set_fields(self, key: AppKey, edits: Mapping[str, Any]) -> None:
        """Write ``edits`` (field -> value or ``REMOVE``) into the app ``key``."""
        self.fields[self._known(key)] = edits

    def remove(self, key: AppKey) -> None:
        """Remove the app ``key``'s block and the comment lines right above it."""
        self.removed.append(self._known(key))

    def append(self, config: Mapping[str, Any]) -> None:
        """Add an app after the last one, in the style of the apps already there."""
        self.appended.append(config)

    def text(self) -> str:
        """The edited file; ``AdoptError`` if writing it would change any line not edited."""
        lines = self._blocks_moved()
        if self.fields:
            tree = RoundTrip(self.name, "".join(lines))
            for key, edits in self.fields.items():
                _edit_fields(_apps(tree)[_keys(tree).index(key)], edits, _style(tree))
            lines = tree.dump().removeprefix(BOM).splitlines(keepends=True)
        editable = {n for key in [*self.fields, *self.removed] for n in self.spans[key]}
        written = "".join(lines)
        check_kept(self.name, self.original.text, written, editable)
        return (BOM if self.original.bom else "") + written

    def _known(self, key: AppKey) -> AppKey:
        """``key`` as this file's apps are indexed (a file declares one zone: no zone)."""
        bare = AppKey.of("", key.dns_name, key.protocol)
        if bare not in self.spans:
            raise AdoptError(f"{self.name}: no app {key} here any more — run adopt again")
        return bare

    def _blocks_moved(self) -> list[str]:
        gone = {n for key in self.removed for n in self.spans[key]}
        lines = [line for n, line in enumerate(self.lines) if n not in gone]
        if not self.appended:
            return lines
        at = self._append_at()
        at -= sum(1 for n in gone if n < at)
        return [*lines[:at], *self._rendered(), *lines[at:]]

    def _append_at(self) -> int:
        """The line after the last app, or after the file for a file with no apps."""
        if self.spans:
            return max(span.stop for span in self.spans.values())
        if "apps" in self.original.data:
            raise AdoptError(f"{self.name}: apps holds no app to append after — use --into")
        return len(self.lines)

    def _rendered(self) -> list[str]:
        """The appended apps' lines, as ruamel.yaml writes them in this file's layout."""
        style = _style(self.original)
        items = CommentedSeq(_new_item(config, style) for config in self.appended)
        document = CommentedMap(apps=items)
        lines = _dump(self.original, document).splitlines(keepends=True)[1:]
        if not self.spans:  # a file that declares the zone but no app yet
            ending = [] if not self.lines or self.lines[-1].endswith("\n") else ["\n"]
            return [*ending, "apps:\n", *lines]
        if _blank_between(self.lines, list(self.spans.values())):
            lines = _separated(lines)
        return lines


def _apps(tree: RoundTrip) -> CommentedSeq:
    apps = tree.data.get("apps")
    return apps if isinstance(apps, CommentedSeq) else CommentedSeq()


def _keys(tree: RoundTrip) -> list[AppKey]:
    keys = []
    for item in _apps(tree):
        dns = item.get("dns") if isinstance(item, Mapping) else None
        name = str(dns.get("name", "")) if isinstance(dns, Mapping) else ""
        protocol = str(item.get("protocol", "")) if isinstance(item, Mapping) else ""
        keys.append(AppKey.of("", name, protocol))
    return keys


def _dump(tree: RoundTrip, data: Any) -> str:
    stream = io.StringIO()
    tree.yaml.dump(data, stream)
    return stream.getvalue()


def _blank_between(lines: list[str], spans: list[range]) -> bool:
    """Whether the file separates its apps with a blank line."""
    return any(not lines[span.start].strip() for span in sorted(spans, key=lambda s: s.start)[1:])


def _separated(lines: list[str]) -> list[str]:
    """A blank line before each appended app (a line starting with the item's dash)."""
    dash = lines[0][: len(lines[0]) - len(lines[0].lstrip())]
    out: list[str] = []
    for line in lines:
        if line.startswith(f"{dash}- "):
            out.append("\n")
        out.append(line)
    return out


def _new_item(config: Mapping[str, Any], style: _Style) -> CommentedMap:
    return CommentedMap((name, _styled(v, None, name, style)) for name, v in config.items())


def _edit_fields(item: CommentedMap, edits: Mapping[str, Any], style: _Style) -> None:
    for name, value in edits.items():
        if value == REMOVE:
            item.pop(name, None)
        elif name in item:
            _put(item, name, value, style)
        else:
            item.insert(_position(item, name), name, _styled(value, None, name, style))


def _style(tree: RoundTrip) -> _Style:
    """How the file's apps write each field: flow style, quotes (by choice), key order."""
    style = _Style()
    for item in _apps(tree):
        for name, value in item.items() if isinstance(item, CommentedMap) else ():
            if isinstance(value, (CommentedMap, CommentedSeq)) and value.fa.flow_style():
                style.flow.add(name)
            for scalar in _scalars(value):
                if isinstance(scalar, _QUOTED) and scalar.lower() not in _AMBIGUOUS:
                    style.quoted.setdefault(name, type(scalar))
            if isinstance(value, CommentedMap):
                style.order.setdefault(name, list(value))
    return style


@dataclass
class _Style:
    flow: set[str] = field(default_factory=set)
    quoted: dict[str, type[str]] = field(default_factory=dict)  # quoted by choice, not need
    order: dict[str, list[str]] = field(default_factory=dict)


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _scalars(v)]
    if isinstance(value, list):
        return [s for v in value for s in _scalars(v)]
    return [value]


def _put(parent: CommentedMap, name: Any, value: Any, style: _Style) -> None:
    current = parent[name]
    if isinstance(current, CommentedMap) and isinstance(value, Mapping):
        for stale in [k for k in current if k not in value]:
            del current[stale]
        for key, inner in value.items():
            if key in current:
                _put(current, key, inner, style)
            else:
                current[key] = _styled(inner, None, name, style)
    elif isinstance(current, CommentedSeq) and isinstance(value, list):
        _put_items(current, value, name, style)
    elif not _same(current, value):
        parent[name] = _styled(value, current, name, style)


def _put_items(current: CommentedSeq, value: list[Any], name: str, style: _Style) -> None:
    for index, inner in enumerate(value[: len(current)]):
        if not _same(current[index], inner):
            current[index] = _styled(inner, current[index], name, style)
    del current[len(value) :]
    current.extend(_styled(inner, None, name, style) for inner in value[len(current) :])


def _same(current: Any, value: Any) -> bool:
    return isinstance(current, bool) == isinstance(value, bool) and bool(current == value)


def _styled(value: Any, like: Any, name: str, style: _Style) -> Any:
    """``value`` as a round-trip node: quoted like the value it replaces, a collection in flow
    style where the file writes the field ``name`` so, a YAML 1.1 boolean word quoted."""
    if isinstance(value, Mapping):
        order = style.order.get(name, [])
        keys = sorted(value, key=lambda k: order.index(k) if k in order else len(order))
        node: Any = CommentedMap((k, _styled(value[k], None, name, style)) for k in keys)
    elif isinstance(value, list):
        node = CommentedSeq(_styled(v, None, name, style) for v in value)
    elif isinstance(value, str) and isinstance(like, _QUOTED):
        return type(like)(value)
    elif isinstance(value, str) and like is None and name in style.quoted:
        return style.quoted[name](value)
    elif isinstance(value, str) and value.lower() in _AMBIGUOUS:
        return DoubleQuotedScalarString(value)
    else:
        return value
    if name in style.flow:
        node.fa.set_flow_style()
    return node


def _position(item: CommentedMap, name: str) -> int:
    """Where a new field goes: after the last field the field table puts before it."""
    order = FIELD_ORDER.get(name, len(FIELD_ORDER))
    before = [i for i, key in enumerate(item) if FIELD_ORDER.get(key, len(FIELD_ORDER)) < order]
    return before[-1] + 1 if before else 0
