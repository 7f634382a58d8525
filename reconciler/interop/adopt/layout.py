"""Pure: which lines of a file an edit owns, and the check that every other line is kept.

In: a file's lines, the round-trip tree's ``apps`` sequence (its items know the line they start
on), and the written text. Out: each app's span of lines (the comments and blank lines just
above an app belong to it), and ``check_kept``, which refuses a text that drops or rewrites any
line outside the spans being edited — the promise "untouched lines stay byte for byte" is
checked on every write, not assumed of ruamel.yaml.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from reconciler.errors import AdoptError


def _is_content(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not stripped.startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def app_spans(lines: Sequence[str], apps: Any) -> list[range]:
    """The lines (0-based) of each item of ``apps``: from the line after the previous item's
    last line (for the first, the comments right above it) to its own last line."""
    starts = [item.lc.line for item in apps]
    following: list[int | None] = [*starts[1:], None] if starts else []
    ends = [_content_end(lines, s, f) for s, f in zip(starts, following, strict=True)]
    spans = []
    for index, (start, end) in enumerate(zip(starts, ends, strict=True)):
        first = ends[index - 1] + 1 if index else _owned_above(lines, start)
        spans.append(range(first, end + 1))
    return spans


def _content_end(lines: Sequence[str], start: int, following: int | None) -> int:
    """The last line of the item starting on ``start``: before ``following``'s, else as long
    as lines are indented past the item's dash (comments and blank lines in between)."""
    if following is not None:
        return max(i for i in range(start, following) if _is_content(lines[i]) or i == start)
    dash = _indent(lines[start])
    end = start
    for number in range(start + 1, len(lines)):
        if _is_content(lines[number]):
            if _indent(lines[number]) <= dash:
                break
            end = number
    return end


def _owned_above(lines: Sequence[str], start: int) -> int:
    first = start
    while first > 0 and not _is_content(lines[first - 1]) and lines[first - 1].strip():
        first -= 1  # the comment lines directly above (a blank line ends the heading)
    return first


def check_kept(name: str, old: str, new: str, editable: set[int]) -> None:
    """Refuse ``new`` unless it keeps, byte for byte and in order, every line of ``old``
    whose (0-based) number is not in ``editable``."""
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    kept = {
        number
        for tag, start, end, _, _ in matcher.get_opcodes()
        if tag == "equal"
        for number in range(start, end)
    }
    lost = [n for n in range(len(old_lines)) if n not in kept and n not in editable]
    if lost:
        raise AdoptError(
            f"{name}:{lost[0] + 1}: writing the adopted values would also change this line, "
            "which adopts nothing — nothing was written; adopt by hand or use --into"
        )
