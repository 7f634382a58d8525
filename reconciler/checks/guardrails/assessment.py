"""Pure: every rule over every zone of a plan -> a :class:`Verdict`."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime, timezone

from reconciler.checks.guardrails.live_delete import allowed as allowed_live_deletes
from reconciler.checks.guardrails.rules import RULES
from reconciler.checks.guardrails.verdict import (
    AllowedLiveDelete,
    BrokenFreeze,
    Context,
    Overrides,
    Refusal,
    Rule,
    Verdict,
)
from reconciler.desired.freezes import describe as describe_window
from reconciler.desired.policy import OBSERVE, active_freeze, expired_freezes, may_break_glass
from reconciler.plan import Action, Plan, ZoneSnapshot

_NO_OVERRIDES = Overrides()


def assess(
    plan: Plan,
    *,
    now: datetime | None,
    overrides: Overrides = _NO_OVERRIDES,
    rules: Sequence[Rule] = RULES,
) -> Verdict:
    """Every rule over every zone of ``plan``; ``now=None`` judges every freeze as in force."""
    context = Context(now, overrides, plan.traffic)
    skipped: list[Action] = []
    refusals: list[Refusal] = []
    notes: list[str] = []
    broken: list[BrokenFreeze] = []
    let_through: list[AllowedLiveDelete] = []
    by_zone: dict[str, list[Action]] = {}
    for action in plan.actions:
        by_zone.setdefault(action.zone_id, []).append(action)
    held: list[Action] = []
    for zone in plan.zones:
        actions = by_zone.get(zone.zone_id, [])
        notes.extend(_zone_notes(zone, now))
        if zone.guardrails.mode == OBSERVE:
            skipped.extend(actions)
            continue
        refused = [r for rule in rules if (r := rule(zone, actions, context)) is not None]
        refusals.extend(refused)
        if refused:  # a refusal holds its own zone; the other zones go ahead
            held.extend(actions)
            continue
        broken.extend(_broken_freeze(zone, actions, context))
        let_through.extend(allowed_live_deletes(zone, actions, context))
    idle = {id(a) for a in (*skipped, *held)}
    to_run = tuple(a for a in plan.actions if id(a) not in idle)
    return Verdict(
        dataclasses.replace(plan, actions=to_run),
        tuple(skipped),
        tuple(refusals),
        tuple(notes),
        tuple(broken),
        tuple(held),
        tuple(let_through),
    )


def _zone_notes(zone: ZoneSnapshot, now: datetime | None) -> list[str]:
    notes = []
    if zone.guardrails.mode == OBSERVE:
        notes.append(f"zone {zone.name}: mode: observe — apply writes nothing to this zone")
    notes.extend(
        f"zone {zone.name}: the freeze until {freeze.until} ({freeze.reason}) has "
        "expired and is ignored — remove it from the file"
        for freeze in expired_freezes(zone.guardrails, now)
    )
    return notes


def _broken_freeze(
    zone: ZoneSnapshot, actions: Sequence[Action], context: Context
) -> list[BrokenFreeze]:
    freeze = active_freeze(zone.guardrails, context.now)
    why, user = context.overrides.break_glass, context.overrides.user
    if freeze is None or not actions or not why or not may_break_glass(zone.guardrails, user):
        return []
    at = (context.now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    until = freeze.until or describe_window(freeze)
    return [BrokenFreeze(zone.name, until, freeze.reason, why, user, at)]
