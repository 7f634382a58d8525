"""I/O shell: one API client per token, for desired states that span several Cloudflare accounts.

In: the declared zones (each names the variable holding its token, ``token_env``, or takes
``CLOUDFLARE_API_TOKEN``) and the connection flags. Out: ``Accounts``, which reads every zone —
the zones of different tokens concurrently, each token paced by its own rate limiter, because
Cloudflare's budget (1200 requests per 5 minutes) is per token — and splits a plan into one
part per token, so that each part is written through the client that may write it.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from reconciler.live.cloudflare import CloudflareClient, RequestObserver
from reconciler.live.connect import (
    Connection,
    ensure_sandbox_zones,
    open_client,
    open_sandbox,
    token_env_of,
)
from reconciler.live.routing import AddressRouter, AnalyticsRouter, Owners, PreflightRouter
from reconciler.model import DEFAULT_TOKEN_ENV, LiveZone, ZoneSpec
from reconciler.plan import Plan

if TYPE_CHECKING:
    from reconciler.emulator import Emulator


def by_token(zones: Sequence[ZoneSpec]) -> dict[str, tuple[ZoneSpec, ...]]:
    """The zones grouped by the variable that holds their token, in first-seen order."""
    groups: dict[str, list[ZoneSpec]] = {}
    for zone in zones:
        groups.setdefault(token_env_of(zone), []).append(zone)
    return {env: tuple(group) for env, group in groups.items()}


@dataclass(frozen=True)
class PlanPart:
    """The actions of the zones one token owns, to apply through that token's client."""

    token_env: str
    client: CloudflareClient
    plan: Plan


class Accounts:
    """A client per distinct token, opened on first need and kept (with its rate limiter)."""

    def __init__(self, connection: Connection, *, observer: RequestObserver | None = None):
        self.connection = connection
        self.observer = observer
        self.clients: dict[str, CloudflareClient] = {}
        self._sandbox: Emulator | None = None
        self._owner: dict[str, str] = {}  # zone id -> token_env, learnt from the reads
        # ``clients`` grows in the early-read thread while the command's thread may cancel:
        # the lock makes each client opened either seen by ``cancel`` or opened cancelled.
        self._lock = threading.Lock()
        self._cancelled = False
        owners = Owners(self._client_of_zone, self._first_client)
        self.addresses = AddressRouter(owners)  # the address check's reads, by zone's token
        self.preflight = PreflightRouter(owners)  # the preflight's reads, likewise
        self.analytics = AnalyticsRouter(owners)  # the plan's traffic reads, likewise

    def fetch_live(self, zones: Sequence[ZoneSpec]) -> tuple[LiveZone, ...]:
        """Every zone's live apps; the zones of each token read by its own client, in parallel.

        Every token's variable is checked before any request, so a missing one fails the read
        whole, naming the variable."""
        groups = by_token(zones)
        self._open(groups, zones)
        if len(groups) <= 1:  # in this thread: Ctrl-C reaches the client's own handling
            return tuple(zone for group in groups.items() for zone in self._fetch(group))
        pool = ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="token")
        try:
            reads = list(pool.map(self._fetch, groups.items()))
        except KeyboardInterrupt:  # stop every token's retries now, as one client does
            for client in self.clients.values():
                client.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return tuple(zone for group in reads for zone in group)

    def _client_of_zone(self, zone_id: str) -> CloudflareClient | None:
        env = self._owner.get(zone_id)
        return self.clients.get(env) if env else None

    def _first_client(self) -> CloudflareClient:
        if not self.clients:
            self._add(DEFAULT_TOKEN_ENV)
        return next(iter(self.clients.values()))

    def _add(self, env: str) -> None:
        client = open_client(
            self.connection, token_env=env, sandbox=self._sandbox, observer=self.observer
        )
        with self._lock:
            self.clients[env] = client
            if self._cancelled:
                client.cancel()

    def _open(self, groups: Mapping[str, Sequence[ZoneSpec]], zones: Sequence[ZoneSpec]) -> None:
        if self.connection.sandbox:
            if self._sandbox is None:
                self._sandbox = open_sandbox(self.connection, ())
            ensure_sandbox_zones(self._sandbox, zones)
        for env in groups:
            if env not in self.clients:
                self._add(env)

    def _fetch(self, group: tuple[str, Sequence[ZoneSpec]]) -> tuple[LiveZone, ...]:
        env, zones = group
        live = self.clients[env].fetch_live(zones)
        for zone in live:
            self._owner[zone.zone_id] = env
        return live

    def split(self, plan: Plan) -> list[PlanPart]:
        """The plan cut by token: each part's actions and zones belong to one token."""
        parts = []
        for env, client in self.clients.items():
            zones = tuple(z for z in plan.zones if self._owner.get(z.zone_id) == env)
            ids = {z.zone_id for z in zones}
            actions = tuple(a for a in plan.actions if a.zone_id in ids)
            parts.append(PlanPart(env, client, replace(plan, actions=actions, zones=zones)))
        return parts

    def budget(self) -> dict[str, int]:
        """Requests left in each token's budget window."""
        return {env: client.limiter.remaining() for env, client in self.clients.items()}

    def cancel(self) -> None:
        """Stop every token's reads at their next request (Ctrl-C, or early reads not wanted);
        safe from another thread while a read opens clients: one opened later is cancelled."""
        with self._lock:
            self._cancelled = True
            clients = list(self.clients.values())
        for client in clients:
            client.cancel()

    def close(self) -> None:
        with self._lock:
            clients = list(self.clients.values())
        for client in clients:
            client.close()
        if self._sandbox is not None:
            self._sandbox.close()  # releases the sandbox for the next run

    def __enter__(self) -> Accounts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
