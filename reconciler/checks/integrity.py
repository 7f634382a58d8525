"""Pure: a saved plan document held against what the files and the live state give now.

In: the saved ``Plan`` (untrusted: anyone who can edit the artifact can edit it and recompute
its checksum), the zones the files declare, the live zones as read now, and the plan made now
from the files and those zones. Out: one line per way the document claims something else; empty
when it holds exactly what would run. ``apply --plan`` refuses on any line (exit 3) and otherwise
runs the plan made now, so nothing the document says reaches a verdict or a write:

* every zone the document covers (its live snapshots and its actions' zones) is declared by the
  files — a zone dropped from the snapshots is still covered by its actions;
* every action naming a live app id names the app of that identity, in that zone — a delete
  renamed to dodge ``protect`` is caught here, before any rule reads the name;
* the document's actions are the plan made now, action for action (kind, zone, identity, id,
  request body, desired app): nothing added, edited or dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.desired.selection import names_zone
from reconciler.model import DEFAULT_TOKEN_ENV, AppKey, LiveZone, ZoneSpec
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.normalize import app_key, canonical_json


def covered_zones(saved: Plan) -> list[tuple[str, str]]:
    """Every ``(name, zone_id)`` the saved plan speaks of: its snapshots and its actions."""
    seen = {(zone.name, zone.zone_id) for zone in saved.zones}
    seen |= {(action.key.zone, action.zone_id) for action in saved.actions}
    return sorted(seen)


def undeclared_zones(saved: Plan, declared: Sequence[ZoneSpec]) -> list[str]:
    """A line per zone of the saved plan that no file declares."""
    return [
        f"the saved plan names zone {name} ({zone_id}), which no file declares"
        for name, zone_id in covered_zones(saved)
        if not any(names_zone(spec, name=name, zone_id=zone_id) for spec in declared)
    ]


def misnamed_actions(saved: Plan, live: Sequence[LiveZone]) -> list[str]:
    """A line per action whose app id is not, live, the app its key names."""
    by_id = {app.app_id: (zone, app) for zone in live for app in zone.apps}
    problems = []
    for action in saved.actions:
        said = f"its {action.kind.value} of {action.key.zone} {_key(action.key)}"
        if action.app_id is None:
            if action.kind is not ActionKind.CREATE:
                problems.append(f"{said} names no app id")
            continue
        found = by_id.get(action.app_id)
        if found is None:
            problems.append(f"{said} names app id {action.app_id}, which no declared zone holds")
            continue
        zone, app = found
        actual = app_key(zone.name, app.config)
        if zone.zone_id != action.zone_id or _key(actual) != _key(action.key):
            problems.append(
                f"{said} names app id {action.app_id}, which is {zone.name} {actual} live"
            )
    return problems


def differences(saved: Plan, fresh: Plan) -> list[str]:
    """A line per action the saved plan holds that the plan made now does not, and back."""
    saved_by = {_essence(a): a for a in saved.actions}
    fresh_by = {_essence(a): a for a in fresh.actions}
    extra = [saved_by[e] for e in saved_by if e not in fresh_by]
    missing = [fresh_by[e] for e in fresh_by if e not in saved_by]
    return [
        *(f"its {_said(a)} is not what the files and the live state give now" for a in extra),
        *(f"the files and the live state now also {_said(a)}, which it lacks" for a in missing),
    ]


def problems_with(saved: Plan, fresh: Plan, live: Sequence[LiveZone]) -> list[str]:
    """Every way the saved plan differs from the plan made now (identities first: they say the
    most about an edit)."""
    misnamed = misnamed_actions(saved, live)
    return misnamed or differences(saved, fresh)


def _key(key: AppKey) -> AppKey:
    return AppKey.of(key.zone.lower(), key.dns_name, key.protocol)


def _said(action: Action) -> str:
    return f"{action.kind.value} of {action.key.zone} {_key(action.key)}"


def _essence(action: Action) -> str:
    """What decides a write: kind, where, which app, and what is sent."""
    key = _key(action.key)
    return canonical_json(
        {
            "kind": action.kind.value,
            "zone_id": action.zone_id,
            "key": [key.zone, key.dns_name, key.protocol],
            "app_id": action.app_id,
            "body": action.body,
            "after": action.after,
        }
    )


def token_changes(saved: Plan, declared: Sequence[ZoneSpec]) -> list[str]:
    """A line per zone whose files now name another token variable than the plan recorded:
    the plan was reviewed as made with one token, and is applied with the same."""
    changes = []
    for zone in saved.zones:
        spec = next(
            (s for s in declared if names_zone(s, name=zone.name, zone_id=zone.zone_id)), None
        )
        now = (spec.token_env if spec else None) or DEFAULT_TOKEN_ENV
        if spec is not None and now != zone.token_env:
            changes.append(
                f"zone {zone.name} was planned with the token in {zone.token_env} and the files "
                f"now name {now}"
            )
    return changes
