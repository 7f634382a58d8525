"""Pure: the small grammar of messages — counts with the right plural, values in JSON spelling.

Messages are read by people who write YAML and JSON, so values are spelled as JSON (``false``,
``"tcp/22"``, ``null``), never as Python reprs (``False``, ``'tcp/22'``, ``None``).
"""

from __future__ import annotations

import json
from typing import Any

FILE_FORMAT_DOCS = "https://github.com/OWNER/spectrum-reconciler/blob/main/docs/file-format.md"
"""Where the desired-state format is described (pyproject's Documentation URL, at its section):
pip users have no examples/ directory to look at."""


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``1 app``, ``2 apps``, ``0 zones``; ``plural`` for nouns that do not just add an s."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def spelled(value: Any) -> str:
    """A value as JSON spells it, on one line: ``false``, ``"tcp/22"``, ``["a", "b"]``; an absent
    value (None) is ``(unset)``, as plans show it."""
    if value is None:
        return "(unset)"
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)
