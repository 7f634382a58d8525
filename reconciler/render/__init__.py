"""Pure renderers: a Plan or a Drift to text, Markdown or JSON, written to a stream passed in.

Every renderer takes ``redact_origins``: origin addresses and names (``origin_direct`` entries,
``origin_dns.name``) become ``origin-<8 hex of sha256>`` everywhere they appear. The text
renderer alone takes ``color``; the CLI decides it (a tty and no ``NO_COLOR``).

Also here: the plan document (``plan_document``), the JSON form of a plan that ``apply --plan``
reads back. It records the guardrails' verdict, so it sits above ``checks``, beside the other
formats, rather than in ``planning``.

May import: the ground floor, ``desired``, ``planning`` and ``checks`` — never the client.
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
