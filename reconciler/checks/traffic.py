"""Pure: an app's traffic as Spectrum analytics report it, and how a plan says it.

In: the ``result`` of ``GET /zones/{id}/spectrum/analytics/events/summary`` (``dimensions=
appID``, ``metrics=count,bytesIngress,bytesEgress``) or of ``.../analytics/aggregate/current``,
both untrusted. Out: a ``ZoneTraffic`` — immutable, keyed by app id, or *unknown* with the reason
(the client turns a refused or failed read into that; see ``live.cloudflare.analytics``) — and
the words a plan uses: "carried 12,408 connections, 3.1 GB in the last 24 h", "idle for 24 h",
"traffic unknown". A malformed answer raises ``TrafficShapeError`` naming the field.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any, Protocol

from reconciler.plan import IDLE, Action, AppTraffic, Plan, ZoneTraffic

__all__ = [
    "IDLE",
    "SUMMARY_METRICS",
    "AppTraffic",
    "TrafficShapeError",
    "ZoneTraffic",
    "current_from_api",
    "size_words",
    "summary_from_api",
    "traffic_words",
    "unknown",
    "window_words",
]

SUMMARY_METRICS = ("count", "bytesIngress", "bytesEgress")


class TrafficShapeError(ValueError):
    """An analytics answer that is not the documented shape; ``str()`` says which field."""


def unknown(zone_id: str, window_s: float, reason: str) -> ZoneTraffic:
    return ZoneTraffic(zone_id, window_s, None, reason)


def summary_from_api(zone_id: str, window_s: float, result: Any) -> ZoneTraffic:
    """The events summary's ``result`` (``{data: [{dimensions: [appID], metrics: [count,
    bytesIngress, bytesEgress]}], ...}``) as traffic by app id."""
    if not isinstance(result, Mapping):
        raise TrafficShapeError("result is not an object")
    rows = result.get("data")
    if not isinstance(rows, list):
        raise TrafficShapeError("result.data is not a list")
    apps: dict[str, AppTraffic] = {}
    for index, row in enumerate(rows):
        app_id, traffic = _summary_row(row, f"result.data[{index}]")
        apps[app_id] = _plus(apps.get(app_id, IDLE), traffic)
    return ZoneTraffic(zone_id, window_s, apps)


def current_from_api(zone_id: str, result: Any) -> ZoneTraffic:
    """The current aggregate's ``result`` (``[{appID, connections, bytesIngress, bytesEgress,
    durationAvg}]``) as the last minute's traffic by app id."""
    if not isinstance(result, list):
        raise TrafficShapeError("result is not a list")
    apps: dict[str, AppTraffic] = {}
    for index, item in enumerate(result):
        where = f"result[{index}]"
        if not isinstance(item, Mapping):
            raise TrafficShapeError(f"{where} is not an object")
        app_id = _app_id(item.get("appID"), f"{where}.appID")
        values = [_amount(item.get(name), f"{where}.{name}") for name in _CURRENT_METRICS]
        apps[app_id] = _plus(apps.get(app_id, IDLE), AppTraffic(*values))
    return ZoneTraffic(zone_id, 60.0, apps)


_CURRENT_METRICS = ("connections", "bytesIngress", "bytesEgress")


def _summary_row(row: Any, where: str) -> tuple[str, AppTraffic]:
    if not isinstance(row, Mapping):
        raise TrafficShapeError(f"{where} is not an object")
    dimensions, metrics = row.get("dimensions"), row.get("metrics")
    if not isinstance(dimensions, list) or len(dimensions) != 1:
        raise TrafficShapeError(f"{where}.dimensions is not [appID]")
    if not isinstance(metrics, list) or len(metrics) != len(SUMMARY_METRICS):
        raise TrafficShapeError(f"{where}.metrics is not [count, bytesIngress, bytesEgress]")
    app_id = _app_id(dimensions[0], f"{where}.dimensions[0]")
    values = [_amount(value, f"{where}.metrics[{i}]") for i, value in enumerate(metrics)]
    return app_id, AppTraffic(*values)


def _app_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise TrafficShapeError(f"{where} is not an app id")
    return value.lower()


