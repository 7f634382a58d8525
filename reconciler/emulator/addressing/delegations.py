"""The handlers for a prefix's delegations: list, create, delete.

In: the ``Backend`` and a request under ``prefixes/{prefix_id}/delegations`` of the prefix's
owner. Out: an ``EmulatorResponse`` with SDK 5.9.0 ``Delegations`` objects (``id``, ``cidr``,
``created_at``, ``delegated_account_id``, ``modified_at``, ``parent_prefix_id``); a delete
answers ``{"id"}`` (``DelegationDeleteResponse``). The receiving account may then use the CIDR's
addresses as static edge IPs; the prefix's bindings stay the owner's
(developers.cloudflare.com/byoip/concepts/prefix-delegations/). Refusals of a bad body are
11900 (chosen: Cloudflare documents none). Changes the store.
"""

from __future__ import annotations

import reconciler.emulator.codes as codes
from reconciler.emulator.accounts import is_account_id
from reconciler.emulator.addressing.flags import MAX_MAPPED_ADDRESSES
from reconciler.emulator.addressing.lookups import (
    cidr_inside,
    find_prefix,
    find_record,
    single_page,
)
from reconciler.emulator.addressing.records import delegation_record
from reconciler.emulator.backend import Backend, Query
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.fields import object_body, refuse


def list_delegations(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = find_prefix(backend.store, params)
    return single_page(backend.store.delegations.setdefault(prefix["id"], []))


def create_delegation(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``{cidr, delegated_account_id}``: a CIDR inside the prefix, lent to another account."""
    prefix = find_prefix(backend.store, params)
    doc = object_body(body)
    cidr, to = doc.get("cidr"), doc.get("delegated_account_id")
    if not is_account_id(to):
        raise refuse(codes.INVALID_REQUEST, "delegated_account_id must be an account id")
    to = to.lower()
    if to == prefix["account_id"]:
        raise refuse(codes.INVALID_REQUEST, "A prefix cannot be delegated to its own account")
    network = cidr_inside(prefix, cidr)
    if network.num_addresses > MAX_MAPPED_ADDRESSES:
        raise refuse(
            codes.INVALID_REQUEST,
            f"the emulator delegates at most {MAX_MAPPED_ADDRESSES} addresses at once",
        )
    existing = backend.store.delegations.setdefault(prefix["id"], [])
    if any(d["cidr"] == str(network) and d["delegated_account_id"] == to for d in existing):
        raise refuse(codes.INVALID_REQUEST, f"{network} is already delegated to {to}")
    record = delegation_record(str(network), to, prefix["id"])
    existing.append(record)
    return success(record)


def delete_delegation(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = find_prefix(backend.store, params)
    existing = backend.store.delegations.setdefault(prefix["id"], [])
    record = find_record(existing, params["delegation_id"], "Delegation")
    existing.remove(record)
    return success({"id": record["id"]})
