"""Spectrum analytics reads: a zone's traffic by app over a window, and its last minute.

Requests: ``GET /zones/{id}/spectrum/analytics/events/summary`` (``dimensions=appID``,
``metrics=count,bytesIngress,bytesEgress``, ``since``, ``until``) once per zone asked about, and
``GET /zones/{id}/spectrum/analytics/aggregate/current`` (optionally ``appID=a,b``) each time it
is asked (``verify`` polls it). Out: ``checks.traffic.ZoneTraffic`` values, keyed by app id.

Analytics are advice, never a reason to stop: a token without Analytics Read (Cloudflare's 403),
any other error after the transport's retries, or an answer of the wrong shape makes the zone's
traffic *unknown* with the reason (logged once per zone at info level; the plan says it to the
user once per zone); the caller goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from reconciler.checks.traffic import (
    SUMMARY_METRICS,
    TrafficShapeError,
    ZoneTraffic,
    current_from_api,
    summary_from_api,
    unknown,
)
from reconciler.errors import ApiError, AuthError, PermissionDeniedError
from reconciler.live.cloudflare.transport import Transport

log = logging.getLogger("reconciler.live.cloudflare")

PERMISSION_HINT = "the token needs Zone > Analytics > Read to show traffic"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AnalyticsReader:
    """Reads a zone's Spectrum analytics; a summary once per (zone, window), cached for the run."""

    def __init__(self, transport: Transport, *, now: Callable[[], datetime] = _utc_now) -> None:
        self._transport = transport
        self._now = now
        self._summaries: dict[tuple[str, float], ZoneTraffic] = {}
        self._said: set[str] = set()  # zones whose unknown traffic was already said
        self._lock = threading.Lock()

    def summary(self, zone_id: str, window_s: float) -> ZoneTraffic:
        """Each app's connections and bytes over the last ``window_s`` seconds."""
        key = (zone_id, window_s)
        with self._lock:
            known = self._summaries.get(key)
        if known is not None:
            return known
        # Whole seconds, rounded up: a window ending a moment from now still holds all of now.
        until = _next_second(self._now())
        params = {
            "dimensions": "appID",
            "metrics": ",".join(SUMMARY_METRICS),
            "since": _rfc3339(until - timedelta(seconds=window_s)),
            "until": _rfc3339(until),
        }
        path = f"/zones/{zone_id}/spectrum/analytics/events/summary"
        traffic = self._read(zone_id, window_s, path, params, summary_from_api)
        with self._lock:
            self._summaries[key] = traffic
        return traffic

    def forget(self) -> None:
        """Drop the summaries read (and which zones' unknown traffic was said): a new run."""
        with self._lock:
            self._summaries.clear()
            self._said.clear()

    def current(self, zone_id: str, app_ids: Sequence[str] = ()) -> ZoneTraffic:
        """Each app's last minute (``app_ids``: only those); read afresh on every call."""
        params = {"appID": ",".join(app_ids)} if app_ids else {}
        path = f"/zones/{zone_id}/spectrum/analytics/aggregate/current"
        return self._read(zone_id, 60.0, path, params, lambda z, _, r: current_from_api(z, r))

    def _read(
        self,
        zone_id: str,
        window_s: float,
        path: str,
        params: Mapping[str, str],
        parse: Callable[[str, float, Any], ZoneTraffic],
    ) -> ZoneTraffic:
        try:
            body = self._transport.request("GET", path, params=params)
            return parse(zone_id, window_s, body.get("result"))
        except (PermissionDeniedError, AuthError) as refused:
            reason = f"{_what(refused)} — {PERMISSION_HINT}"
        except ApiError as failed:
            reason = _what(failed)
        except TrafficShapeError as bad:
            reason = f"GET {path}: the API answered an unexpected shape: {bad}"
        self._say_once(zone_id, reason)
        return unknown(zone_id, window_s, reason)

    def _say_once(self, zone_id: str, reason: str) -> None:
        with self._lock:
            if zone_id in self._said:
                return
            self._said.add(zone_id)
        log.info("traffic: zone %s: traffic unknown: %s", zone_id, reason)


def _next_second(moment: datetime) -> datetime:
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _what(error: ApiError) -> str:
    """What the API said, without the hint meant for a failed run (this is only advice)."""
    said = "; ".join(str(e) for e in error.errors) or error.detail or type(error).__name__
    status = f"HTTP {error.status}" if error.status else "no response"
    return f"{error.method} {error.path}: {status}: {said}".splitlines()[0]
