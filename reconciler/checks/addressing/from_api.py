"""Pure: the address plane from the API's objects (prefixes, bindings, BGP prefixes, services)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.checks.addressing.plane import (
    AddressPlane,
    AddressPlaneError,
    Advertisement,
    Binding,
    Network,
    Prefix,
)


def plane_from_api(
    account_id: str,
    prefixes: Sequence[Mapping[str, Any]],
    bindings: Mapping[str, Sequence[Mapping[str, Any]]],
    bgp_prefixes: Mapping[str, Sequence[Mapping[str, Any]]],
    bgp_status: Mapping[str, Mapping[str, Any]],
    services: Sequence[Mapping[str, Any]] = (),
) -> AddressPlane:
    """The plane from ``GET .../prefixes``, each prefix's bindings and BGP prefixes (or, where it
    has none, its ``bgp/status``), and the services list (for bindings that carry only an id).

    Raises ``AddressPlaneError`` for an object without a usable CIDR.
    """
    names = {str(s.get("id")): str(s.get("name")) for s in services if s.get("id")}
    return AddressPlane(
        account_id,
        tuple(
            _prefix(item, bindings, bgp_prefixes, bgp_status, names)
            for item in sorted(prefixes, key=lambda p: str(p.get("cidr")))
        ),
    )


def _prefix(
    item: Mapping[str, Any],
    bindings: Mapping[str, Sequence[Mapping[str, Any]]],
    bgp_prefixes: Mapping[str, Sequence[Mapping[str, Any]]],
    bgp_status: Mapping[str, Mapping[str, Any]],
    names: Mapping[str, str],
) -> Prefix:
    prefix_id = str(item.get("id") or "")
    cidr = _network(item.get("cidr"), f"prefix {prefix_id}")
    found = tuple(_binding(b, names) for b in bindings.get(prefix_id, ()))
    adverts = tuple(_bgp_prefix(b) for b in bgp_prefixes.get(prefix_id, ()))
    if not adverts:
        status = bgp_status.get(prefix_id) or {}
        advertised = status.get("advertised", item.get("advertised"))
        adverts = (_advertisement(cidr, advertised, item.get("on_demand_enabled"), None),)
    return Prefix(
        prefix_id=prefix_id,
        cidr=cidr,
        approved=str(item.get("approved") or "P"),
        description=str(item.get("description") or ""),
        bindings=found,
        advertisements=adverts,
    )


def _binding(item: Mapping[str, Any], names: Mapping[str, str]) -> Binding:
    service = item.get("service_name") or names.get(str(item.get("service_id")), "")
    state = (item.get("provisioning") or {}).get("state") or "unknown"
    return Binding(
        binding_id=str(item.get("id") or ""),
        cidr=_network(item.get("cidr"), f"service binding {item.get('id')}"),
        service=str(service or f"service {item.get('service_id')}"),
        state=str(state),
    )


def _bgp_prefix(item: Mapping[str, Any]) -> Advertisement:
    on_demand = item.get("on_demand") or {}
    return _advertisement(
        _network(item.get("cidr"), f"BGP prefix {item.get('id')}"),
        on_demand.get("advertised"),
        on_demand.get("on_demand_enabled"),
        str(item.get("id") or "") or None,
    )


def _advertisement(
    cidr: Network, advertised: Any, on_demand_enabled: Any, bgp_prefix_id: str | None
) -> Advertisement:
    """``advertised`` "is only not null if on demand is enabled" (SDK 5.9.0): null with
    on-demand off is a prefix Cloudflare announces itself, read as advertised; null otherwise
    says nothing."""
    if advertised is None and on_demand_enabled is False:
        return Advertisement(cidr, True, bgp_prefix_id, on_demand=False)
    known = advertised if isinstance(advertised, bool) else None
    return Advertisement(cidr, known, bgp_prefix_id)


def _network(value: Any, what: str) -> Network:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise AddressPlaneError(f"{what} has no usable cidr ({value!r})") from None
