"""Pure: an app's traffic as Spectrum analytics report it, and how a plan says it.

In: the ``result`` of ``GET /zones/{id}/spectrum/analytics/events/summary`` (``dimensions=
appID``, ``metrics=count,bytesIngress,bytesEgress``) or of ``.../analytics/aggregate/current``,
both untrusted. Out: a ``ZoneTraffic`` — immutable, keyed by app id, or *unknown* with the reason
(the client turns a refused or failed read into that; see ``live.cloudflare.analytics``) — and
the words a plan uses: "carried 12,408 connections, 3.1 GB in the last 24 h", "idle for 24 h",
"traffic unknown". A malformed answer raises ``TrafficShapeError`` naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

SUMMARY_METRICS = ("count", "bytesIngress", "bytesEgress")


class TrafficShapeError(ValueError):
    """An analytics answer that is not the documented shape; ``str()`` says which field."""


@dataclass(frozen=True)
class AppTraffic:
    """What one app carried: connections and bytes in each direction."""

    connections: int = 0
    bytes_ingress: int = 0
    bytes_egress: int = 0

    @property
    def bytes(self) -> int:
        return self.bytes_ingress + self.bytes_egress

    @property
    def live(self) -> bool:
        return self.connections > 0 or self.bytes > 0

    def to_dict(self) -> dict[str, int]:
        return {
            "connections": self.connections,
            "bytes_ingress": self.bytes_ingress,
            "bytes_egress": self.bytes_egress,
        }


IDLE = AppTraffic()


@dataclass(frozen=True)
class ZoneTraffic:
    """A zone's traffic over ``window_s`` seconds, by app id; ``apps`` None: unknown (``reason``
    says why). An app the answer does not name carried nothing."""

    zone_id: str
    window_s: float
    apps: Mapping[str, AppTraffic] | None = field(default=None)
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.apps is not None:
            object.__setattr__(self, "apps", MappingProxyType(dict(self.apps)))

    @property
    def known(self) -> bool:
        return self.apps is not None

    def of(self, app_id: str) -> AppTraffic | None:
        """The app's traffic; None when the zone's analytics could not be read."""
        if self.apps is None:
            return None
        return self.apps.get(app_id, IDLE)


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


def zone_traffic_map(zones: Sequence[ZoneTraffic]) -> Mapping[str, ZoneTraffic]:
    """By zone id (the plan looks a zone's traffic up by its actions' zone)."""
    return MappingProxyType({zone.zone_id: zone for zone in zones})
