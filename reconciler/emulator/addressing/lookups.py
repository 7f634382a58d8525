"""What every address-plane handler shares: the record a path names, the body, one page.

In: the ``Store`` and a request's path parameters or body. Out: the stored record (or a 11908
``Refusal`` naming what was not found), the body as a JSON object (or a 400), and a list answered
as Cloudflare answers these: one page holding everything. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.addressing.records import Record
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.fields import refuse
from reconciler.emulator.store import Store


def account_prefixes(store: Store, params: dict[str, str]) -> list[Record]:
    """The prefixes of the account the path names: another account's are not seen."""
    account = params["account_id"].lower()
    return [prefix for prefix in store.prefixes if prefix["account_id"] == account]


def find_prefix(store: Store, params: dict[str, str]) -> Record:
    return find_record(account_prefixes(store, params), params["prefix_id"], "Prefix")


def find_record(records: Iterable[Record], record_id: str, what: str) -> Record:
    wanted = record_id.lower()
    for record in records:
        if record["id"] == wanted:
            return record
    raise refuse(codes.ADDRESSING_NOT_FOUND, f"{what} {wanted} not found")


def single_page(items: list[Record]) -> EmulatorResponse:
    count = len(items)
    info = {
        "page": 1,
        "per_page": max(count, 1),
        "count": count,
        "total_count": count,
        "total_pages": 1,
    }
    return success(items, info)


def cidr_inside(prefix: Record, cidr: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A request body's ``cidr``: a CIDR of the prefix's version inside it, else 400 (11900)."""
    try:
        network = ipaddress.ip_network(cidr) if isinstance(cidr, str) else None
    except ValueError:
        network = None
    whole = ipaddress.ip_network(prefix["cidr"])
    if network is None or network.version != whole.version or not network.subnet_of(whole):  # type: ignore[arg-type]
        raise refuse(codes.INVALID_REQUEST, f"cidr must be a CIDR inside {whole}")
    return network
