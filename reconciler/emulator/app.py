"""The emulator itself: one object, one lock, one ``handle`` that every adapter calls.

In: ``handle(method, path, query, headers, body)`` with the raw pieces of an HTTP request.
Out: an ``EmulatorResponse``, or ``DroppedConnection`` when a fault says the connection dies.
Per request, in order: admin paths (never limited or faulted), latency, rate limit, credentials,
fault draw, routing, the endpoint, persistence of a committed write.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx

from reconciler.emulator.auth import check_credentials, credential_fingerprint, credential_key
from reconciler.emulator.backend import Backend
from reconciler.emulator.clock import EmulatorClock, seconds_in
from reconciler.emulator.config import DOCUMENTATION_PREFIXES, EmulatorConfig
from reconciler.emulator.envelope import DroppedConnection, EmulatorResponse, Refusal, failure
from reconciler.emulator.faults import (
    FaultInjector,
    FaultKind,
    RateLimiter,
    ScriptedFaults,
    fault_answer,
    rate_limited_answer,
)
from reconciler.emulator.handlers import WRITES, Match, check_ids, no_route, resolve
from reconciler.emulator.startup import open_state, seed
from reconciler.emulator.traffic import advance, parse_traffic_spec, settle
from reconciler.emulator.transport import EmulatorTransport

API_PREFIX = "/client/v4"
ADMIN_PREFIX = "/__emulator__/"
Result = EmulatorResponse | DroppedConnection


class Emulator:
    """Cloudflare's Spectrum API in one process; thread-safe, every state change under one lock."""

    def __init__(
        self,
        config: EmulatorConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        on_wait: Callable[[], None] | None = None,
    ):
        """``on_wait``: called once if another process holds ``config.state_file``, before
        waiting for it; without it, ``StateLocked`` is raised at once."""
        self.config = config
        self._lock = threading.Lock()
        self._state, store, saved = open_state(config, on_wait)
        self._clock = EmulatorClock(wall_clock, float(store.traffic.get("offset", 0.0)))
        self._backend = Backend(
            store,
            config.virtual_networks,
            config.ip_firewall_default,
            put_keeps_omitted=config.put_keeps_omitted,
            keep_unknown_fields=config.keep_unknown_fields,
            binding_provisioning_s=config.binding_provisioning_s,
            clock=self._clock,
            traffic=tuple(parse_traffic_spec(spec) for spec in config.traffic),
            analytics_forbidden=config.analytics_forbidden,
            spectrum_records=config.spectrum_records,
            ipv4_hostname_quota=config.ipv4_hostname_quota,
            dns_conflict_code=config.dns_conflict_code,
            origin_dns_policy=config.origin_dns_policy,
        )
        self._limiter = RateLimiter(*config.rate_limit, clock=clock)
        self._faults = FaultInjector(config.fault_rate, config.seed)
        self._requests: Counter[str] = Counter()
        self._counts: Counter[str] = Counter()
        self._by_token: Counter[str] = Counter()
        with self._lock:
            changed = seed(store, config)
            settle(store, self._backend.traffic, self._clock.now())
            if self._state is not None and not saved:
                self._state.compact(store)  # the file exists from the start
            elif changed:
                self._persist()
            self._sync()

    def close(self) -> None:
        """Fold the journal into the state file and release it for other processes."""
        with self._lock:
            if self._state is not None:
                self._state.close(self._backend.store)
                self._state = None  # from here on, state lives in memory only

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @classmethod
    def sandbox(
        cls,
        path: str | os.PathLike[str],
        zones: Iterable[str] = (),
        on_wait: Callable[[], None] | None = None,
    ) -> Emulator:
        """The ``--sandbox`` set-up: state in ``path``, the documentation prefixes onboarded
        (approved, advertised, bound to Spectrum). ``on_wait``: see ``__init__``."""
        # No IPv4 hostname quota here: the sandbox account has whatever quota the command's
        # --ipv4-hostname-quota says, and the preflight holds the plan to it.
        config = EmulatorConfig(state_file=path, byoip_prefixes=DOCUMENTATION_PREFIXES)
        emulator = cls(config, on_wait=on_wait)
        for name in zones:
            emulator.ensure_zone(name)
        return emulator

    # --- the Python surface ------------------------------------------------------------------
    @property
    def account_id(self) -> str:
        return self._backend.store.account["id"]

    def transport(self, *, owned: bool = False) -> httpx.BaseTransport:
        """An httpx transport answering every request in-process (the host is ignored);
        ``owned``: closing it (with the client) closes the emulator too."""
        return EmulatorTransport(self, on_close=self.close if owned else None)

    def script_faults(self, script: Mapping[int, FaultKind]) -> ScriptedFaults:
        """From now on, fault exactly the writes ``script`` names (numbered from 1) instead of
        drawing faults at random; ``{}`` turns faults off. Returns the script, whose ``fired``
        lists the faults that happened. Faults take the real path: a lost response commits."""
        scripted = ScriptedFaults(script)
        with self._lock:
            self._faults = scripted
        return scripted

    def ensure_zone(self, name: str, zone_id: str | None = None) -> dict[str, Any]:
        """The zone called ``name``, created when missing (id ``zone_id``, else md5 of the name)."""
        return self._ensure(name, zone_id.lower() if zone_id else None)

    def ensure_zone_id(self, zone_id: str) -> dict[str, Any]:
        """The zone with this id (any case), created as ``<id>.zone.invalid`` when missing."""
        if re.fullmatch(r"[0-9a-fA-F]{32}", zone_id) is None:
            raise ValueError(f"zone id must be 32 hex digits, got {zone_id!r}")
        zone_id = zone_id.lower()
        return self._ensure(f"{zone_id}.zone.invalid", zone_id)

    def _ensure(self, name: str, zone_id: str | None) -> dict[str, Any]:
        with self._lock:
            zone, created = self._backend.store.ensure_zone(name, zone_id)
            if created:
                self._persist()
        self._sync()
        return dict(zone)

    def apps(self, zone_id: str) -> list[dict[str, Any]]:
        """A snapshot (deep copies) of the zone's stored apps."""
        with self._lock:
            store = self._backend.store
            return [json.loads(store.encoded(app_id)) for app_id in store.zone_apps(zone_id)]

    def stats(self) -> dict[str, Any]:
        """Requests under /client/v4 by method and path template, their total, 429s and faults;
        ``requests_by_token`` counts them by a short fingerprint of the credential (never it)."""
        with self._lock:
            return {
                "requests": dict(sorted(self._requests.items())),
                "total": sum(self._requests.values()),
                "rate_limited": self._counts["rate_limited"],
                "faults": sum(self._counts[kind.value] for kind in FaultKind),
                "faults_by_kind": {kind.value: self._counts[kind.value] for kind in FaultKind},
                "requests_by_token": dict(sorted(self._by_token.items())),
            }

    def reset_stats(self, *, state: bool = False) -> None:
        """Zero the counters, free every rate-limit window, re-seed faults; ``state`` drops apps."""
        with self._lock:
            self._requests.clear()
            self._counts.clear()
            self._by_token.clear()
            self._limiter.reset()
            self._faults.reset()
            if state:
                self._backend.store.clear_apps()
                self._persist()
        self._sync()

    # --- the request path ----------------------------------------------------------------
    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Result:
        """Answer one request; header names may come in any case."""
        method = method.upper()
        if path.startswith(ADMIN_PREFIX):
            return self._admin(method, path, query, body)
        if not (path == API_PREFIX or path.startswith(API_PREFIX + "/")):
            return failure(no_route(path))
        if self.config.latency_ms:
            time.sleep(self.config.latency_ms / 1000.0)  # outside the lock: slow, not serial
        lowered = {name.lower(): value for name, value in headers.items()}
        with self._lock:
            result = self._api(method, path, path[len(API_PREFIX) :], query, lowered, body)
        self._sync()  # fsync within 50 ms, one for every write of that time (persistence)
        return result

    def _api(
        self,
        method: str,
        full_path: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Result:
        match = resolve(method, path)
        self._requests[match.template] += 1
        self._by_token[credential_fingerprint(headers)] += 1
        decision = self._limiter.check(credential_key(headers))
        if not decision.allowed:
            self._counts["rate_limited"] += 1
            return rate_limited_answer(decision.headers)
        refusal = check_credentials(headers, self.config.token)
        fault = None if refusal else self._faults.draw(is_write=method in WRITES)
        if fault is not None:
            self._counts[fault.kind.value] += 1
        if fault is not None and fault.kind is not FaultKind.LOST_RESPONSE:
            return fault_answer(fault, decision.headers)
        if refusal is not None:
            response = failure(refusal)
        else:
            if method in WRITES:  # the traffic until now, before a write changes who receives it
                settle(self._backend.store, self._backend.traffic, self._clock.now())
            response = self._route(match, full_path, query, body)
        committed = method in WRITES and response.status == 200
        if committed:
            self._persist()
        if fault is not None:  # a lost response: the write above is already committed
            return DroppedConnection(committed=committed)
        response.headers.update(decision.headers)
        return response

    def _route(
        self, match: Match, full_path: str, query: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        try:
            if match.handler is None:
                raise no_route(full_path)
            check_ids(self._backend, match.params, full_path)
            return match.handler(self._backend, match.params, query, body)
        except Refusal as refusal:
            return failure(refusal)

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock forward (analytics history, binding provisioning)."""
        with self._lock:
            advance(self._backend.store, self._backend.traffic, self._clock, seconds)
            self._persist()
        self._sync()

    def _admin(
        self, method: str, path: str, query: Mapping[str, str], body: bytes
    ) -> EmulatorResponse:
        if (method, path) == ("POST", ADMIN_PREFIX + "advance"):
            return self._advance(body)
        if (method, path) == ("GET", ADMIN_PREFIX + "stats"):
            return _plain_json(self.stats())
        if (method, path) == ("POST", ADMIN_PREFIX + "reset"):
            self.reset_stats(state=query.get("state") in ("1", "true"))
            return _plain_json(self.stats())
        return failure(no_route(path))

    def _advance(self, body: bytes) -> EmulatorResponse:
        try:
            self.advance(seconds_in(body))
        except ValueError as bad:
            message = f'POST {ADMIN_PREFIX}advance takes {{"seconds": N}}: {bad}'
            return EmulatorResponse(400, json.dumps({"error": message}).encode(), {})
        return _plain_json({"offset": self._clock.offset})

    def _persist(self) -> None:
        if self._state is not None:
            self._state.commit(self._backend.store)

    def _sync(self) -> None:
        if self._state is not None:
            self._state.sync()


def _plain_json(document: Any) -> EmulatorResponse:
    return EmulatorResponse(
        200, json.dumps(document).encode(), {"Content-Type": "application/json"}
    )
