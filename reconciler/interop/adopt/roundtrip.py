"""ruamel.yaml's round-trip mode, set up so that a file we do not edit comes back byte for byte.

In: a desired-state file's text. Out: its round-trip tree (comments, key order, quoting and
flow style attached to the values) and the ``dump`` that writes it back. A file is opened only
if an unedited load and dump gives its exact text under one of the usual indentations; else
adopting into it is refused, naming the first line that would change, rather than rewritten.

ruamel.yaml is the one tool here that edits YAML while keeping comments; PyYAML (which the
loader uses) forgets them. Only this package imports it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from reconciler.errors import AdoptError

BOM = "\ufeff"
WIDTH = 1 << 16  # never fold a long line: folding would rewrite lines nobody edited
# (mapping indent, sequence indent, dash offset): "apps:\n  - dns:" is (2, 4, 2).
_LAYOUTS = ((2, 4, 2), (2, 2, 0), (4, 6, 4), (4, 4, 0), (4, 4, 2), (2, 4, 0), (3, 5, 3))


class RoundTrip:
    """A file's round-trip tree and the ruamel settings that write it back unchanged."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.bom = text.startswith(BOM)
        self.text = text[1:] if self.bom else text
        self.yaml, self.data = _open(name, self.text)

    def dump(self) -> str:
        stream = io.StringIO()
        self.yaml.dump(self.data, stream)
        return (BOM if self.bom else "") + stream.getvalue()


def _open(name: str, text: str) -> tuple[YAML, Any]:
    first_difference = 0
    for layout in _layouts(text):
        yaml = _yaml(layout, explicit_start=text.lstrip().startswith("---"))
        try:
            data = yaml.load(text)
        except YAMLError as error:
            raise AdoptError(f"{name}: ruamel.yaml cannot read it ({error})") from None
        written = _dumped(yaml, data)
        if written == text:
            return yaml, data
        first_difference = max(first_difference, _first_difference(text, written))
    raise AdoptError(
        f"{name}:{first_difference}: writing the file back would change this line (its "
        "indentation or spelling is not one ruamel.yaml keeps) — adopt into it by hand, or "
        "use --into another file"
    )


def _layouts(text: str) -> Iterator[tuple[int, int, int]]:
    try:
        _, indent, dash = load_yaml_guess_indent(text)
    except (YAMLError, TypeError, ValueError):
        indent, dash = None, None
    if isinstance(indent, int) and isinstance(dash, int):
        yield 2, indent, dash  # ruamel guesses the sequences' indent; mappings are mostly 2
        yield indent, indent, dash
    yield from _LAYOUTS


def _yaml(layout: tuple[int, int, int], *, explicit_start: bool) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = WIDTH
    mapping, sequence, offset = layout
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    yaml.explicit_start = explicit_start
    return yaml


def _dumped(yaml: YAML, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _first_difference(old: str, new: str) -> int:
    """The 1-based number of the first line of ``old`` that ``new`` does not keep."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    for number, line in enumerate(old_lines, start=1):
        if number > len(new_lines) or new_lines[number - 1] != line:
            return number
    return len(old_lines) + 1
