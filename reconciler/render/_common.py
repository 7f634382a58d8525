"""Pure helpers the renderers share: origin redaction, value spelling, risk, summary lines."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any

from reconciler.plan import OFFLINE, Action, ActionKind, FieldChange, Plan, ZoneSnapshot
from reconciler.wording import count

_SUMMARY_ORDER = ("create", "update", "delete", "recreate")


REDACT_KEY_VARIABLE = "SPECTRUM_RECONCILER_REDACT_KEY"


@functools.cache
def redaction_key() -> bytes:
    """The key origin tokens are made with: ``SPECTRUM_RECONCILER_REDACT_KEY`` (a CI secret, so
    tokens compare across runs), else 32 random bytes drawn once per run."""
    configured = os.environ.get(REDACT_KEY_VARIABLE, "")
    return configured.encode() if configured else secrets.token_bytes(32)


def origin_token(value: str) -> str:
    """A short stand-in for an origin: equal origins get equal tokens within a run (and across
    runs that share the key).

    A keyed hash (HMAC-SHA256): an unkeyed one could be reversed by hashing every address of a
    range at a known port, which takes seconds. Without the key, no candidate can be checked.
    """
    digest = hmac.new(redaction_key(), value.encode(), hashlib.sha256).hexdigest()
    return f"origin-{digest[:12]}"


def _redact_origin_dns(value: Any) -> Any:
    if isinstance(value, Mapping) and isinstance(value.get("name"), str):
        return {**value, "name": origin_token(value["name"])}
    return value


def _redact_origin_direct(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return [origin_token(str(entry)) for entry in value]
    return value


def _redact_config(config: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if config is None:
        return None
    redacted = dict(config)
    if "origin_direct" in redacted:
        redacted["origin_direct"] = _redact_origin_direct(redacted["origin_direct"])
    if "origin_dns" in redacted:
        redacted["origin_dns"] = _redact_origin_dns(redacted["origin_dns"])
    return redacted


def _redact_value(path: str, value: Any) -> Any:
    if path == "origin_direct":
        return _redact_origin_direct(value)
    if path == "origin_dns":
        return _redact_origin_dns(value)
    if path == "origin_dns.name" and isinstance(value, str):
        return origin_token(value)
    return value


def _redact_change(change: FieldChange) -> FieldChange:
    path = change.path
    return FieldChange(path, _redact_value(path, change.before), _redact_value(path, change.after))


def redact_action(action: Action) -> Action:
    """The action with every origin address or name replaced by its token."""
    return dataclasses.replace(
        action,
        before=_redact_config(action.before),
        after=_redact_config(action.after),
        body=_redact_config(action.body),
        changes=tuple(_redact_change(c) for c in action.changes),
    )


def _redact_zone(zone: ZoneSnapshot) -> ZoneSnapshot:
    apps = {
        app_id: dataclasses.replace(stamp, config=_redact_config(stamp.config))
        for app_id, stamp in zone.apps.items()
    }
    return dataclasses.replace(zone, apps=apps)


def redact_plan(plan: Plan) -> Plan:
    """The plan with every origin replaced by its token (see ``origin_token``)."""
    return dataclasses.replace(
        plan,
        actions=tuple(redact_action(a) for a in plan.actions),
        zones=tuple(_redact_zone(z) for z in plan.zones),
    )


def spell(value: Any) -> str:
    """A value as a reader sees it: JSON, with an absent value spelled ``(unset)``."""
    return "(unset)" if value is None else json.dumps(value, sort_keys=True)


def _is_static(config: Mapping[str, Any] | None) -> bool:
    return bool(config) and (config or {}).get("edge_ips", {}).get("type") == "static"


def is_risky(action: Action) -> bool:
    """Deletes, recreates, and anything touching BYOIP/static edge IPs deserve a second look."""
    if action.kind.destructive:
        return True
    static = _is_static(action.before) or _is_static(action.after)
    touches_edge = action.kind is ActionKind.CREATE or any(
        c.path.startswith(("edge_ips", "dns.type")) for c in action.changes
    )
    return static and touches_edge


def outage_warning(action: Action) -> str:
    return (
        f"traffic for {action.key.dns_name} on {action.key.protocol} drops while this runs "
        "(the old app is deleted before the new one is created)"
    )


def summary_line(plan: Plan) -> str:
    counts = plan.summary
    offline = plan.address_checks == OFFLINE
    kept = _no_longer_declared(plan) if offline else ""
    if not plan.has_changes and offline:
        # No zone was read: an offline comparison (diff) of two configurations.
        if kept:
            return f"No app changes, but {kept} ({counts['unchanged']} unchanged)."
        return f"No changes. The two configurations match ({counts['unchanged']} unchanged)."
    if not plan.has_changes:
        return (
            f"No changes. Live state matches the desired state ({counts['unchanged']} unchanged)."
        )
    parts = [f"{counts[kind]} to {kind}" for kind in _SUMMARY_ORDER]
    line = f"Plan: {', '.join(parts)}, {counts['unchanged']} unchanged."
    return f"{line} And {kept}." if kept else line


def kept_label(plan: Plan, live: str) -> str:
    """How a plan names an app ``prune: false`` keeps: in a review it is one the change stopped
    declaring; in a plan of live state (``live``, the renderer's own words), one no file
    declares."""
    return (
        "no longer declared: kept live (prune: false)" if plan.address_checks == OFFLINE else live
    )


def _no_longer_declared(plan: Plan) -> str:
    kept = sum(len(zone.unmanaged) for zone in plan.zones)
    return f"{count(kept, 'app')} no longer declared: kept live (prune: false)" if kept else ""
