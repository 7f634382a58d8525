"""The preflight reads: a zone's account and plan, its DNS records, an account's zones and
their apps — each once per run, only when the plan's checks ask, under the client's limiter.

Requests: none for a zone's facts when the zone was looked up by name (the lookup returns the
whole zone object), else ``GET /zones/{id}`` once (shared with the address check); one listing
of ``GET /zones/{id}/dns_records`` per zone with a create (``per_page`` 5000: one page for
almost every zone); ``GET /zones?account.id=`` once per account, with ``--account-wide`` or
an ``origin_dns`` write; with ``--account-wide``, each undeclared zone's apps. A token that
may not read DNS records is told which permission to add.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from reconciler.checks.preflight import (
    HostRecord,
    ZoneFacts,
    host_records_from_api,
    zone_facts_from_api,
)
from reconciler.errors import AuthError, PermissionDeniedError
from reconciler.live.cloudflare.addressing import AddressReader
from reconciler.live.cloudflare.listing import read_apps
from reconciler.live.cloudflare.pages import read_all
from reconciler.live.cloudflare.transport import Transport

RECORDS_PER_PAGE = 5000
ZONES_PER_PAGE = 50  # the zones list's maximum
DNS_HINT = (
    "the preflight reads the zone's DNS records to find hostnames a manual record holds, which "
    "needs the token permission Zone > DNS > Read; add it"
)


class PreflightReader:
    """Fills ``checks.preflight.PreflightReads`` from the API, caching every answer."""

    def __init__(self, transport: Transport, addresses: AddressReader) -> None:
        self._transport = transport
        self._addresses = addresses
        self._records: dict[str, tuple[HostRecord, ...]] = {}
        self._account_zones: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop the records and zone lists read: the next run reads them again."""
        with self._lock:
            self._records.clear()
            self._account_zones.clear()

    def zone_facts(self, zone_id: str) -> ZoneFacts:
        return zone_facts_from_api({"id": zone_id, **self._addresses.zone_object(zone_id)})

    def host_records(self, zone_id: str) -> tuple[HostRecord, ...]:
        with self._lock:
            known = self._records.get(zone_id)
        if known is not None:
            return known
        records = self.read_host_records(zone_id)
        with self._lock:
            self._records[zone_id] = records
        return records

    def read_host_records(self, zone_id: str) -> tuple[HostRecord, ...]:
        """The zone's A, AAAA and CNAME records as they are now (not cached: ``verify`` reads
        them after the writes that made Spectrum's own)."""
        path = f"/zones/{zone_id}/dns_records"
        try:
            items = read_all(self._transport, path, RECORDS_PER_PAGE)
        except (PermissionDeniedError, AuthError) as refused:
            raise PermissionDeniedError.needing(refused, DNS_HINT) from None
        return host_records_from_api(items)

    def account_zones(self, account_id: str) -> tuple[str, ...]:
        """Every zone id of the account (``--account-wide``, origin zones); the objects are
        kept, the listing read once."""
        with self._lock:
            known = self._account_zones.get(account_id)
        if known is not None:
            return known
        zones = read_all(
            self._transport, "/zones", ZONES_PER_PAGE, params={"account.id": account_id}
        )
        for zone in zones:
            self._addresses.remember_zone(str(zone.get("id")), zone)
        ids = tuple(str(zone.get("id")) for zone in zones if zone.get("id"))
        with self._lock:
            self._account_zones[account_id] = ids
        return ids

    def zone_apps(self, zone_id: str) -> tuple[Mapping[str, Any], ...]:
        return tuple(app.config for app in read_apps(self._transport, zone_id))
