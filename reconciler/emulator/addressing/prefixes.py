"""The handlers for services, prefixes and service bindings, with the binding rules.

In: the ``Backend`` and a request under ``/accounts/{account_id}/addressing`` (services,
prefixes, ``prefixes/{prefix_id}/bindings``). Out: an ``EmulatorResponse``; a binding the rules of
developers.cloudflare.com/byoip/service-bindings/ forbid is refused (11907). Changes the store.
"""

from __future__ import annotations

import ipaddress

import reconciler.emulator.codes as codes
from reconciler.emulator.addressing.lookups import (
    account_prefixes,
    find_prefix,
    find_record,
    single_page,
)
from reconciler.emulator.addressing.records import (
    MAGIC_TRANSIT,
    SERVICES,
    Network,
    Record,
    binding_record,
    render_binding,
)
from reconciler.emulator.backend import Backend, Query
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.fields import object_body, refuse


def list_services(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    return single_page([dict(service) for service in SERVICES])


def list_prefixes(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    return single_page(account_prefixes(backend.store, params))


def get_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    return success(find_prefix(backend.store, params))


def list_bindings(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = find_prefix(backend.store, params)
    now = backend.clock.now()
    return single_page([render_binding(b, now) for b in backend.store.bindings[prefix["id"]]])


def get_binding(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = find_prefix(backend.store, params)
    binding = find_record(
        backend.store.bindings[prefix["id"]], params["binding_id"], "Service binding"
    )
    return success(render_binding(binding, backend.clock.now()))


def create_binding(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``{cidr, service_id}``; provisioning for ``--binding-provisioning-s``, then active."""
    prefix = find_prefix(backend.store, params)
    doc = object_body(body)
    cidr, service_id = doc.get("cidr"), doc.get("service_id")
    if not isinstance(cidr, str) or not isinstance(service_id, str):
        raise refuse(codes.INVALID_REQUEST, "cidr and service_id are required strings")
    service = next((s for s in SERVICES if s["id"] == service_id.lower()), None)
    if service is None:
        raise refuse(codes.INVALID_REQUEST, f"Unknown service_id {service_id}")
    existing = backend.store.bindings[prefix["id"]]
    network = _binding_network(cidr, prefix, existing, service["name"])
    now = backend.clock.now()
    binding = binding_record(str(network), service["name"], now + backend.binding_provisioning_s)
    existing.append(binding)
    return success(render_binding(binding, now))


def _binding_network(cidr: str, prefix: Record, existing: list[Record], service: str) -> Network:
    """The binding rules of developers.cloudflare.com/byoip/service-bindings/."""
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError:
        raise refuse(codes.INVALID_REQUEST, f"cidr {cidr!r} is not a CIDR") from None
    whole = ipaddress.ip_network(prefix["cidr"])
    if network.version != whole.version or not network.subnet_of(whole):  # type: ignore[arg-type]
        raise refuse(codes.BINDING_REFUSED, f"{network} is not inside the prefix {whole}")
    if not existing and network != whole:
        raise refuse(
            codes.BINDING_REFUSED,
            f"The first service binding of a prefix must cover all of it ({whole})",
        )
    if service == MAGIC_TRANSIT and network != whole:
        raise refuse(
            codes.BINDING_REFUSED, "Magic Transit can only be the prefix's default binding"
        )
    if any(ipaddress.ip_network(b["cidr"]) == network for b in existing):
        raise refuse(
            codes.BINDING_REFUSED,
            f"{network} already has a service binding: an IP is bound to one service",
        )
    return network


def delete_binding(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """The default (whole-prefix) binding goes last: more specific ones depend on it."""
    prefix = find_prefix(backend.store, params)
    bindings = backend.store.bindings[prefix["id"]]
    binding = find_record(bindings, params["binding_id"], "Service binding")
    if binding["cidr"] == prefix["cidr"] and len(bindings) > 1:
        raise refuse(
            codes.BINDING_REFUSED,
            "Delete the more specific service bindings before the prefix's default binding",
        )
    bindings.remove(binding)
    return success(None)
