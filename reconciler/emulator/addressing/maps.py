"""The handlers for address maps: list and get (no writes).

In: the ``Backend`` and a request under ``/accounts/{account_id}/addressing/address_maps``.
Out: the maps Cloudflare made for the account — one holding its leased static IPs ("Cloudflare
creates an address map with your static IPs ... You cannot create another map using your static
IPs", developers.cloudflare.com/byoip/address-maps/), and (chosen: not documented) one per
delegation lent to it. Shapes: SDK 5.9.0 ``AddressMap`` in the list, ``AddressMapGetResponse``
(with ``ips`` and ``memberships``) from get. Cloudflare-managed maps say ``can_delete: false`` and
``can_modify_ips: false`` (the SDK's field notes); the membership is the account. The maps are
derived from the leases and delegations on every read, so nothing more is stored. Pure but for
the store it reads.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from reconciler.emulator.addressing.lookups import find_record, single_page
from reconciler.emulator.addressing.records import Record, stable_id
from reconciler.emulator.backend import Backend, Query
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.store import Store

_SUMMARY = (
    "id",
    "can_delete",
    "can_modify_ips",
    "created_at",
    "default_sni",
    "description",
    "enabled",
    "modified_at",
)


def list_address_maps(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    maps = account_maps(backend.store, params["account_id"].lower())
    return single_page([{key: m[key] for key in _SUMMARY} for m in maps])


def get_address_map(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    maps = account_maps(backend.store, params["account_id"].lower())
    return success(find_record(maps, params["address_map_id"], "Address map"))


def account_maps(store: Store, account: str) -> list[Record]:
    """The account's Cloudflare-made maps, whole (``ips`` and ``memberships`` included)."""
    maps: list[Record] = []
    leases = [lease for lease in store.leased if lease["account_id"] == account]
    if leases:
        cidrs = [lease["cidr"] for lease in leases]
        maps.append(
            _map(
                stable_id("address map leased", account),
                "Static IPs leased from Cloudflare",
                cidrs,
                min(lease["created_at"] for lease in leases),
                account,
            )
        )
    for delegations in store.delegations.values():
        for lent in delegations:
            if lent["delegated_account_id"] == account:
                maps.append(
                    _map(
                        stable_id("address map delegation", lent["id"]),
                        f"Delegated {lent['cidr']} (prefix {lent['parent_prefix_id']})",
                        [lent["cidr"]],
                        lent["created_at"],
                        account,
                    )
                )
    return maps


def _map(map_id: str, description: str, cidrs: list[str], stamp: str, account: str) -> Record:
    ips: list[dict[str, Any]] = [
        {"created_at": stamp, "ip": str(ip)}
        for cidr in cidrs
        for ip in _addresses(ipaddress.ip_network(cidr))
    ]
    return {
        "id": map_id,
        "can_delete": False,
        "can_modify_ips": False,
        "created_at": stamp,
        "default_sni": None,
        "description": description,
        "enabled": True,
        "modified_at": stamp,
        "ips": ips,
        "memberships": [
            {"can_delete": False, "created_at": stamp, "identifier": account, "kind": "account"}
        ],
    }


def _addresses(network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> list[Any]:
    """Every address of the CIDR (a /32 or /128 is its one address)."""
    return [network.network_address] if network.num_addresses == 1 else list(network)
