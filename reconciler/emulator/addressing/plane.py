"""The account's address space: what a start onboards, and what the app rules ask of it.

In: the ``Store`` (under the emulator's lock) and parsed flags. Out: the store changed in place
(``onboard``, ``lease``, ``complete_legacy_state``: no API calls, the state a flag asks for), and
``locate_ip``: which prefix holds a static edge IP, which service its most specific binding sends
traffic to, and whether the account leases it. Pure but for the store it is given.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from reconciler.emulator.accounts import account_of
from reconciler.emulator.addressing.flags import DelegationSpec, LeaseSpec, PrefixSpec
from reconciler.emulator.addressing.records import (
    MAGIC_TRANSIT,
    NEVER_ACTIVE,
    SERVICE_NAMES,
    SPECTRUM,
    Record,
    bgp_prefix_record,
    binding_record,
    delegation_record,
    prefix_record,
    stable_id,
)
from reconciler.emulator.fields import IP
from reconciler.emulator.store import Store, now_rfc3339


def onboard(store: Store, spec: PrefixSpec) -> bool:
    """Add the prefix, its whole-prefix binding and BGP prefix; False when the CIDR exists.

    A prefix already in the state is left as it is, so a restart never undoes API changes.
    """
    network = ipaddress.ip_network(spec.cidr)
    if any(ipaddress.ip_network(p["cidr"]) == network for p in store.prefixes):
        return False
    account = account_of(store, spec.account)
    prefix = prefix_record(spec.cidr, account, spec.approved, spec.advertised, spec.on_demand)
    store.prefixes.append(prefix)
    store.bindings[prefix["id"]] = []
    store.delegations[prefix["id"]] = []
    if spec.service is not None:
        store.bindings[prefix["id"]].append(
            binding_record(
                spec.cidr,
                SERVICE_NAMES[spec.service],
                0.0 if spec.binding_active else NEVER_ACTIVE,
                stable_id("binding", spec.cidr),
                route_missing=spec.route_missing,
            )
        )
    store.bgp_prefixes[prefix["id"]] = [
        bgp_prefix_record(
            spec.cidr,
            spec.advertised,
            stable_id("bgp prefix", spec.cidr),
            on_demand=spec.on_demand,
        )
    ]
    return True


def lease(store: Store, spec: LeaseSpec) -> bool:
    """Record static IP space leased to the account; False when already there."""
    account = account_of(store, spec.account)
    if any(lease["cidr"] == spec.cidr and lease["account_id"] == account for lease in store.leased):
        return False
    store.leased.append({"cidr": spec.cidr, "account_id": account, "created_at": now_rfc3339()})
    return True


def delegate(store: Store, spec: DelegationSpec) -> bool:
    """Lend ``spec.cidr`` of its prefix to ``spec.to``; False when that delegation exists.

    Raises ``ValueError`` when no prefix of another account holds the CIDR (a state file whose
    prefixes differ from the flags')."""
    network = ipaddress.ip_network(spec.cidr)
    parent = _parent(store, network)
    if parent is None or parent["account_id"] == spec.to:
        raise ValueError(
            f"--delegation {spec.cidr},to={spec.to}: no prefix of another account holds "
            f"{spec.cidr} — delegate a CIDR of an onboarded prefix"
        )
    existing = store.delegations.setdefault(parent["id"], [])
    if any(d["cidr"] == spec.cidr and d["delegated_account_id"] == spec.to for d in existing):
        return False
    existing.append(delegation_record(spec.cidr, spec.to, parent["id"], stable=True))
    return True


def _parent(store: Store, network: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Record | None:
    for prefix in store.prefixes:
        whole = ipaddress.ip_network(prefix["cidr"])
        if network.version == whole.version and network.subnet_of(whole):  # type: ignore[arg-type]
            return prefix
    return None


def complete_legacy_state(store: Store) -> None:
    """A state file from before bindings existed: each prefix gets what ``onboard`` gives."""
    for prefix in store.prefixes:
        if prefix["id"] not in store.bindings:
            store.bindings[prefix["id"]] = [
                binding_record(prefix["cidr"], SPECTRUM, 0.0, stable_id("binding", prefix["cidr"]))
            ]
        store.delegations.setdefault(prefix["id"], [])
        if prefix["id"] not in store.bgp_prefixes:
            advertised = bool(prefix.get("advertised"))
            store.bgp_prefixes[prefix["id"]] = [
                bgp_prefix_record(
                    prefix["cidr"], advertised, stable_id("bgp prefix", prefix["cidr"])
                )
            ]
        for key, value in prefix_record(prefix["cidr"], store.account["id"], True, True).items():
            prefix.setdefault(key, value)


@dataclass(frozen=True)
class EdgeIP:
    """Where a static edge IP sits in an account's address space."""

    prefix: Record | None  # the BYOIP prefix holding it (None: in none)
    binding: Record | None  # its most specific binding (None: no binding)
    leased: bool  # inside space leased to the account
    mine: bool = False  # the prefix is the account's, or a delegation lends the IP to it

    @property
    def service(self) -> str | None:
        """The service its most specific binding sends traffic to (None: no binding)."""
        return None if self.binding is None else str(self.binding["service_name"])

    @property
    def approved(self) -> bool:
        return self.prefix is not None and self.prefix["approved"] == "V"

    @property
    def usable(self) -> bool:
        """The account may put the IP on an app: an approved prefix of its own or lent to it
        (a delegation: bindings stay the owner's), or space leased to it."""
        return (self.mine and self.approved) or self.leased


def locate_ip(store: Store, ip: IP, account: str) -> EdgeIP:
    """The prefix, most specific binding and lease covering ``ip``, seen from ``account``. The
    owner keeps the use of a CIDR it delegated (chosen: a delegation grants, it does not move)."""
    leased = any(
        ip in ipaddress.ip_network(lease["cidr"])
        for lease in store.leased
        if lease["account_id"] == account
    )
    for prefix in store.prefixes:
        if ip in ipaddress.ip_network(prefix["cidr"]):
            lent = any(
                ip in ipaddress.ip_network(d["cidr"]) and d["delegated_account_id"] == account
                for d in store.delegations.get(prefix["id"], ())
            )
            mine = prefix["account_id"] == account or lent
            return EdgeIP(
                prefix, most_specific(store.bindings.get(prefix["id"], ()), ip), leased, mine
            )
    return EdgeIP(None, None, leased)


def most_specific(records: Iterable[Record], ip: IP) -> Record | None:
    """Of the records (bindings, BGP prefixes) whose ``cidr`` covers ``ip``, the narrowest."""
    covering = [r for r in records if ip in ipaddress.ip_network(r["cidr"])]
    return max(covering, key=lambda r: ipaddress.ip_network(r["cidr"]).prefixlen, default=None)


def ingress_only_networks(store: Store) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The approved prefixes an origin may not sit in. A prefix onboarded to Magic Transit is
    left out: "traffic egressing to an IP in the prefix will always go to Magic Transit, even if
    there is an overlapping binding for CDN or Spectrum", so the same IP may be ingress and
    origin (developers.cloudflare.com/byoip/service-bindings/, 2026-04-30)."""

    def magic_transit(prefix: Record) -> bool:
        bindings = store.bindings.get(prefix["id"], ())
        return any(b["service_name"] == MAGIC_TRANSIT for b in bindings)

    approved = [p for p in store.prefixes if p["approved"] == "V"]
    return [ipaddress.ip_network(p["cidr"]) for p in approved if not magic_transit(p)]


def leased_networks(store: Store) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """Every account's leased space: Cloudflare's own addresses, never an origin."""
    return [ipaddress.ip_network(lease["cidr"]) for lease in store.leased]


def has_static_space(store: Store, account: str) -> bool:
    """BYOIP (or leased static IPs) is enabled for the account: it holds some such space, of its
    own, leased, or lent to it."""
    lent = (d for ds in store.delegations.values() for d in ds)
    return (
        any(p["account_id"] == account for p in store.prefixes)
        or any(lease["account_id"] == account for lease in store.leased)
        or any(d["delegated_account_id"] == account for d in lent)
    )
