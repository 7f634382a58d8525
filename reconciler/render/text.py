"""Pure: a Plan or Drift as terminal text, Terraform-style symbols, colour only when asked."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TextIO

from reconciler.checks import guardrails
from reconciler.checks.traffic import traffic_of
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.planner import Drift
from reconciler.render import _preflight, _traffic, _warnings
from reconciler.render._common import (
    kept_label,
    outage_warning,
    redact_action,
    redact_plan,
    spell,
    summary_line,
)

_COLOURS = {
    ActionKind.CREATE: "32",
    ActionKind.UPDATE: "33",
    ActionKind.DELETE: "31",
    ActionKind.RECREATE: "35",
}
_WARN = "1;31"
_INDENT = " " * 6


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def _head(action: Action, color: bool) -> str:
    symbol = _paint(f"{action.kind.symbol:>3}", _COLOURS[action.kind], color)
    app_id = f" [app {action.app_id}]" if action.app_id else ""
    return f"{symbol} {action.key} ({action.kind.value} in {action.key.zone}){app_id}"


def _detail_lines(action: Action, color: bool) -> list[str]:
    lines = [_paint(f"{_INDENT}! {reason}", _WARN, color) for reason in action.reasons]
    if action.kind is ActionKind.CREATE:
        lines += [f"{_INDENT}{name}: {spell(value)}" for name, value in (action.body or {}).items()]
    lines += [f"{_INDENT}{c.path}: {spell(c.before)} -> {spell(c.after)}" for c in action.changes]
    if action.kind is ActionKind.RECREATE:
        lines.append(_paint(f"{_INDENT}! warning: {outage_warning(action)}", _WARN, color))
    return lines


def _action_lines(
    actions: Iterable[Action],
    color: bool,
    traffic: Callable[[Action], str | None] = lambda _: None,
) -> list[str]:
    lines: list[str] = []
    for action in actions:
        lines.append(_head(action, color))
        said = traffic(action)
        lines += [f"{_INDENT}traffic: {said}"] if said else []
        lines.extend(_detail_lines(action, color))
    return lines


def render_text(
    plan: Plan,
    stream: TextIO,
    *,
    color: bool,
    redact_origins: bool,
    overrides: guardrails.Overrides | None = None,
) -> None:
    """Write the plan for a terminal: one line per action, its changes, then the summary;
    with an apply's ``overrides``, what they lift is said overridden, not refused."""
    if redact_origins:
        plan = redact_plan(plan)
    lines = _action_lines(plan.actions, color, lambda action: traffic_of(plan, action))
    if lines:
        lines.append("")
    lines = (
        _warnings.text_lines(plan.warnings, plan.address_checks) + _traffic.text_lines(plan) + lines
    )
    described = guardrails.describe(plan, overrides)
    lines += _guardrail_lines(described, color, kept_label(plan, _KEPT))
    lines += [_paint(line, _WARN, color) if line else line for line in _preflight.text_lines(plan)]
    lines.append(summary_line(plan))
    stream.write("\n".join(lines) + "\n")


_KEPT = "unmanaged (prune: false)"


def _guardrail_lines(described: guardrails.Description, color: bool, kept: str) -> list[str]:
    refusals = [_paint(f"! {r.plan_line()}", _WARN, color) for r in described.refusals]
    refusals += [_paint(f"! {r.overridden_line()}", _WARN, color) for r in described.overridden]
    others = [f"! {line}" for line in described.lines(kept)[len(described.refusals) :]]
    lines = refusals + others
    return [*lines, ""] if lines else []


_DRIFT_SECTIONS = (
    ("changed", "Changed outside git (live -> git):"),
    ("unmanaged", "Live apps no file declares:"),
    ("missing", "Declared apps missing from live:"),
)
KEPT_TITLE = "Live apps no file declares, kept (prune: false):"
KEPT = "unmanaged (kept)"


def drift_summary_line(drift: Drift) -> str:
    if not drift.has_drift:
        return "No drift. Live state matches git."
    changed, unmanaged, missing = len(drift.changed), len(drift.unmanaged), len(drift.missing)
    kept = f", {len(drift.kept)} {KEPT}" if drift.kept else ""
    return (
        f"Drift: {changed} changed outside git, {unmanaged} not declared{kept}, {missing} missing."
    )


def _kept_lines(kept: tuple[Action, ...]) -> list[str]:
    """An app prune: false keeps is no delete: it is named as what it is, with its app id."""
    return [f"  = {a.key} in {a.key.zone}: {KEPT} [app {a.app_id}]" for a in kept]


def render_drift_text(drift: Drift, stream: TextIO, *, color: bool, redact_origins: bool) -> None:
    """Write the drift report for a terminal, one section per kind of drift."""
    lines: list[str] = _warnings.text_lines(drift.warnings, drift.address_checks)
    for attribute, title in _DRIFT_SECTIONS:
        actions: tuple[Action, ...] = getattr(drift, attribute)
        if redact_origins:
            actions = tuple(redact_action(a) for a in actions)
        if actions:
            lines += [title, *_action_lines(actions, color), ""]
    if drift.kept:
        lines += [KEPT_TITLE, *_kept_lines(drift.kept), ""]
    lines.append(drift_summary_line(drift))
    stream.write("\n".join(lines) + "\n")
