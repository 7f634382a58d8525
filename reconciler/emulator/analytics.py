"""Spectrum analytics: the events summary and the current aggregate, from seeded traffic.

In: a request's query and the ``Backend`` (store, clock, ``--traffic`` specs). Out: the
``result`` shapes of SDK 5.9.0 ``SummaryGetResponse`` (``data``, ``data_lag``, ``max``, ``min``,
``query``, ``rows``, ``totals``) and ``CurrentGetResponse`` (``[{appID, bytesEgress,
bytesIngress, connections, durationAvg}]``). ``--analytics-forbidden`` answers both with the 403
a token without Analytics Read gets. Pure but for the store it reads.

Chosen where nothing documents it: only the ``appID`` dimension is served (``event``,
``coloName``, ``ipVersion``: 400); ``filters``, ``sort`` and ``colo_name`` are accepted and
ignored; an app appears in the summary only if it carried something in the window, and in the
current aggregate only if it carried something in the last minute; ``data_lag`` is 0.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.backend import Backend, Handler, Query
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.fields import refuse
from reconciler.emulator.paging import int_param
from reconciler.emulator.store import TIME_FORMAT
from reconciler.emulator.traffic import DURATION_AVG_MS, Carried, carried, zone_app_ids

METRICS = (
    "count",
    "bytesIngress",
    "bytesEgress",
    "durationAvg",
    "durationMedian",
    "duration90th",
    "duration99th",
)
DIMENSIONS = ("appID",)
DEFAULT_SPAN = timedelta(hours=6)  # "since ... defaults to `until` - 6 hours" (SDK docstring)
_EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
_LATEST = datetime(9999, 1, 1, tzinfo=timezone.utc)


def summary(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``GET .../analytics/events/summary``: per app id, the metrics asked for."""
    _check_allowed(backend)
    dimensions = _list(query, "dimensions", DIMENSIONS, ())
    metrics = _list(query, "metrics", METRICS, ("count",))
    until = _time(query, "until") or datetime.fromtimestamp(backend.clock.wall(), timezone.utc)
    since = _time(query, "since") or until - DEFAULT_SPAN
    if since > until:
        raise refuse(codes.INVALID_REQUEST, "since must not be later than until")
    limit = int_param(query, "limit", 10_000, 1, 10_000)
    window = (
        backend.clock.from_wall(since.timestamp()),
        backend.clock.from_wall(until.timestamp()),
    )
    rows = _rows(backend, params["zone_id"].lower(), window, metrics)[:limit]
    if not dimensions:  # no breakdown: one row of totals
        rows = [([], [sum(r[1][i] for r in rows) for i in range(len(metrics))])] if rows else []
    data = [{"dimensions": d, "metrics": m} for d, m in rows]
    return success(
        {
            "data": data,
            "data_lag": 0,
            "max": _fold(max, rows, metrics),
            "min": _fold(min, rows, metrics),
            "totals": _fold(sum, rows, metrics),
            "rows": len(data),
            "query": {
                "dimensions": list(dimensions),
                "metrics": list(metrics),
                "since": since.strftime(TIME_FORMAT),
                "until": until.strftime(TIME_FORMAT),
                "limit": limit,
            },
        }
    )


def current(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``GET .../analytics/aggregate/current``: each app's last minute (``appID``: only those)."""
    _check_allowed(backend)
    wanted = {a.strip().lower() for a in query.get("appID", "").split(",") if a.strip()}
    zone_id = params["zone_id"].lower()
    now = backend.clock.now()
    items = []
    for app_id in zone_app_ids(backend.store, zone_id):
        if wanted and app_id not in wanted:
            continue
        got = _carried(backend, zone_id, app_id, (now - 60, now))
        if got.connections > 0:
            items.append(
                {
                    "appID": app_id,
                    "bytesEgress": round(got.bytes_egress),
                    "bytesIngress": round(got.bytes_ingress),
                    "connections": round(got.connections),
                    "durationAvg": DURATION_AVG_MS,
                }
            )
    return success(items)


def _check_allowed(backend: Backend) -> None:
    if backend.analytics_forbidden:  # what a token without Analytics Read is answered
        raise refuse(codes.REFUSED_TOKEN, "Authentication error")


def _rows(
    backend: Backend, zone_id: str, window: tuple[float, float], metrics: tuple[str, ...]
) -> list[tuple[list[str], list[float]]]:
    rows = []
    for app_id in zone_app_ids(backend.store, zone_id):
        got = _carried(backend, zone_id, app_id, window)
        if got.connections > 0:
            rows.append(([app_id], [_metric(name, got) for name in metrics]))
    return rows


def _carried(backend: Backend, zone_id: str, app_id: str, window: tuple[float, float]) -> Carried:
    app = backend.store.zone_apps(zone_id).get(app_id)
    account = backend.store.zones[zone_id]["account"]["id"]
    now = backend.clock.now()
    return carried(backend.store, backend.traffic, app, app_id, window, now, account)


def _metric(name: str, got: Carried) -> float:
    if name == "count":
        return round(got.connections)
    if name == "bytesIngress":
        return round(got.bytes_ingress)
    if name == "bytesEgress":
        return round(got.bytes_egress)
    return DURATION_AVG_MS  # every duration statistic: all connections last as long


def _fold(
    fold: Any, rows: list[tuple[list[str], list[float]]], metrics: tuple[str, ...]
) -> dict[str, float]:
    if not rows:
        return {name: 0 for name in metrics}
    return {name: fold(r[1][i] for r in rows) for i, name in enumerate(metrics)}


def _list(
    query: Query, name: str, allowed: tuple[str, ...], default: tuple[str, ...]
) -> tuple[str, ...]:
    """A comma-separated (or repeated: the server joins those) list parameter."""
    raw = query.get(name)
    if raw is None:
        return default
    values = tuple(v.strip() for v in raw.split(",") if v.strip())
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise refuse(
            codes.INVALID_REQUEST,
            f"{name}: {', '.join(unknown)} not supported; use {', '.join(allowed)}",
        )
    return values


def _time(query: Query, name: str) -> datetime | None:
    raw = query.get(name)
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)  # "uses UTC unless otherwise specified"
        moment = moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):  # "yesterday"; "0001-01-01T00:00:00+01:00"
        raise refuse(
            codes.INVALID_REQUEST, f"{name} must be an RFC 3339 time, got {raw!r}"
        ) from None
    if not _EARLIEST <= moment <= _LATEST:  # ``until - DEFAULT_SPAN`` must stay a date
        raise refuse(codes.INVALID_REQUEST, f"{name} must be within 1970..9998, got {raw!r}")
    return moment


ROUTES: tuple[tuple[tuple[str, ...], dict[str, Handler]], ...] = (
    (("zones", "{zone_id}", "spectrum", "analytics", "events", "summary"), {"GET": summary}),
    (("zones", "{zone_id}", "spectrum", "analytics", "aggregate", "current"), {"GET": current}),
)
