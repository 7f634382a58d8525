"""Pure: an account's BYOIP address plane — prefixes, their service bindings and BGP
advertisements — and how a plan or the address view describes where an IP lands."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
T = TypeVar("T")
ROUTE_MISSING = "magic_transit_route_missing"


class AddressPlaneError(ValueError):
    """An API answer that does not describe an address plane (no CIDR, a CIDR that is not one)."""


@dataclass(frozen=True)
class Binding:
    """A service binding: traffic to ``cidr`` goes to ``service`` once ``state`` is active."""

    binding_id: str
    cidr: Network
    service: str  # as Cloudflare names it: "Spectrum", "CDN", "Magic Transit"
    state: str  # provisioning | active | magic_transit_route_missing

    @property
    def kind(self) -> str:
        """``spectrum``, ``cdn``, ``magic_transit`` or the name folded the same way."""
        return "_".join(self.service.lower().replace("-", " ").replace("_", " ").split())

    @property
    def active(self) -> bool:
        return self.state == "active"

    @property
    def route_missing(self) -> bool:
        """Held in ``magic_transit_route_missing``: it carries no traffic, and waiting does not
        change that (unlike ``provisioning``)."""
        return self.state == ROUTE_MISSING

    def __str__(self) -> str:
        return f"{self.cidr} -> {self.service} ({self.state})"


@dataclass(frozen=True)
class Advertisement:
    """Whether ``cidr`` is announced over BGP (a BGP prefix, or the legacy ``bgp/status``).
    ``on_demand`` False: the API leaves ``advertised`` null because on-demand advertisement is
    off; Cloudflare announces such a prefix itself, so it counts as advertised."""

    cidr: Network
    advertised: bool | None
    bgp_prefix_id: str | None = None
    on_demand: bool = True


@dataclass(frozen=True)
class Prefix:
    """A BYOIP prefix with its bindings and advertisements."""

    prefix_id: str
    cidr: Network
    approved: str  # "V" validated, "P" pending
    description: str = ""
    bindings: tuple[Binding, ...] = ()
    advertisements: tuple[Advertisement, ...] = ()

    @property
    def is_approved(self) -> bool:
        return self.approved == "V"

    def binding_for(self, ip: Address) -> Binding | None:
        """The most specific binding covering ``ip``: it decides where traffic goes."""
        return _most_specific((b for b in self.bindings if ip in b.cidr), lambda b: b.cidr)

    def advertisement_for(self, ip: Address) -> Advertisement | None:
        covering = (a for a in self.advertisements if ip in a.cidr)
        return _most_specific(covering, lambda a: a.cidr)

    def advertised(self) -> bool | None:
        """The whole prefix's state: advertised if any part is, None when nothing says."""
        states = [a.advertised for a in self.advertisements if a.advertised is not None]
        return any(states) if states else None


@dataclass(frozen=True)
class AddressPlane:
    """One account's BYOIP prefixes (with bindings and advertisements)."""

    account_id: str
    prefixes: tuple[Prefix, ...] = ()

    def prefix_for(self, ip: Address) -> Prefix | None:
        return _most_specific((p for p in self.prefixes if ip in p.cidr), lambda p: p.cidr)


@dataclass(frozen=True)
class MappedIPs:
    """The addresses an account's Cloudflare-made address maps list — static IPs leased to it
    or lent to it by another account's delegation — among those it was asked about.
    ``unread`` says why the maps could not be read (then ``ips`` is empty)."""

    ips: frozenset[Address] = frozenset()
    unread: str | None = None

    @property
    def caveat(self) -> str:
        return f" (its address maps could not be read: {self.unread})" if self.unread else ""


def _most_specific(items: Iterable[T], cidr: Callable[[T], Network]) -> T | None:
    return max(items, key=lambda item: cidr(item).prefixlen, default=None)


def describe(prefix: Prefix, binding: Binding | None, advert: Advertisement | None) -> str:
    """``prefix 198.51.100.0/24 (approved, advertised), binding 198.51.100.0/24 -> CDN (active)``"""
    approval = "approved" if prefix.is_approved else f"pending approval ({prefix.approved})"
    state = _advertised_word(advert.advertised if advert else None)
    if advert is not None and not advert.on_demand:
        state = "advertised, not on demand"
    bound = f"binding {binding}" if binding else "no binding"
    return f"prefix {prefix.cidr} ({approval}, {state}), {bound}"


def _advertised_word(advertised: bool | None) -> str:
    return {True: "advertised", False: "withdrawn", None: "advertisement unknown"}[advertised]
