"""Pure: has live state moved since a saved plan was made?

In: the saved Plan (its per-zone snapshot of live apps) and the zones as they are now.
Out: one line per app that changed, appeared or vanished; empty when the plan still holds.
``moved_since`` asks the same of one action's target, read again just before it is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.model import LiveApp, LiveZone
from reconciler.plan import LiveAppStamp, Plan, ZoneSnapshot
from reconciler.planning.diff import diff_apps
from reconciler.planning.normalize import app_key, fingerprint
from reconciler.planning.unknown_fields import live_record
from reconciler.wording import spelled


def stale_reasons(plan: Plan, live: Sequence[LiveZone]) -> list[str]:
    """Every difference between the plan's view of live state and live state now."""
    by_id = {zone.zone_id: zone for zone in live}
    reasons: list[str] = []
    for snapshot in plan.zones:
        zone = by_id.get(snapshot.zone_id)
        current = {app.app_id: app for app in zone.apps} if zone else {}
        reasons.extend(_zone_reasons(snapshot, current))
    return reasons


def _zone_reasons(snapshot: ZoneSnapshot, current: dict[str, LiveApp]) -> list[str]:
    reasons = []
    for app_id, stamp in sorted(snapshot.apps.items(), key=lambda item: item[1].key):
        app = current.get(app_id)
        if app is None:
            reasons.append(f"{snapshot.name} {stamp.key} (id {app_id}) was deleted")
            continue
        now = live_record(app.config)
        if fingerprint(now) != stamp.digest:
            what = _what_moved(stamp, now, app.config.get("modified_on"))
            reasons.append(f"{snapshot.name} {stamp.key} (id {app_id}) changed: {what}")
    for app_id in sorted(set(current) - set(snapshot.apps)):
        key = app_key(snapshot.name, current[app_id].config)
        reasons.append(f"{snapshot.name} {key} (id {app_id}) appeared")
    return reasons


def _what_moved(stamp: LiveAppStamp, now: Mapping[str, Any], modified_on: object) -> str:
    """The fields that moved, or, for a plan without configs, the modification times."""
    if stamp.config is not None:
        changes = diff_apps(stamp.config, now)
        if changes:
            moved = (f"{c.path} {spelled(c.before)} -> {spelled(c.after)}" for c in changes)
            return ", ".join(moved)
    return f"its configuration (modified_on {stamp.modified_on} -> {modified_on})"


def moved_since(before: Mapping[str, Any] | None, now: Mapping[str, Any] | None) -> str | None:
    """How the app an action was planned against (``before``, as the plan recorded it) differs
    from the app as read now; None when it is as planned."""
    if now is None:
        return "it was deleted since the plan"
    record = live_record(now)
    if before is not None and fingerprint(record) == fingerprint(before):
        return None
    changes = diff_apps(before or {}, record)
    moved = ", ".join(f"{c.path} {spelled(c.before)} -> {spelled(c.after)}" for c in changes)
    return f"it changed since the plan: {moved or 'its configuration'}"
