"""Pure: has live state moved since a saved plan was made?

In: the saved Plan (its per-zone snapshot of live apps) and the zones as they are now.
Out: one line per app that changed, appeared or vanished; empty when the plan still holds.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.diff import diff_apps
from reconciler.model import Action, LiveApp, LiveAppStamp, LiveZone, Plan, ZoneSnapshot
from reconciler.normalize import app_key, fingerprint, normalize_app


def stale_reasons(plan: Plan, live: Sequence[LiveZone]) -> list[str]:
    """Every difference between the plan's view of live state and live state now."""
    by_id = {zone.zone_id: zone for zone in live}
    befores: dict[str | None, Action] = {a.app_id: a for a in plan.actions if a.app_id}
    reasons: list[str] = []
    for snapshot in plan.zones:
        zone = by_id.get(snapshot.zone_id)
        current = {app.app_id: app for app in zone.apps} if zone else {}
        reasons.extend(_zone_reasons(snapshot, current, befores))
    return reasons


def _zone_reasons(
    snapshot: ZoneSnapshot, current: dict[str, LiveApp], befores: dict[str | None, Action]
) -> list[str]:
    reasons = []
    for app_id, stamp in sorted(snapshot.apps.items(), key=lambda item: item[1].key):
        app = current.get(app_id)
        if app is None:
            reasons.append(f"{snapshot.name} {stamp.key} (id {app_id}) was deleted")
        elif fingerprint(normalize_app(app.config)) != stamp.digest:
            what = _what_moved(stamp, app, befores.get(app_id))
            reasons.append(f"{snapshot.name} {stamp.key} (id {app_id}) changed: {what}")
    for app_id in sorted(set(current) - set(snapshot.apps)):
        key = app_key(snapshot.name, current[app_id].config)
        reasons.append(f"{snapshot.name} {key} (id {app_id}) appeared")
    return reasons


def _what_moved(stamp: LiveAppStamp, app: LiveApp, action: Action | None) -> str:
    now = normalize_app(app.config)
    then = stamp.config if stamp.config is not None else action.before if action else None
    if then is not None:
        changes = diff_apps(then, now)
        if changes:
            return ", ".join(f"{c.path} {c.before!r} -> {c.after!r}" for c in changes)
    modified = app.config.get("modified_on")
    return f"its configuration (modified_on {stamp.modified_on} -> {modified})"