def _amount(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TrafficShapeError(f"{where} is not a number")
    if not math.isfinite(value) or value < 0 or value > 2**63:
        raise TrafficShapeError(f"{where} is not a count")
    return int(value)


def _plus(a: AppTraffic, b: AppTraffic) -> AppTraffic:
    return AppTraffic(
        a.connections + b.connections,
        a.bytes_ingress + b.bytes_ingress,
        a.bytes_egress + b.bytes_egress,
    )


# --- words ------------------------------------------------------------------------------------
def window_words(seconds: float) -> str:
    """``86400`` -> ``24 h``; ``5400`` -> ``90 min``; ``90`` -> ``90 s``."""
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)} min"
    return f"{seconds:g} s"


def size_words(count: int) -> str:
    """Bytes in decimal units, one decimal: ``3.1 GB``; under 1 kB in bytes."""
    amount = float(count)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if amount < 1000 or unit == "TB":
            return f"{count} B" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    raise AssertionError("unreachable")


def traffic_words(traffic: AppTraffic | None, window_s: float) -> str:
    """How a plan says an app's traffic over the window."""
    window = window_words(window_s)
    if traffic is None:
        return "traffic unknown"
    if not traffic.live:
        return f"idle for {window}"
    noun = "connection" if traffic.connections == 1 else "connections"
    return (
        f"carried {traffic.connections:,} {noun}, {size_words(traffic.bytes)} in the last {window}"
    )


# --- a plan's traffic ---------------------------------------------------------------------
DEFAULT_WINDOW_S = 86400.0


class SummaryReads(Protocol):
    """What ``attach`` needs from the live client (``live.cloudflare.analytics``)."""

    def summary(self, zone_id: str, window_s: float) -> ZoneTraffic: ...


def cuts_service(action: Action) -> bool:
    """An action that takes a live app away, for good or for a moment: delete, recreate."""
    return action.kind.destructive and action.app_id is not None


def attach(plan: Plan, reads: SummaryReads, window_s: float) -> Plan:
    """``plan`` with the traffic of every zone that has a delete or recreate: one summary read
    per such zone, none otherwise (``reads`` says unknown traffic once per zone)."""
    zones = sorted({a.zone_id for a in plan.actions if cuts_service(a)})
    return dataclasses.replace(plan, traffic=tuple(reads.summary(z, window_s) for z in zones))


def traffic_of(plan: Plan, action: Action) -> str | None:
    """How the plan says ``action``'s traffic; None when the action cuts nothing or its zone's
    traffic was not read."""
    zone = plan.zone_traffic(action.zone_id)
    if zone is None or not cuts_service(action) or action.app_id is None:
        return None
    return traffic_words(zone.of(action.app_id), zone.window_s)


def unknown_zones(plan: Plan) -> list[str]:
    """One line per zone whose traffic could not be read."""
    names = {a.zone_id: a.key.zone for a in plan.actions}
    return [
        f"zone {names.get(z.zone_id, z.zone_id)}: traffic unknown (the plan goes on): {z.reason}"
        for z in plan.traffic
        if not z.known
    ]


def traffic_to_dict(plan: Plan, action: Action) -> dict[str, Any] | None:
    """An action's traffic in the plan document (None: not read, or it cuts nothing)."""
    zone = plan.zone_traffic(action.zone_id)
    if zone is None or not cuts_service(action) or action.app_id is None:
        return None
    traffic = zone.of(action.app_id)
    return {
        "window_seconds": zone.window_s,
        "known": traffic is not None,
        **(traffic.to_dict() if traffic is not None else {"reason": zone.reason}),
        "words": traffic_words(traffic, zone.window_s),
    }


def section_to_dict(plan: Plan) -> list[dict[str, Any]]:
    """The plan document's ``traffic``: each zone read, what it said (apps by id) or why not."""
    return [
        {
            "zone_id": zone.zone_id,
            "window_seconds": zone.window_s,
            "known": zone.known,
            "reason": zone.reason,
            "apps": {k: v.to_dict() for k, v in sorted((zone.apps or {}).items())},
        }
        for zone in plan.traffic
    ]


def section_from_dict(items: Any) -> tuple[ZoneTraffic, ...]:
    """``section_to_dict`` read back (the document's schema was checked before)."""

    def apps(item: Mapping[str, Any]) -> dict[str, AppTraffic] | None:
        if not item["known"]:
            return None
        return {app_id: AppTraffic(**values) for app_id, values in item["apps"].items()}

    return tuple(
        ZoneTraffic(item["zone_id"], item["window_seconds"], apps(item), item["reason"])
        for item in items or ()
    )
