"""Pure: the ``live_delete`` guardrail — a delete of an app that carried traffic is refused.

In: a zone, its actions and the context (the plan's traffic, the overrides). Out: a
``Refusal`` naming every such delete with its traffic, or nothing; and, for the journal, the
deletes ``--allow-live-delete`` let through (``AllowedLiveDelete``).

Only a plain delete counts: a recreate, or a delete that frees a port for a create of the same
hostname (a replace), brings the service back. A zone whose file says ``live_delete: allow``
is never refused; a run names an app with ``--allow-live-delete HOST:PROTOCOL``. Traffic not
read (an offline review) refuses nothing; traffic unknown (analytics could not be read) counts
as live only under ``--strict``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from reconciler.checks.guardrails.verdict import AllowedLiveDelete, Context, Overrides, Refusal
from reconciler.checks.traffic import traffic_words
from reconciler.plan import Action, ActionKind, Plan, ZoneSnapshot, ZoneTraffic
from reconciler.planning.replace import replace_units

ALLOW = "allow"


def named(action: Action, names: Sequence[str]) -> bool:
    """Whether ``--allow-live-delete HOST:PROTOCOL`` names the action's app."""
    own = (action.key.dns_name, action.key.protocol)
    return any(_app_name(name) == own for name in names)


def _app_name(name: str) -> tuple[str, str]:
    """``HOST:PROTOCOL`` as keys compare: case-insensitive, the host's trailing dot ignored."""
    host, _, protocol = name.strip().rpartition(":")
    return host.rstrip(".").lower(), protocol.lower()


def live_deletes(
    zone: ZoneSnapshot, actions: Sequence[Action], context: Context
) -> list[tuple[Action, str]]:
    """The zone's plain deletes of apps with traffic (or unknown traffic, under ``--strict``),
    each with how its traffic is said; none in a ``live_delete: allow`` zone. The flag's
    overrides not applied."""
    traffic = next((t for t in context.traffic if t.zone_id == zone.zone_id), None)
    if traffic is None or zone.guardrails.live_delete == ALLOW:
        return []
    units, _ = replace_units(actions)
    replaced = {id(a) for unit in units for a in unit.deletes}
    plain = [
        a
        for a in actions
        if a.kind is ActionKind.DELETE and a.app_id is not None and id(a) not in replaced
    ]
    return [(a, said) for a in plain if (said := _live(a, traffic, context.overrides.strict))]


def _live(action: Action, zone: ZoneTraffic, strict: bool) -> str | None:
    traffic = zone.of(action.app_id or "")
    if traffic is None:
        return "traffic unknown" if strict else None
    return traffic_words(traffic, zone.window_s) if traffic.live else None


def live_delete(zone: ZoneSnapshot, actions: Sequence[Action], context: Context) -> Refusal | None:
    """A delete of an app that carried traffic in the window, unless allowed."""
    hits = _refused(zone, actions, context)
    if not hits:
        return None
    what = "; ".join(f"{a.key} ({said})" for a, said in hits)
    flags = " ".join(f"--allow-live-delete {a.key.dns_name}:{a.key.protocol}" for a, _ in hits)
    return Refusal(
        zone.name,
        "live_delete",
        f"zone {zone.name}: the plan would delete apps that carry traffic: {what}",
        f"if they may go, re-run with {flags} (recorded in the journal with your name), or "
        "set live_delete: allow for the zone in a reviewed change",
        "--allow-live-delete",
    )


def allowed(
    zone: ZoneSnapshot, actions: Sequence[Action], context: Context
) -> list[AllowedLiveDelete]:
    """The live deletes ``--allow-live-delete`` lets through, for the journal."""
    names, user = context.overrides.allow_live_delete, context.overrides.user
    at = (context.now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return [
        AllowedLiveDelete(zone.name, str(a.key), said, user, at)
        for a, said in live_deletes(zone, actions, context)
        if named(a, names)
    ]


def verdict_changes(saved: Plan, fresh: Plan, overrides: Overrides) -> list[str]:
    """How the live_delete verdict on ``fresh`` differs from the one ``saved`` (with the
    traffic it recorded) was reviewed under, one line per app: a saved plan made before an
    app's traffic started (or stopped) is stale; new traffic numbers alone are not."""
    changes = []
    for zone in fresh.zones:
        actions = [a for a in fresh.actions if a.zone_id == zone.zone_id]
        then = _refused_keys(zone, actions, Context(None, overrides, saved.traffic))
        now = _refused_keys(zone, actions, Context(None, overrides, fresh.traffic))
        changes += [f"{key} now carries traffic ({now[key]})" for key in now if key not in then]
        changes += [f"{key} no longer carries traffic" for key in then if key not in now]
    return changes


def _refused_keys(
    zone: ZoneSnapshot, actions: Sequence[Action], context: Context
) -> dict[str, str]:
    return {str(a.key): said for a, said in _refused(zone, actions, context)}


def _refused(
    zone: ZoneSnapshot, actions: Sequence[Action], context: Context
) -> list[tuple[Action, str]]:
    """The live deletes the rule refuses: those ``--allow-live-delete`` does not name."""
    names = context.overrides.allow_live_delete
    return [(a, said) for a, said in live_deletes(zone, actions, context) if not named(a, names)]
