"""The address plane's start-up flags: ``--byoip-prefix``, ``--leased-prefix``, ``--delegation``.

In: the flag values as typed. Out: a ``PrefixSpec``, ``LeaseSpec`` or ``DelegationSpec``, or
``ValueError`` with one line naming the value and the fix. ``account=`` names the account a
prefix or lease belongs to (default: the emulator's account). Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.emulator.accounts import parse_account
from reconciler.emulator.addressing.records import SERVICE_NAMES, Network
from reconciler.emulator.store import DEFAULT_ACCOUNT_ID

# Cloudflare's smallest BYOIP prefixes (developers.cloudflare.com/byoip/, spectrum/about/byoip).
MIN_PREFIX_LENGTH = {4: 24, 6: 48}
# An address map lists addresses one by one: leases and delegations the emulator lists in one
# hold at most this many (chosen: an emulator limit, not Cloudflare's).
MAX_MAPPED_ADDRESSES = 256


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
    account: str | None = None  # None: the emulator's account


@dataclass(frozen=True)
class LeaseSpec:
    """One ``--leased-prefix`` value: static IP space Cloudflare leases to an account."""

    cidr: str
    account: str | None = None  # None: the emulator's account


@dataclass(frozen=True)
class DelegationSpec:
    """One ``--delegation`` value: a CIDR of some account's prefix, lent to account ``to``."""

    cidr: str
    to: str


def parse_prefix_spec(text: str) -> PrefixSpec:
    """``CIDR[,service=...][,advertised=yes|no][,approved=yes|no][,binding=...][,on_demand=...]
    [,account=ID]``.

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
    settings = _options(
        options, ("service", "advertised", "approved", "binding", "on_demand", "account"), flag
    )
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
        account=_account(settings, flag),
    )


def check_address_flags(
    byoip: Iterable[str], leased: Iterable[str], delegations: Iterable[str] = ()
) -> None:
    """Parse every ``--byoip-prefix``, ``--leased-prefix`` and ``--delegation`` value, and place
    each delegation in a prefix of another account; the first bad one raises."""
    prefixes = [parse_prefix_spec(text) for text in byoip]
    for text in leased:
        parse_leased_prefix(text)
    for text in delegations:
        delegation_parent(parse_delegation(text), prefixes, f"--delegation {text!r}")


def parse_leased_prefix(text: str) -> LeaseSpec:
    """``CIDR[,account=ID]``, normalized; ``ValueError`` (one line) when it is not one."""
    flag = f"--leased-prefix {text!r}"
    cidr_text, *options = [part.strip() for part in text.split(",")]
    network = _network(cidr_text, flag)
    _check_listable(network, flag)
    return LeaseSpec(str(network), _account(_options(options, ("account",), flag), flag))


def parse_delegation(text: str) -> DelegationSpec:
    """``CIDR,to=ACCOUNT``; ``ValueError`` (one line) naming the fix."""
    flag = f"--delegation {text!r}"
    cidr_text, *options = [part.strip() for part in text.split(",")]
    network = _network(cidr_text, flag)
    _check_listable(network, flag)
    to = _options(options, ("to",), flag).get("to")
    if to is None:
        raise ValueError(f"{flag}: name the receiving account — CIDR,to=ACCOUNT_ID")
    return DelegationSpec(str(network), parse_account(to, flag))


def delegation_parent(
    spec: DelegationSpec, prefixes: Iterable[PrefixSpec], flag: str
) -> PrefixSpec:
    """The ``--byoip-prefix`` holding the delegated CIDR; it must belong to another account."""
    network = ipaddress.ip_network(spec.cidr)
    for prefix in prefixes:
        whole = ipaddress.ip_network(prefix.cidr)
        if network.version == whole.version and network.subnet_of(whole):  # type: ignore[arg-type]
            owner = prefix.account or DEFAULT_ACCOUNT_ID
            if owner == spec.to:
                raise ValueError(
                    f"{flag}: {prefix.cidr} already belongs to account {spec.to} — delegate to "
                    "another account"
                )
            return prefix
    raise ValueError(
        f"{flag}: {spec.cidr} is inside no --byoip-prefix — delegate a CIDR of an onboarded prefix"
    )


def _options(options: Iterable[str], known: tuple[str, ...], flag: str) -> dict[str, str]:
    settings: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in known:
            names = [f"{name}=" for name in known]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]
            raise ValueError(f"{flag}: unknown option {option!r} — use {listed}")
        settings[key] = value if key in ("account", "to") else value.lower()
    return settings


def _account(settings: dict[str, str], flag: str) -> str | None:
    value = settings.get("account")
    return None if value is None else parse_account(value, flag)


def _check_listable(network: Network, flag: str) -> None:
    if network.num_addresses > MAX_MAPPED_ADDRESSES:
        raise ValueError(
            f"{flag}: {network} holds {network.num_addresses} addresses; the emulator lists "
            f"each in an address map, so give at most {MAX_MAPPED_ADDRESSES} (a /24 or an "
            "IPv6 /120)"
        )


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
