"""The address plane's objects: the services a prefix can be bound to, each stored record.

In: CIDRs and the state a record starts in. Out: plain JSON-shaped dicts in the shape Cloudflare
serves them (SDK 5.9.0 ``Prefix``, ``ServiceBinding``, ``BGPPrefix``); a binding is stored with
its ``active_after`` time and shown with the state that time gives. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

from reconciler.emulator.store import md5_hex, now_rfc3339

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Record = dict[str, Any]

# Flag keyword -> the service's name as ``GET /addressing/services`` lists it.
SERVICE_NAMES = {"spectrum": "Spectrum", "cdn": "CDN", "magic_transit": "Magic Transit"}
SERVICES: tuple[Record, ...] = tuple(
    {"id": md5_hex("service " + name), "name": name} for name in SERVICE_NAMES.values()
)
MAGIC_TRANSIT = "Magic Transit"
SPECTRUM = "Spectrum"
PREFIX_ASN = 209242
# ``binding=provisioning``: a binding that stays provisioning (epoch seconds, JSON-safe).
NEVER_ACTIVE = float(2**53)
_VALIDATION = {True: "complete", False: "pending"}  # *_validation_state: chosen strings


def prefix_record(
    cidr: str, account_id: str, approved: bool, advertised: bool, on_demand: bool = True
) -> Record:
    """With ``on_demand`` False, ``advertised`` and its time are null: the field "is only not
    null if on demand is enabled" (SDK 5.9.0 ``types/addressing/prefix.py``)."""
    stamp = now_rfc3339()
    record = {
        "id": stable_id("prefix", cidr),
        "account_id": account_id,
        "cidr": cidr,
        "description": "Onboarded by the emulator",
        "asn": PREFIX_ASN,
        "approved": "V" if approved else "P",
        "advertised": advertised,
        "advertised_modified_at": stamp,
        "on_demand_enabled": True,
        "on_demand_locked": False,
        "loa_document_id": None,
        "delegate_loa_creation": False,
        "irr_validation_state": _VALIDATION[approved],
        "ownership_validation_state": _VALIDATION[approved],
        "ownership_validation_token": md5_hex("ownership " + cidr),
        "rpki_validation_state": _VALIDATION[approved],
        "created_at": stamp,
        "modified_at": stamp,
    }
    if not on_demand:
        record.update(advertised=None, advertised_modified_at=None, on_demand_enabled=False)
    return record


def stable_id(kind: str, cidr: str) -> str:
    """Objects a flag makes get ids derived from their CIDR, the same on every start."""
    return md5_hex(f"{kind} {cidr}")


def binding_record(
    cidr: str,
    service_name: str,
    active_after: float,
    binding_id: str | None = None,
    *,
    route_missing: bool = False,
) -> Record:
    """The stored form: the API's fields plus ``active_after`` (epoch seconds) and, for a
    binding held in ``magic_transit_route_missing``, ``route_missing``."""
    record: Record = {
        "id": binding_id or uuid.uuid4().hex,
        "cidr": cidr,
        "service_id": md5_hex("service " + service_name),
        "service_name": service_name,
        "active_after": active_after,
    }
    if route_missing:
        record["route_missing"] = True
    return record


def bgp_prefix_record(
    cidr: str, advertised: bool, bgp_id: str | None = None, *, on_demand: bool = True
) -> Record:
    """With ``on_demand`` False, ``on_demand.advertised`` and its time are null (SDK 5.9.0
    ``BGPPrefix.OnDemand``: "only not 'null' if on demand is enabled")."""
    stamp = now_rfc3339()
    record: Record = {
        "id": bgp_id or uuid.uuid4().hex,
        "asn": PREFIX_ASN,
        "asn_prepend_count": 0,
        "auto_advertise_withdraw": False,
        "bgp_signal_opts": {"enabled": False, "modified_at": None},
        "cidr": cidr,
        "created_at": stamp,
        "modified_at": stamp,
        "on_demand": {
            "advertised": advertised,
            "advertised_modified_at": stamp,
            "on_demand_enabled": True,
            "on_demand_locked": False,
        },
    }
    if not on_demand:
        record["on_demand"].update(
            advertised=None, advertised_modified_at=None, on_demand_enabled=False
        )
    return record


def delegation_record(cidr: str, to: str, parent_prefix_id: str, *, stable: bool = False) -> Record:
    """SDK 5.9.0 ``Delegations``; a seeded one gets an id derived from its CIDR and receiver."""
    stamp = now_rfc3339()
    return {
        "id": stable_id("delegation", f"{cidr} {to}") if stable else uuid.uuid4().hex,
        "cidr": cidr,
        "created_at": stamp,
        "delegated_account_id": to,
        "modified_at": stamp,
        "parent_prefix_id": parent_prefix_id,
    }


def render_binding(binding: Record, now: float) -> Record:
    shown = {k: v for k, v in binding.items() if k not in ("active_after", "route_missing")}
    state = "active" if now >= binding["active_after"] else "provisioning"
    if binding.get("route_missing"):
        state = "magic_transit_route_missing"  # chosen: held there until the flag's start ends
    shown["provisioning"] = {"state": state}
    return shown
