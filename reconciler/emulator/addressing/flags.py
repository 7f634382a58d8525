"""The address plane's start-up flags: ``--byoip-prefix`` and ``--leased-prefix``.

In: the flag values as typed. Out: a ``PrefixSpec`` or a normalized CIDR, or ``ValueError`` with
one line naming the value and the fix. Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.emulator.addressing.records import SERVICE_NAMES, Network

# Cloudflare's smallest BYOIP prefixes (developers.cloudflare.com/byoip/, spectrum/about/byoip).
MIN_PREFIX_LENGTH = {4: 24, 6: 48}


@dataclass(frozen=True)
class PrefixSpec:
    """One ``--byoip-prefix`` value: the CIDR and the state it starts in."""

    cidr: str
    service: str | None = "spectrum"  # None: no binding at all (``service=none``)
    advertised: bool = True
    approved: bool = True
    binding_active: bool = True  # False: ``binding=provisioning``, waiting on Cloudflare for good
    route_missing: bool = False  # ``binding=route_missing``: magic_transit_route_missing
    on_demand: bool = True  # False: ``on_demand=no``, advertised null (announced by Cloudflare)


def parse_prefix_spec(text: str) -> PrefixSpec:
    """``CIDR[,service=...][,advertised=yes|no][,approved=yes|no][,binding=...][,on_demand=...]``.

    ``service`` is spectrum, cdn, magic_transit or none; ``binding`` active, provisioning or
    route_missing (``magic_transit_route_missing``); ``on_demand=no`` leaves ``advertised``
    null, as Cloudflare does when on-demand advertisement is off.

    Raises ``ValueError`` with one line naming the value and the fix.
    """
    flag = f"--byoip-prefix {text!r}"
    cidr_text, *options = [part.strip() for part in text.split(",")]
    network = _network(cidr_text, flag)
    wanted = MIN_PREFIX_LENGTH[network.version]
    if network.prefixlen > wanted:
        raise ValueError(
            f"{flag}: /{network.prefixlen} is smaller than Cloudflare onboards "
            f"(/{wanted} for IPv{network.version}) — give a /{wanted} or larger prefix"
        )
    settings: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in ("service", "advertised", "approved", "binding", "on_demand"):
            raise ValueError(
                f"{flag}: unknown option {option!r} — use service=, advertised=, approved=, "
                "binding= or on_demand="
            )
        settings[key] = value.lower()
    service = settings.get("service", "spectrum")
    if service not in (*SERVICE_NAMES, "none"):
        raise ValueError(f"{flag}: service={service} — use spectrum, cdn, magic_transit or none")
    approved = _yes_no(settings.get("approved", "yes"), "approved", flag)
    advertised = _yes_no(
        settings.get("advertised", "yes" if approved else "no"), "advertised", flag
    )
    if advertised and not approved:
        raise ValueError(
            f"{flag}: a prefix pending approval cannot be advertised — drop advertised=yes "
            "or set approved=yes"
        )
    on_demand = _yes_no(settings.get("on_demand", "yes"), "on_demand", flag)
    if not on_demand and "advertised" in settings:
        raise ValueError(
            f"{flag}: advertised= needs on-demand advertisement — drop it or on_demand=no"
        )
    binding = settings.get("binding", "active")
    if binding not in ("active", "provisioning", "route_missing"):
        raise ValueError(
            f"{flag}: binding={binding} — use binding=active, provisioning or route_missing"
        )
    if binding != "active" and service == "none":
        raise ValueError(f"{flag}: service=none has no binding to provision — drop binding=")
    return PrefixSpec(
        str(network),
        None if service == "none" else service,
        advertised,
        approved,
        binding_active=binding == "active",
        route_missing=binding == "route_missing",
        on_demand=on_demand,
    )


def check_address_flags(byoip: Iterable[str], leased: Iterable[str]) -> None:
    """Parse every ``--byoip-prefix`` and ``--leased-prefix`` value; the first bad one raises."""
    for text in byoip:
        parse_prefix_spec(text)
    for text in leased:
        parse_leased_prefix(text)


def parse_leased_prefix(text: str) -> str:
    """A ``--leased-prefix`` CIDR, normalized; ``ValueError`` (one line) when it is not one."""
    return str(_network(text.strip(), f"--leased-prefix {text!r}"))


def _network(text: str, flag: str) -> Network:
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        raise ValueError(
            f"{flag}: {text!r} is not a CIDR with its host bits zero — write it like "
            "198.51.100.0/24 or 2001:db8::/48"
        ) from None


def _yes_no(value: str, key: str, flag: str) -> bool:
    if value not in ("yes", "no"):
        raise ValueError(f"{flag}: {key}={value} — use {key}=yes or {key}=no")
    return value == "yes"
