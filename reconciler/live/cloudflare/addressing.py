"""The address-plane reads: an account's services, BYOIP prefixes, their service bindings and BGP
advertisements — complete or failed, once per account per run, under the client's one limiter.

Requests per account: ``GET /services`` and ``GET /prefixes``, then per prefix its bindings and
its BGP prefixes (2 + 2 x prefixes). Only a prefix without BGP prefixes (an account still on the
legacy advertisement) costs one more: its ``bgp/status``. Static IPs in no prefix of the account
cost its address maps (``address_maps``: the list, then the maps until every IP is found).

A token without the account's IP Prefixes permission is told so in one line, with the way to
plan without these checks (``--skip-address-checks``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from reconciler.checks.addressing import (
    Address,
    AddressPlane,
    AddressPlaneError,
    MappedIPs,
    plane_from_api,
)
from reconciler.errors import (
    AuthError,
    NotFoundError,
    PermissionDeniedError,
    TransportError,
)
from reconciler.live.cloudflare.address_maps import AddressMapReader
from reconciler.live.cloudflare.envelope import count_in, list_result, object_result, result_info
from reconciler.live.cloudflare.transport import Transport

log = logging.getLogger("reconciler.live.cloudflare")

PERMISSION_HINT = (
    "the static edge IP checks read the account's address plane, which needs the token "
    "permission Account > IP Prefixes > Read; add it, or plan with --skip-address-checks "
    "(the plan then says the checks were skipped)"
)


class AddressReader:
    """Reads and caches each account's address plane for one run."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._planes: dict[str, AddressPlane] = {}
        self._accounts: dict[str, str] = {}
        self._zones: dict[str, Mapping[str, Any]] = {}  # zone objects seen: lookups and reads
        self._lock = threading.Lock()
        self._maps = AddressMapReader(transport, self._list)

    def account_of_zone(self, zone_id: str) -> str:
        """The account that owns a zone (``GET /zones/{id}``), read once per zone."""
        with self._lock:
            known = self._accounts.get(zone_id)
        if known is not None:
            return known
        account_id = account_id_of(self.zone_object(zone_id))
        if account_id is None:
            path = f"/zones/{zone_id}"
            raise TransportError("GET", path, status=200, detail="the zone names no account")
        self.remember_account(zone_id, account_id)
        return account_id

    def zone_object(self, zone_id: str) -> Mapping[str, Any]:
        """The zone object (its account, its plan): the one a lookup returned, else read once
        (``GET /zones/{id}``)."""
        with self._lock:
            known = self._zones.get(zone_id)
        if known is not None:
            return known
        path = f"/zones/{zone_id}"
        zone = object_result(self._transport.request("GET", path), "GET", path)
        self.remember_zone(zone_id, zone)
        return zone

    def remember_zone(self, zone_id: str, zone: Mapping[str, Any]) -> None:
        """A zone object read elsewhere (the zone lookup returns whole ones): no request more."""
        account_id = account_id_of(zone)
        with self._lock:
            self._zones[zone_id] = zone
            if account_id is not None:
                self._accounts[zone_id] = account_id

    def remember_account(self, zone_id: str, account_id: str) -> None:
        """A zone's account learnt elsewhere: no request needed."""
        with self._lock:
            self._accounts[zone_id] = account_id

    def plane(self, account_id: str) -> AddressPlane:
        """The account's whole address plane; every read completes or this raises."""
        with self._lock:
            cached = self._planes.get(account_id)
        if cached is not None:
            return cached
        try:
            plane = self._read(account_id)
        except (PermissionDeniedError, AuthError) as refused:
            raise PermissionDeniedError.needing(refused, PERMISSION_HINT) from None
        with self._lock:
            self._planes[account_id] = plane
        return plane

    def forget(self) -> None:
        """Drop the planes and address maps read: the next run reads them again. A zone's
        object (its account, its plan) is kept, as the zone lookups are."""
        with self._lock:
            self._planes.clear()
        self._maps.forget()

    def address_maps(self, account_id: str, wanted: frozenset[Address]) -> MappedIPs:
        """Which of ``wanted`` (IPs in no prefix of the account) its address maps list."""
        return self._maps.mapped(account_id, wanted)

    def _read(self, account_id: str) -> AddressPlane:
        base = f"/accounts/{account_id}/addressing"
        services = self._list(f"{base}/services")
        prefixes = self._list(f"{base}/prefixes")
        bindings: dict[str, list[Mapping[str, Any]]] = {}
        bgp: dict[str, list[Mapping[str, Any]]] = {}
        status: dict[str, Mapping[str, Any]] = {}
        for prefix in prefixes:
            prefix_id = str(prefix.get("id") or "")
            if not prefix_id:
                raise TransportError(
                    "GET", f"{base}/prefixes", status=200, detail="a prefix without an id"
                )
            here = f"{base}/prefixes/{prefix_id}"
            bindings[prefix_id] = self._list(f"{here}/bindings")
            bgp[prefix_id] = self._bgp_prefixes(f"{here}/bgp/prefixes")
            if not bgp[prefix_id]:
                path = f"{here}/bgp/status"
                status[prefix_id] = object_result(self._transport.request("GET", path), "GET", path)
        log.info("read: account %s has %d BYOIP prefixes", account_id, len(prefixes))
        try:
            return plane_from_api(account_id, prefixes, bindings, bgp, status, services)
        except AddressPlaneError as error:
            raise TransportError("GET", f"{base}/prefixes", status=200, detail=str(error)) from None

    def _list(self, path: str) -> list[Mapping[str, Any]]:
        # Single pages by design (SDK 5.9.0 ``SyncSinglePage``); a list that says it holds more
        # than it carries is refused rather than read as complete.
        body = self._transport.request("GET", path)
        items = list_result(body, "GET", path)
        total = count_in(result_info(body, "GET", path), "total_count", "GET", path)
        if total is not None and total > len(items):
            raise TransportError(
                "GET",
                path,
                status=200,
                detail=f"listing incomplete: {len(items)} of {total} came back",
                hint="re-run; the address plane must be read whole",
            )
        return items

    def _bgp_prefixes(self, path: str) -> list[Mapping[str, Any]]:
        """The BGP prefixes, or none where the API does not serve them (legacy status only)."""
        try:
            return self._list(path)
        except NotFoundError:
            return []


def account_id_of(zone: Mapping[str, Any]) -> str | None:
    """``zone.account.id`` of a zone object, when it carries one."""
    account = zone.get("account")
    if isinstance(account, Mapping) and account.get("id"):
        return str(account["id"])
    return None
