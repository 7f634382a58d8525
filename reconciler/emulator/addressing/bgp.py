"""The handlers for a prefix's BGP prefixes and its (deprecated) advertisement status.

In: the ``Backend`` and a request under ``prefixes/{prefix_id}/bgp``. Out: an
``EmulatorResponse``; advertising or withdrawing the whole-prefix BGP prefix also moves the
prefix's own ``advertised``, as the two are one announcement. Changes the store.
"""

from __future__ import annotations

import ipaddress

import reconciler.emulator.codes as codes
from reconciler.emulator.addressing.lookups import (
    cidr_inside,
    find_prefix,
    find_record,
    single_page,
)
from reconciler.emulator.addressing.records import Record, bgp_prefix_record
from reconciler.emulator.backend import Backend, Query
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.fields import object_body, refuse
from reconciler.emulator.store import Store, now_rfc3339


def list_bgp_prefixes(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = find_prefix(backend.store, params)
    return single_page(backend.store.bgp_prefixes[prefix["id"]])


def get_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = find_prefix(backend.store, params)
    return success(
        find_record(backend.store.bgp_prefixes[prefix["id"]], params["bgp_prefix_id"], "BGP prefix")
    )


def create_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``{cidr}`` inside the prefix; a new BGP prefix starts withdrawn."""
    prefix = find_prefix(backend.store, params)
    cidr = object_body(body).get("cidr")
    network = cidr_inside(prefix, cidr)
    existing = backend.store.bgp_prefixes[prefix["id"]]
    if any(ipaddress.ip_network(b["cidr"]) == network for b in existing):
        raise refuse(codes.INVALID_REQUEST, f"BGP prefix {network} already exists")
    record = bgp_prefix_record(str(network), advertised=False)
    existing.append(record)
    return success(record)


def edit_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """PATCH ``on_demand.advertised``, ``asn_prepend_count``, ``auto_advertise_withdraw``."""
    store = backend.store
    prefix = find_prefix(store, params)
    record = find_record(store.bgp_prefixes[prefix["id"]], params["bgp_prefix_id"], "BGP prefix")
    doc = object_body(body)
    on_demand = doc.get("on_demand", {})
    if not isinstance(on_demand, dict):
        raise refuse(codes.INVALID_REQUEST, "on_demand must be an object")
    advertised = on_demand.get("advertised")
    if advertised is not None and not isinstance(advertised, bool):
        raise refuse(codes.INVALID_REQUEST, "on_demand.advertised must be a boolean")
    prepend = doc.get("asn_prepend_count")
    if prepend is not None and (
        not isinstance(prepend, int) or isinstance(prepend, bool) or prepend < 0
    ):
        raise refuse(codes.INVALID_REQUEST, "asn_prepend_count must be a non-negative integer")
    auto = doc.get("auto_advertise_withdraw")
    if auto is not None and not isinstance(auto, bool):
        raise refuse(codes.INVALID_REQUEST, "auto_advertise_withdraw must be a boolean")
    stamp = now_rfc3339(after=record["modified_at"])
    if prepend is not None:
        record["asn_prepend_count"] = prepend
    if auto is not None:
        record["auto_advertise_withdraw"] = auto
    if advertised is not None:
        _set_advertised(store, prefix, record, advertised, stamp)
    record["modified_at"] = stamp
    return success(record)


def get_bgp_status(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """Deprecated but served: the prefix-level advertisement."""
    prefix = find_prefix(backend.store, params)
    return success(_status(prefix))


def edit_bgp_status(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """PATCH ``{"advertised": bool}``: the prefix and its whole-prefix BGP prefix move together."""
    store = backend.store
    prefix = find_prefix(store, params)
    advertised = object_body(body).get("advertised")
    if not isinstance(advertised, bool):
        raise refuse(codes.INVALID_REQUEST, "advertised is a required boolean")
    whole = next((b for b in store.bgp_prefixes[prefix["id"]] if b["cidr"] == prefix["cidr"]), None)
    stamp = now_rfc3339(after=prefix["modified_at"])
    if whole is None:
        prefix["advertised"], prefix["advertised_modified_at"] = advertised, stamp
    else:
        _set_advertised(store, prefix, whole, advertised, stamp)
    return success(_status(prefix))


def _set_advertised(
    store: Store, prefix: Record, record: Record, advertised: bool, stamp: str
) -> None:
    """Advertise or withdraw a BGP prefix; the whole-prefix one is also the prefix's status.
    A prefix without on-demand advertisement is announced by Cloudflare, not toggled (chosen:
    refused with 11900, as no source documents the answer)."""
    if record["on_demand"].get("on_demand_enabled") is False:
        raise refuse(
            codes.INVALID_REQUEST,
            f"on-demand advertisement is not enabled for BGP prefix {record['cidr']}",
        )
    if record["on_demand"]["advertised"] != advertised:
        record["on_demand"]["advertised"] = advertised
        record["on_demand"]["advertised_modified_at"] = stamp
    if record["cidr"] == prefix["cidr"] and prefix["advertised"] != advertised:
        prefix["advertised"] = advertised
        prefix["advertised_modified_at"] = stamp
        prefix["modified_at"] = stamp


def _status(prefix: Record) -> Record:
    return {
        "advertised": prefix["advertised"],
        "advertised_modified_at": prefix["advertised_modified_at"],
    }


def delete_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """An advertised BGP prefix "must be withdrawn before it can be deleted" (SDK 5.9.0
    docstring); the code is chosen here (11911)."""
    prefix = find_prefix(backend.store, params)
    records = backend.store.bgp_prefixes[prefix["id"]]
    record = find_record(records, params["bgp_prefix_id"], "BGP prefix")
    if record["on_demand"]["advertised"]:
        raise refuse(
            codes.BGP_PREFIX_ADVERTISED,
            f"BGP prefix {record['cidr']} is advertised: withdraw it before deleting it",
        )
    records.remove(record)
    return success(None)
