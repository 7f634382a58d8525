"""I/O shell: several clients' address-plane and preflight reads, as one reader of each kind.

In: ``Owners`` — which client read a zone (``Accounts``: the zone's token), and the client to ask
when nothing says. Out: ``AddressRouter`` (``checks.static_ips.AddressPlanes``) and
``PreflightRouter`` (``checks.preflight.PreflightReads``) and ``AnalyticsRouter`` (the plan's
traffic reads): each question goes to the client that
owns the zone, or that first saw a zone of the account, so a plan across tokens is checked in
one pass — an account's IPv4 quota counts its zones whatever token read them. Each client still
caches its own answers and paces its own requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from reconciler.checks.addressing import Address, AddressPlane, MappedIPs
from reconciler.checks.preflight import HostRecord, ZoneFacts
from reconciler.live.cloudflare import CloudflareClient
from reconciler.plan import ZoneTraffic


class Owners:
    """Which client to ask about a zone or an account; learns accounts as answers come in."""

    def __init__(
        self,
        zone_owner: Callable[[str], CloudflareClient | None],
        fallback: Callable[[], CloudflareClient],
    ) -> None:
        self._zone_owner = zone_owner
        self._fallback = fallback
        self._accounts: dict[str, CloudflareClient] = {}
        self._listed: dict[str, CloudflareClient] = {}  # zones no file declares, by lister
        self._lock = threading.Lock()

    def of_zone(self, zone_id: str) -> CloudflareClient:
        owner = self._zone_owner(zone_id)
        if owner is not None:
            return owner
        with self._lock:
            listed = self._listed.get(zone_id)
        return listed or self._fallback()

    def of_account(self, account_id: str) -> CloudflareClient:
        with self._lock:
            known = self._accounts.get(account_id)
        return known or self._fallback()

    def learn(self, account_id: str, client: CloudflareClient) -> None:
        if account_id:
            with self._lock:
                self._accounts.setdefault(account_id, client)

    def learn_zones(self, zone_ids: Iterable[str], client: CloudflareClient) -> None:
        with self._lock:
            for zone_id in zone_ids:
                self._listed.setdefault(zone_id, client)


class AddressRouter:
    """``AddressPlanes`` over several clients."""

    def __init__(self, owners: Owners) -> None:
        self._owners = owners

    def account_of_zone(self, zone_id: str) -> str:
        client = self._owners.of_zone(zone_id)
        account = client.addresses.account_of_zone(zone_id)
        self._owners.learn(account, client)
        return account

    def plane(self, account_id: str) -> AddressPlane:
        return self._owners.of_account(account_id).addresses.plane(account_id)

    def address_maps(self, account_id: str, wanted: frozenset[Address]) -> MappedIPs:
        return self._owners.of_account(account_id).addresses.address_maps(account_id, wanted)


class PreflightRouter:
    """``PreflightReads`` over several clients."""

    def __init__(self, owners: Owners) -> None:
        self._owners = owners

    def zone_facts(self, zone_id: str) -> ZoneFacts:
        client = self._owners.of_zone(zone_id)
        facts = client.preflight.zone_facts(zone_id)
        self._owners.learn(facts.account_id, client)
        return facts

    def host_records(self, zone_id: str) -> tuple[HostRecord, ...]:
        return self._owners.of_zone(zone_id).preflight.host_records(zone_id)

    def account_zones(self, account_id: str) -> tuple[str, ...]:
        client = self._owners.of_account(account_id)
        zone_ids = client.preflight.account_zones(account_id)
        self._owners.learn_zones(zone_ids, client)
        return zone_ids

    def zone_apps(self, zone_id: str) -> tuple[Mapping[str, Any], ...]:
        return self._owners.of_zone(zone_id).preflight.zone_apps(zone_id)


class AnalyticsRouter:
    """``checks.traffic.SummaryReads`` over several clients: each zone's traffic, its token's."""

    def __init__(self, owners: Owners) -> None:
        self._owners = owners

    def summary(self, zone_id: str, window_s: float) -> ZoneTraffic:
        return self._owners.of_zone(zone_id).analytics.summary(zone_id, window_s)
