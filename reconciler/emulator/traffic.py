"""Seeded traffic: which apps carry connections, from when, and how much over a window.

In: ``--traffic HOSTNAME[:PROTOCOL]=CONNECTIONS_PER_MINUTE`` specs, the ``Store`` and the
emulator clock's ``now``. Out: the store's ``traffic`` section — per app id, the spans of clock
time it received traffic and at what rate — kept by ``settle``, which runs before every write
and every clock advance (the only moments what can receive traffic changes, but for a binding's
provisioning ending, which ``receiving_from`` knows in advance); and ``carried``, an app's
connections and bytes between two clock times. Pure but for the store it is given.

An app receives traffic while it exists and can be reached: dynamic edge IPs always; static
IPs when one of them is leased to the account, or sits in an approved, advertised prefix whose
most specific binding is Spectrum and active. A deleted app stops; a recreated one starts
afresh under its new id. Bytes per connection are chosen (no source gives a typical size).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.emulator.addressing.plane import locate_ip, most_specific
from reconciler.emulator.addressing.records import SPECTRUM, Record
from reconciler.emulator.clock import EmulatorClock
from reconciler.emulator.fields import IP, host_key
from reconciler.emulator.store import App, Store

# Chosen: 50 kB in and 200 kB out per connection (12,408 connections -> 3.1 GB).
BYTES_INGRESS_PER_CONNECTION = 50_000
BYTES_EGRESS_PER_CONNECTION = 200_000
DURATION_AVG_MS = 30_000.0  # chosen: every emulated connection lasts 30 s
_SPEC = re.compile(r"([^:=\s]+)(?::((?:tcp|udp)/\d{1,5}(?:-\d{1,5})?))?=([0-9.]+)")


@dataclass(frozen=True)
class TrafficSpec:
    """Apps named ``host`` (and ``protocol``, when given) receive ``per_minute`` connections."""

    host: str
    protocol: str | None
    per_minute: float


def parse_traffic_spec(text: str) -> TrafficSpec:
    """``ssh.example.com:tcp/22=120``; ``ValueError`` naming the value and the form."""
    match = _SPEC.fullmatch(text.strip())
    rate = _rate(match.group(3)) if match else None
    if match is None or rate is None:
        raise ValueError(
            f"--traffic {text!r}: use HOSTNAME[:PROTOCOL]=CONNECTIONS_PER_MINUTE, "
            "e.g. ssh.example.com:tcp/22=120"
        )
    return TrafficSpec(host_key(match.group(1)), match.group(2), rate)


def _rate(text: str) -> float | None:
    try:
        rate = float(text)
    except ValueError:
        return None
    return rate if math.isfinite(rate) and 0 <= rate <= 1e9 else None


def rate_of(app: App, specs: Sequence[TrafficSpec]) -> float:
    """The app's connections per minute: a spec naming its protocol wins over one that does not."""
    host = host_key(str(app.get("dns", {}).get("name", "")))
    named = [s for s in specs if s.host == host and s.protocol in (None, app.get("protocol"))]
    named.sort(key=lambda s: s.protocol is None)
    return named[0].per_minute if named else 0.0


def receiving_from(store: Store, app: App, account: str) -> float | None:
    """The clock time from which the app of a zone of ``account``, as the state is now,
    receives traffic (``-inf``: already; None: it cannot)."""
    edge = app.get("edge_ips") or {}
    if edge.get("type") != "static":
        return -math.inf
    times = [t for ip in edge.get("ips", ()) if (t := _ip_from(store, ip, account)) is not None]
    return min(times, default=None)


def _ip_from(store: Store, text: str, account: str) -> float | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    located = locate_ip(store, ip, account)
    if located.leased:  # space Cloudflare leases to this account: it announces it
        return -math.inf
    if (
        located.prefix is None
        or not located.mine
        or not located.approved
        or not _advertised(store, located.prefix, ip)
        or located.binding is None
        or located.service != SPECTRUM
    ):
        return None
    return float(located.binding["active_after"])


def _advertised(store: Store, prefix: Record, ip: IP) -> bool:
    best = most_specific(store.bgp_prefixes.get(prefix["id"], ()), ip)
    if best is None:
        return bool(prefix.get("advertised"))
    return bool(best["on_demand"]["advertised"])


def settle(store: Store, specs: Sequence[TrafficSpec], now: float) -> None:
    """Record every app's traffic from the last settle to ``now`` as the state has been since."""
    if not specs:
        return
    ledger = store.traffic
    since = float(ledger.get("settled", now))
    for zone_id, app in store.all_apps():
        account = store.zones[zone_id]["account"]["id"]
        span = _open_span(store, app, account, specs, since, now)
        if span is not None:
            entry = ledger.setdefault("apps", {}).setdefault(app["id"], {"zone": zone_id})
            _append(entry.setdefault("spans", []), span)
    ledger["settled"] = now


def advance(
    store: Store, specs: Sequence[TrafficSpec], clock: EmulatorClock, seconds: float
) -> None:
    """Move ``clock`` forward, the traffic until now settled first; the offset is persisted."""
    settle(store, specs, clock.now())
    clock.advance(seconds)
    store.traffic["offset"] = clock.offset


def _open_span(
    store: Store, app: App, account: str, specs: Sequence[TrafficSpec], since: float, now: float
) -> list[float] | None:
    rate = rate_of(app, specs)
    start = receiving_from(store, app, account)
    if rate <= 0 or start is None or max(since, start) >= now:
        return None
    return [max(since, start), now, rate]


def _append(spans: list[list[float]], span: list[float]) -> None:
    if spans and spans[-1][1] == span[0] and spans[-1][2] == span[2]:
        spans[-1][1] = span[1]  # one long span, not one per write
    else:
        spans.append(span)


@dataclass(frozen=True)
class Carried:
    connections: float
    bytes_ingress: float
    bytes_egress: float


def carried(
    store: Store,
    specs: Sequence[TrafficSpec],
    app: App | None,
    app_id: str,
    window: tuple[float, float],
    now: float,
    account: str,
) -> Carried:
    """What ``app_id`` carried in ``window`` (since, until: clock times), the span not yet
    settled included (``app``: the live app of a zone of ``account``, None once deleted)."""
    since, until = window
    spans = list(store.traffic.get("apps", {}).get(app_id, {}).get("spans", []))
    if app is not None:
        settled = float(store.traffic.get("settled", now))
        open_span = _open_span(store, app, account, specs, settled, now)
        spans += [open_span] if open_span else []
    minutes = sum(max(0.0, min(e, until) - max(s, since)) / 60 * r for s, e, r in spans)
    return Carried(
        minutes, minutes * BYTES_INGRESS_PER_CONNECTION, minutes * BYTES_EGRESS_PER_CONNECTION
    )


def zone_app_ids(store: Store, zone_id: str) -> list[str]:
    """Every app id of the zone that ever carried traffic or exists now, sorted."""
    recorded = store.traffic.get("apps", {})
    ids = {app_id for app_id, entry in recorded.items() if entry.get("zone") == zone_id}
    return sorted(ids | set(store.zone_apps(zone_id)))
