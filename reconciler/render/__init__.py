"""Pure renderers: a Plan or a Drift to text, Markdown or JSON, written to a stream passed in.

Every renderer takes ``redact_origins``: origin addresses and names (``origin_direct`` entries,
``origin_dns.name``) become ``origin-<8 hex of sha256>`` everywhere they appear. The text
renderer alone takes ``color``; the CLI decides it (a tty and no ``NO_COLOR``).
"""

from __future__ import annotations

from reconciler.render.json import drift_to_document, render_drift_json, render_json
from reconciler.render.markdown import (
    DRIFT_MARKER,
    PLAN_MARKER,
    render_drift_markdown,
    render_markdown,
)
from reconciler.render.text import render_drift_text, render_text

__all__ = [
    "DRIFT_MARKER",
    "PLAN_MARKER",
    "drift_to_document",
    "render_drift_json",
    "render_drift_markdown",
    "render_drift_text",
    "render_json",
    "render_markdown",
    "render_text",
]
