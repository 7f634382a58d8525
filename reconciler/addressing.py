"""Pure: where an app's static edge IPs land in the account's BYOIP address plane, and whether
traffic to them will reach Spectrum.

In: the account's prefixes, service bindings, BGP advertisements and services as the API returns
them (``plane_from_api``), and the static IPs apps use (``AddressUse``). Out: ``Finding`` values,
each a refusal or a warning naming the app's ``file:line:col``, the IP, its prefix, binding and
advertisement state, and what to do.

Cloudflare refuses a static IP only when the account may not use it (11018/11019/11033). An app on
an address whose binding sends traffic to CDN or Magic Transit, whose binding is still being
provisioned, or whose prefix is withdrawn is created and then simply gets no (or the wrong)
traffic (developers.cloudflare.com/byoip/service-bindings/, spectrum/about/byoip/). So:

refused   ``udp_on_magic_transit``  a UDP app on an IP whose most specific binding is Magic Transit
                                     (cloudflare-docs PR #31366: UDP works with BYOIP, not on MT)
          ``prefix_not_approved``   an IP inside a BYOIP prefix that is not validated (``V``)
warned    ``ip_not_byoip``          in no BYOIP prefix of the account: fine only if it is leased
          ``binding_not_spectrum``  its most specific binding is CDN or Magic Transit (or none)
          ``binding_provisioning``  its binding is not active yet
          ``prefix_withdrawn``      its prefix (or the BGP prefix covering it) is not advertised
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from reconciler.model import AppKey, PlanWarning

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

REFUSED_KINDS = ("udp_on_magic_transit", "prefix_not_approved")
WARNING_KINDS = ("ip_not_byoip", "binding_not_spectrum", "binding_provisioning", "prefix_withdrawn")
PROPAGATION = "4-6 h to propagate"
T = TypeVar("T")


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

    def __str__(self) -> str:
        return f"{self.cidr} -> {self.service} ({self.state})"


@dataclass(frozen=True)
class Advertisement:
    """Whether ``cidr`` is announced over BGP (a BGP prefix, or the legacy ``bgp/status``)."""

    cidr: Network
    advertised: bool | None
    bgp_prefix_id: str | None = None


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


def _most_specific(items: Iterable[T], cidr: Callable[[T], Network]) -> T | None:
    return max(items, key=lambda item: cidr(item).prefixlen, default=None)


# --- from the API's objects ------------------------------------------------------------------


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
        adverts = (Advertisement(cidr, advertised if isinstance(advertised, bool) else None),)
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
    advertised = on_demand.get("advertised")
    return Advertisement(
        _network(item.get("cidr"), f"BGP prefix {item.get('id')}"),
        advertised if isinstance(advertised, bool) else None,
        str(item.get("id") or "") or None,
    )


def _network(value: Any, what: str) -> Network:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        raise AddressPlaneError(f"{what} has no usable cidr ({value!r})") from None


# --- the check --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressUse:
    """An app's static edge IPs, with what the check needs to judge and to locate them."""

    key: AppKey
    account_id: str
    transport: str  # tcp | udp
    ips: tuple[str, ...]
    source: str | None = None  # file:line:col of the app


@dataclass(frozen=True)
class Finding:
    """One refusal or warning about one IP of one app."""

    kind: str
    key: AppKey
    ip: str
    message: str
    source: str | None

    @property
    def refused(self) -> bool:
        return self.kind in REFUSED_KINDS

    def as_warning(self) -> PlanWarning:
        return PlanWarning(self.kind, self.key, self.ip, self.message, self.source)

    def __str__(self) -> str:
        return f"{self.source or self.key.zone}: {self.message}"


def check_addresses(
    uses: Iterable[AddressUse], planes: Mapping[str, AddressPlane]
) -> list[Finding]:
    """Every refusal and warning for every static IP of ``uses``, in app then IP order."""
    found: list[Finding] = []
    for use in sorted(uses, key=lambda u: (u.key, u.source or "")):
        plane = planes.get(use.account_id, AddressPlane(use.account_id))
        for text in use.ips:
            ip = _address(text)
            if ip is not None:
                found.extend(_judge(use, ip, plane))
    return found


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _judge(use: AddressUse, ip: Address, plane: AddressPlane) -> Iterator[Finding]:
    prefix = plane.prefix_for(ip)
    app = f"{use.key} edge IP {ip}"

    def finding(kind: str, text: str) -> Finding:
        return Finding(kind, use.key, str(ip), f"{app}: {text}", use.source)

    if prefix is None:
        yield finding(
            "ip_not_byoip",
            f"in no BYOIP prefix of account {plane.account_id} — fine if Cloudflare leases it to "
            "the account (Address space > Leased IPs); otherwise use an address of an onboarded "
            "prefix",
        )
        return
    binding, advert = prefix.binding_for(ip), prefix.advertisement_for(ip)
    where = describe(prefix, binding, advert)
    if not prefix.is_approved:
        yield finding(
            "prefix_not_approved",
            f"{where} — the prefix is not validated yet (approved: {prefix.approved}); wait for "
            "Cloudflare to approve it (V) or use an address of an approved prefix",
        )
        return
    if use.transport == "udp" and binding is not None and binding.kind == "magic_transit":
        yield finding(
            "udp_on_magic_transit",
            f"{where} — Cloudflare does not support UDP Spectrum apps on Magic Transit addresses; "
            f"create a Spectrum service binding for {_host(ip)} ({PROPAGATION}) or use another "
            "address",
        )
        return
    yield from _routing_warnings(finding, ip, where, binding, advert)


def _routing_warnings(
    finding: Callable[[str, str], Finding],
    ip: Address,
    where: str,
    binding: Binding | None,
    advert: Advertisement | None,
) -> Iterator[Finding]:
    """Where traffic to an approved prefix's IP goes, and whether it is announced at all."""
    if binding is None or binding.kind != "spectrum":
        goes = (
            f"traffic to it goes to {binding.service}, not to Spectrum"
            if binding
            else "no service binding covers it, so its traffic reaches no service"
        )
        yield finding(
            "binding_not_spectrum",
            f"{where} — {goes}; create a Spectrum service binding for {_host(ip)}: {PROPAGATION}",
        )
    elif not binding.active:
        yield finding(
            "binding_provisioning",
            f"{where} — its Spectrum binding is {binding.state}, not active; traffic reaches "
            f"Spectrum only once it is active ({PROPAGATION} after it was created)",
        )
    if advert is not None and advert.advertised is False:
        yield finding(
            "prefix_withdrawn",
            f"{where} — {advert.cidr} is not advertised, so the app gets no Internet traffic; "
            "advertise it (BGP prefix on_demand.advertised: true, 2-7 min) once its bindings "
            "are active",
        )


def describe(prefix: Prefix, binding: Binding | None, advert: Advertisement | None) -> str:
    """``prefix 198.51.100.0/24 (approved, advertised), binding 198.51.100.0/24 -> CDN (active)``"""
    approval = "approved" if prefix.is_approved else f"pending approval ({prefix.approved})"
    state = _advertised_word(advert.advertised if advert else None)
    bound = f"binding {binding}" if binding else "no binding"
    return f"prefix {prefix.cidr} ({approval}, {state}), {bound}"


def _advertised_word(advertised: bool | None) -> str:
    return {True: "advertised", False: "withdrawn", None: "advertisement unknown"}[advertised]


def _host(ip: Address) -> str:
    return f"{ip}/{ip.max_prefixlen}"
