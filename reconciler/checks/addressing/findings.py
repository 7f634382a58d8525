"""Pure: the check — each static IP an app uses against its account's plane -> findings."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from reconciler.checks.addressing.plane import (
    Address,
    AddressPlane,
    Advertisement,
    Binding,
    MappedIPs,
    describe,
)
from reconciler.model import AppKey, Location
from reconciler.plan import PlanWarning

REFUSED_KINDS = ("udp_on_magic_transit", "prefix_not_approved")
WARNING_KINDS = (
    "ip_not_byoip",
    "binding_not_spectrum",
    "binding_provisioning",
    "binding_route_missing",
    "prefix_withdrawn",
)
PROPAGATION = "4-6 h to propagate"


@dataclass(frozen=True)
class AddressUse:
    """An app's static edge IPs, with what the check needs to judge and to locate them."""

    key: AppKey
    account_id: str
    transport: str  # tcp | udp
    ips: tuple[str, ...]
    source: Location | None = None  # where the app is declared


@dataclass(frozen=True)
class Finding:
    """One refusal or warning about one IP of one app."""

    kind: str
    key: AppKey
    ip: str
    message: str
    source: Location | None

    @property
    def refused(self) -> bool:
        return self.kind in REFUSED_KINDS

    def as_warning(self) -> PlanWarning:
        return PlanWarning(self.kind, self.key, self.ip, self.message, self.source)

    def __str__(self) -> str:
        return f"{self.source or self.key.zone}: {self.message}"


def check_addresses(
    uses: Iterable[AddressUse],
    planes: Mapping[str, AddressPlane],
    mapped: Mapping[str, MappedIPs] | None = None,
) -> list[Finding]:
    """Every refusal and warning for every static IP of ``uses``, in app then IP order.

    ``mapped``: per account, the addresses in no prefix of its own that Cloudflare's address
    maps show it may use (leased to it, or lent to it by a delegation): those are not warned."""
    found: list[Finding] = []
    for use in sorted(uses, key=lambda u: (u.key, str(u.source or ""))):
        plane = planes.get(use.account_id, AddressPlane(use.account_id))
        maps = (mapped or {}).get(use.account_id, MappedIPs())
        for text in use.ips:
            ip = address_of(text)
            if ip is not None and ip not in maps.ips:
                found.extend(_judge(use, ip, plane, maps))
    return found


def outside_prefixes(
    used: Iterable[tuple[str, str]], planes: Mapping[str, AddressPlane]
) -> dict[str, frozenset[Address]]:
    """Per account, of the (account id, IP) pairs ``used``, the IPs in no BYOIP prefix of its
    own: what only its address maps can vouch for (accounts with none are left out, so their
    maps are never read)."""
    outside: dict[str, set[Address]] = {}
    for account, text in used:
        plane = planes.get(account, AddressPlane(account))
        ip = address_of(text)
        if ip is not None and plane.prefix_for(ip) is None:
            outside.setdefault(account, set()).add(ip)
    return {account: frozenset(ips) for account, ips in outside.items()}


def address_of(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


def _judge(use: AddressUse, ip: Address, plane: AddressPlane, maps: MappedIPs) -> Iterator[Finding]:
    prefix = plane.prefix_for(ip)
    app = f"{use.key} edge IP {ip}"

    def finding(kind: str, text: str) -> Finding:
        return Finding(kind, use.key, str(ip), f"{app}: {text}", use.source)

    if prefix is None:
        yield finding(
            "ip_not_byoip",
            f"in no BYOIP prefix of account {plane.account_id}, and no address map of it holds "
            f"it (neither leased to it nor delegated to it){maps.caveat} — use an address of an "
            "onboarded prefix, or have it leased or delegated to the account",
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
    elif binding.route_missing:
        yield finding(
            "binding_route_missing",
            f"{where} — its Spectrum binding is held in {binding.state}: it carries no traffic, "
            "and waiting will not change that; add the Magic Transit route the binding needs "
            f"for {binding.cidr}, or recreate the binding",
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


def _host(ip: Address) -> str:
    return f"{ip}/{ip.max_prefixlen}"
