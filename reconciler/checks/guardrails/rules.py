"""Pure: one function per guardrail rule, each returning a :class:`Refusal` or nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence

from reconciler.checks.guardrails.live_delete import live_delete
from reconciler.checks.guardrails.verdict import Context, Refusal, Rule
from reconciler.desired.freezes import describe as describe_window
from reconciler.desired.patterns import matches
from reconciler.desired.policy import (
    active_freeze,
    is_protected,
    managed_app_ids,
    may_break_glass,
)
from reconciler.plan import Action, ActionKind, ZoneSnapshot
from reconciler.wording import count


def protected(zone: ZoneSnapshot, actions: Sequence[Action], _: Context) -> Refusal | None:
    """A delete or recreate of an app matching ``protect``; ``--force`` does not lift it."""
    hits = [a for a in actions if a.kind.destructive and is_protected(zone, a.key)]
    if not hits:
        return None
    names = ", ".join(f"{a.kind.value} {a.key}" for a in hits)
    patterns = sorted(
        {p for a in hits for p in zone.guardrails.protect if matches(p, a.key.dns_name)}
    )
    return Refusal(
        zone.name,
        "protected",
        f"zone {zone.name}: the plan would {names}, protected by protect "
        f"{', '.join(json.dumps(p) for p in patterns)}",
        "--force does not lift protection; to delete or recreate it, first remove its pattern "
        "from protect in a reviewed change",
    )


def not_pruned(zone: ZoneSnapshot, actions: Sequence[Action], _: Context) -> Refusal | None:
    """A delete in a ``prune: false`` zone (the planner never makes one: a saved plan did)."""
    if zone.guardrails.prune:
        return None
    hits = [a for a in actions if a.kind is ActionKind.DELETE]
    if not hits:
        return None
    return Refusal(
        zone.name,
        "prune",
        f"zone {zone.name} has prune: false, but the plan would delete "
        f"{', '.join(str(a.key) for a in hits)}",
        "plan again from the files; to delete apps here, set prune: true in a reviewed change",
    )


def frozen(zone: ZoneSnapshot, actions: Sequence[Action], context: Context) -> Refusal | None:
    """Any write while a freeze window is in force, unless ``--break-glass`` by someone the
    zone's ``break_glass`` names (anyone when it names nobody)."""
    freeze = active_freeze(zone.guardrails, context.now)
    if freeze is None or not actions:
        return None
    overrides = context.overrides
    allowed = may_break_glass(zone.guardrails, overrides.user)
    if overrides.break_glass and allowed:
        return None
    message = (
        f"zone {zone.name} is frozen {describe_window(freeze)} ({freeze.reason}); "
        f"the plan would make {count(len(actions), 'change')}"
    )
    hint = (
        'wait until the freeze ends, or re-run with --break-glass "why" (recorded in the '
        "journal with your name)"
    )
    if not allowed:
        hint = (
            f"wait until the freeze ends; {overrides.user} may not break glass here — only "
            f"{', '.join(zone.guardrails.break_glass or ())} (break_glass) may"
        )
    if overrides.break_glass and not allowed:
        message += f"; --break-glass was given by {overrides.user}, whom break_glass does not name"
    return Refusal(
        zone.name, "freeze", message, hint, "--break-glass", "wait until the freeze ends"
    )


def too_destructive(
    zone: ZoneSnapshot, actions: Sequence[Action], context: Context
) -> Refusal | None:
    """The safety gate, over the apps the config manages (not ignored, not kept by prune)."""
    destructive = [a for a in actions if a.kind.destructive]
    if context.overrides.force or not destructive:
        return None
    total, count = len(managed_app_ids(zone)), len(destructive)
    policy = zone.safety
    what = (
        f"zone {zone.name}: {count} of {total} managed apps would be deleted or recreated "
        f"({', '.join(str(a.key) for a in destructive)})"
    )
    if count >= total and not policy.allow_delete_all:
        message = f"{what}, which is all of them"
        setting = "set safety.allow_delete_all: true for the zone"
    elif count * 100 > policy.max_destructive_percent * total:
        message = f"{what}, more than the {policy.max_destructive_percent:g}% allowed"
        setting = "raise safety.max_destructive_percent for the zone"
    else:
        return None
    return Refusal(
        zone.name, "safety", message, f"re-run with --force, or {setting}", "--force", setting
    )


RULES: tuple[Rule, ...] = (protected, not_pruned, frozen, too_destructive, live_delete)
