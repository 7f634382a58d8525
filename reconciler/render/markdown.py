"""Pure: a Plan or Drift as Markdown for a pull-request comment.

The first line is a hidden marker so CI can find and update one sticky comment. A summary table
comes first, risky rows (deletes, recreates, BYOIP/static edge IPs) flagged with a warning sign,
then one collapsed ``<details>`` block per app with its field changes.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, TextIO

from reconciler.checks import guardrails
from reconciler.checks.traffic import traffic_of
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.planner import Drift
from reconciler.render import _preflight, _traffic, _warnings
from reconciler.render._common import (
    is_risky,
    kept_label,
    outage_warning,
    redact_action,
    redact_plan,
    spell,
    summary_line,
)
from reconciler.render.text import KEPT, drift_summary_line

PLAN_MARKER = "<!-- spectrum-reconciler:plan -->"
DRIFT_MARKER = "<!-- spectrum-reconciler:drift -->"
RISK = "⚠️"
LOCK = "🔒"
STOP = "⛔"


def _cell(value: Any) -> str:
    """A value inside a table cell: code-spanned, pipes escaped so the table holds."""
    text = spell(value).replace("|", "\\|").replace("`", "'")
    return f"`{text}`"


def _flag(action: Action, locked: Collection[AppKey] = ()) -> str:
    marks = (RISK if is_risky(action) else "") + (LOCK if action.key in locked else "")
    return marks


def _summary_row(action: Action, locked: Collection[AppKey]) -> str:
    fields = ", ".join(f"`{c.path}`" for c in action.changes) or "—"
    what = f"`{action.kind.symbol}` {action.kind.value}"
    flag = _flag(action, locked)
    return f"| {flag} | {what} | `{action.key}` | {action.key.zone} | {fields} |"


def _summary_rows(actions: Iterable[Action], locked: Collection[AppKey] = ()) -> list[str]:
    header = ["| | Action | App | Zone | Fields |", "|---|---|---|---|---|"]
    return header + [_summary_row(a, locked) for a in actions]


def _field_rows(action: Action) -> list[str]:
    if action.kind is ActionKind.CREATE:
        pairs = [(name, None, value) for name, value in (action.body or {}).items()]
    else:
        pairs = [(c.path, c.before, c.after) for c in action.changes]
    if not pairs:
        return []
    rows = ["| Field | Before | After |", "|---|---|---|"]
    rows += [f"| `{path}` | {_cell(old)} | {_cell(new)} |" for path, old, new in pairs]
    return ["", *rows]


def _title(action: Action, locked: Collection[AppKey]) -> str:
    what = f"<code>{action.kind.symbol}</code> {action.kind.value} <code>{action.key}</code>"
    return f"{_flag(action, locked)} {what} in {action.key.zone}".strip()


def _notes(action: Action, traffic: str | None) -> list[str]:
    notes = [f"> {RISK} {reason}" for reason in action.reasons]
    notes += [f"> Traffic: {traffic}"] if traffic else []
    if action.kind is ActionKind.RECREATE:
        notes.append(f"> {RISK} {outage_warning(action)}")
    where = [f"app id `{action.app_id}`"] if action.app_id else []
    where += [f"declared at `{action.source}`"] if action.source else []
    if where:
        text = ", ".join(where)
        notes.append(text[0].upper() + text[1:])
    return [line for note in notes for line in ("", note)]


def _details(
    action: Action, locked: Collection[AppKey] = (), traffic: str | None = None
) -> list[str]:
    head = ["<details>", f"<summary>{_title(action, locked)}</summary>"]
    return [*head, *_notes(action, traffic), *_field_rows(action), "", "</details>"]


def render_markdown(
    plan: Plan,
    stream: TextIO,
    *,
    redact_origins: bool,
    overrides: guardrails.Overrides | None = None,
) -> None:
    """Write the plan as a PR comment (see the module docstring for its shape); with an
    apply's ``overrides``, what they lift is said overridden, not refused."""
    if redact_origins:
        plan = redact_plan(plan)
    lines = [PLAN_MARKER, "### Spectrum plan", "", f"**{summary_line(plan)}**"]
    lines += _preflight.markdown_lines(plan, STOP)
    lines += _warnings.markdown_lines(plan.warnings, plan.address_checks, RISK)
    lines += _traffic.markdown_lines(plan, RISK)
    lines += _guardrail_lines(guardrails.describe(plan, overrides), kept_label(plan, _KEPT))
    locked = guardrails.protected_keys(plan)
    if plan.actions:
        lines += ["", *_summary_rows(plan.actions, locked)]
        for action in plan.actions:
            lines += ["", *_details(action, locked, traffic_of(plan, action))]
    stream.write("\n".join(lines) + "\n")


_KEPT = "unmanaged (`prune: false`, kept)"


def _guardrail_lines(described: guardrails.Description, kept: str) -> list[str]:
    lines = [f"> {STOP} **{r.plan_line()}**" for r in described.refusals]
    lines += [f"> {RISK} **{r.overridden_line()}**" for r in described.overridden]
    lines += [f"> {note}" for note in described.notes]
    lines += [f"- {kept}: `{key}` in {zone}" for zone, key, _ in described.unmanaged]
    lines += [f"- {LOCK} protected: `{key}` in {zone}" for zone, key in described.protected]
    return ["", *lines] if lines else []


_DRIFT_SECTIONS = (
    ("changed", "Changed outside git (before = live, after = git)"),
    ("unmanaged", "Live apps no file declares"),
    ("missing", "Declared apps missing from live"),
)


def render_drift_markdown(drift: Drift, stream: TextIO, *, redact_origins: bool) -> None:
    """Write the drift report as Markdown, one section per kind of drift."""
    lines = [DRIFT_MARKER, "### Spectrum drift", "", f"**{drift_summary_line(drift)}**"]
    lines += _warnings.markdown_lines(drift.warnings, drift.address_checks, RISK)
    for attribute, title in _DRIFT_SECTIONS:
        actions: tuple[Action, ...] = getattr(drift, attribute)
        if redact_origins:
            actions = tuple(redact_action(a) for a in actions)
        if actions:
            lines += ["", f"#### {title}", "", *_summary_rows(actions)]
            for action in actions:
                lines += ["", *_details(action)]
    if drift.kept:
        lines += ["", "#### Live apps no file declares, kept (`prune: false`)", ""]
        lines += ["| | Action | App | Zone | App id |", "|---|---|---|---|---|"]
        lines += [f"| | {KEPT} | `{a.key}` | {a.key.zone} | `{a.app_id}` |" for a in drift.kept]
    stream.write("\n".join(lines) + "\n")
