"""The ``addresses`` view — for each BYOIP prefix of the accounts a config touches, its
approval, advertisement and bindings, which Spectrum apps (live and declared) use which of its
IPs, and how many addresses are still free; an IP outside every prefix says whether the account's
address maps list it (leased to it, or delegated to it by another account).

In: each account's ``AddressPlane``, the static IP uses of live and declared apps, and what the
address maps say of the IPs outside every prefix. Out: a
JSON-shaped report (``report``) and its text form (``report_lines``). It answers the question a
BYOIP operator asks before every change: which IPs can I use, and will traffic to them reach
Spectrum? ``address_view`` gathers it from the live client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reconciler.checks.addressing import (
    AddressPlane,
    MappedIPs,
    Prefix,
    address_of,
    describe,
    outside_prefixes,
)
from reconciler.checks.static_ips import static_ips_of
from reconciler.model import DesiredState
from reconciler.planning.normalize import app_key, normalize_app

if TYPE_CHECKING:  # the client (and httpx) only when the view is gathered
    from reconciler.live.cloudflare import CloudflareClient


@dataclass(frozen=True)
class IpUse:
    """One app using one static IP: live (in Cloudflare), declared (in the files), or both."""

    account_id: str
    ip: str
    zone: str
    dns_name: str
    protocol: str
    live: bool
    declared: bool
    source: str | None = None


def merge_uses(live: Iterable[IpUse], declared: Iterable[IpUse]) -> list[IpUse]:
    """One use per (account, ip, zone, app), live and declared folded together."""
    merged: dict[tuple[str, str, str, str, str], IpUse] = {}
    for use in [*live, *declared]:
        ip = str(ipaddress.ip_address(use.ip))
        key = (use.account_id, ip, use.zone, use.dns_name, use.protocol)
        before = merged.get(key)
        merged[key] = IpUse(
            use.account_id, ip, use.zone, use.dns_name, use.protocol,
            live=use.live or bool(before and before.live),
            declared=use.declared or bool(before and before.declared),
            source=use.source or (before.source if before else None),
        )  # fmt: skip
    return sorted(merged.values(), key=lambda u: (u.account_id, _ip_key(u.ip), u.zone, u.dns_name))


def _ip_key(text: str) -> tuple[int, int]:
    ip = ipaddress.ip_address(text)
    return (ip.version, int(ip))


def report(
    planes: Sequence[AddressPlane],
    uses: Sequence[IpUse],
    mapped: Mapping[str, MappedIPs] | None = None,
) -> dict[str, Any]:
    """The whole view as JSON: one entry per account, one per prefix, one per IP in use."""
    maps = mapped or {}
    return {
        "accounts": [
            _account(plane, uses, maps.get(plane.account_id, MappedIPs())) for plane in planes
        ]
    }


def _account(plane: AddressPlane, uses: Sequence[IpUse], maps: MappedIPs) -> dict[str, Any]:
    mine = [u for u in uses if u.account_id == plane.account_id]
    placed: dict[str, list[IpUse]] = {}
    outside: dict[str, list[IpUse]] = {}
    for use in mine:
        prefix = plane.prefix_for(ipaddress.ip_address(use.ip))
        target = placed.setdefault(prefix.prefix_id, []) if prefix else None
        (target if target is not None else outside.setdefault(use.ip, [])).append(use)
    return {
        "account_id": plane.account_id,
        "prefixes": [_prefix(p, placed.get(p.prefix_id, [])) for p in plane.prefixes],
        "outside_prefixes": [
            {
                "ip": ip,
                "in_address_map": address_of(ip) in maps.ips,
                "apps": [_app(u) for u in group],
            }
            for ip, group in outside.items()
        ],
    }


def _prefix(prefix: Prefix, uses: Sequence[IpUse]) -> dict[str, Any]:
    by_ip: dict[str, list[IpUse]] = {}
    for use in uses:
        by_ip.setdefault(use.ip, []).append(use)
    size = prefix.cidr.num_addresses
    return {
        "id": prefix.prefix_id,
        "cidr": str(prefix.cidr),
        "description": prefix.description,
        "approved": prefix.approved,
        "advertised": prefix.advertised(),
        "advertisements": [
            {"cidr": str(a.cidr), "advertised": a.advertised} for a in prefix.advertisements
        ],
        "bindings": [
            {"id": b.binding_id, "cidr": str(b.cidr), "service": b.service, "state": b.state}
            for b in prefix.bindings
        ],
        "addresses": {"total": size, "used": len(by_ip), "free": size - len(by_ip)},
        "ips": [_ip(prefix, ip, group) for ip, group in by_ip.items()],
    }


def _ip(prefix: Prefix, ip: str, group: Sequence[IpUse]) -> dict[str, Any]:
    address = ipaddress.ip_address(ip)
    binding, advert = prefix.binding_for(address), prefix.advertisement_for(address)
    return {
        "ip": ip,
        "service": binding.service if binding else None,
        "binding_state": binding.state if binding else None,
        "advertised": advert.advertised if advert else None,
        "reaches_spectrum": bool(
            prefix.is_approved
            and binding is not None
            and binding.kind == "spectrum"
            and binding.active
            and advert is not None
            and advert.advertised is True
        ),
        "state": describe(prefix, binding, advert),
        "apps": [_app(u) for u in group],
    }


def _app(use: IpUse) -> dict[str, Any]:
    return {
        "zone": use.zone,
        "dns_name": use.dns_name,
        "protocol": use.protocol,
        "live": use.live,
        "declared": use.declared,
        "source": use.source,
    }


# --- text --------------------------------------------------------------------------------------

# Only the declared zones are read: "free" must not be taken for "unused by the whole account".
SCOPE = (
    "(in use and free count the Spectrum apps of the zones these files declare; other zones"
    " and services of the account are not read)"
)


def report_lines(document: Mapping[str, Any]) -> list[str]:
    """The report for a terminal: a block per prefix, a line per IP and the apps on it."""
    lines: list[str] = []
    for account in document["accounts"]:
        count = len(account["prefixes"])
        noun = "BYOIP prefix" if count == 1 else "BYOIP prefixes"
        lines.append(f"account {account['account_id']}: {count} {noun}")
        if count:
            lines.append(f"  {SCOPE}")
        for prefix in account["prefixes"]:
            lines += _prefix_lines(prefix)
        if account["outside_prefixes"]:
            lines.append("  outside every BYOIP prefix:")
            for item in account["outside_prefixes"]:
                where = (
                    "in the account's address maps: leased or delegated to it"
                    if item["in_address_map"]
                    else "in no address map of the account: neither leased nor delegated to it"
                )
                lines += [f"    {item['ip']} ({where})", *_app_lines(item["apps"])]
        lines.append("")
    return lines or ["No accounts: the files declare no zone."]


def _prefix_lines(prefix: Mapping[str, Any]) -> list[str]:
    approval = (
        "approved" if prefix["approved"] == "V" else f"pending approval ({prefix['approved']})"
    )
    advertised = {True: "advertised", False: "withdrawn", None: "advertisement unknown"}[
        prefix["advertised"]
    ]
    room = prefix["addresses"]
    lines = [
        f"  prefix {prefix['cidr']} ({approval}, {advertised}): {room['used']} in use, "
        f"{_room(room['total'], room['used'])} free"
    ]
    parts = [a for a in prefix["advertisements"] if a["cidr"] != prefix["cidr"]]
    lines += [
        f"    BGP {a['cidr']}: {'advertised' if a['advertised'] else 'withdrawn'}" for a in parts
    ]
    lines += [
        f"    binding {b['cidr']} -> {b['service']} ({b['state']})" for b in prefix["bindings"]
    ] or ["    no service bindings: traffic to this prefix reaches no service"]
    for item in prefix["ips"]:
        verdict = "reaches Spectrum" if item["reaches_spectrum"] else "does NOT reach Spectrum"
        service = item["service"] or "no binding"
        why = _why_not(prefix, item)
        lines.append(f"    {item['ip']}: {service}, {verdict}{': ' + why if why else ''}")
        lines += _app_lines(item["apps"])
    return lines


def _room(total: int, used: int) -> str:
    """``255 of 256``; an IPv6 prefix's 25-digit counts as powers of two (``2^80 - 1 of 2^80``)."""
    if total <= 2**32:
        return f"{total - used} of {total}"
    power = f"2^{total.bit_length() - 1}"
    return f"{power} - {used} of {power}" if used else f"{power} of {power}"


def _why_not(prefix: Mapping[str, Any], item: Mapping[str, Any]) -> str:
    """What else keeps traffic from Spectrum, beyond the service already named: without it,
    "Spectrum, does NOT reach Spectrum" would leave the reader guessing."""
    if item["reaches_spectrum"]:
        return ""
    reasons = []
    if prefix["approved"] != "V":
        reasons.append("prefix not approved")
    if item["binding_state"] not in (None, "active"):
        reasons.append(f"binding {item['binding_state']}")
    if item["advertised"] is False:
        reasons.append("prefix withdrawn")
    elif item["advertised"] is None:
        reasons.append("advertisement unknown")
    return ", ".join(reasons)


def _app_lines(apps: Sequence[Mapping[str, Any]]) -> list[str]:
    return [
        f"      {app['dns_name']} {app['protocol']} ({app['zone']}; {_where(app)})" for app in apps
    ]


def _where(app: Mapping[str, Any]) -> str:
    states = [name for name in ("live", "declared") if app[name]]
    text = " and ".join(states)
    return f"{text} at {app['source']}" if app["declared"] and app["source"] else text


def address_view(desired: DesiredState, client: CloudflareClient) -> dict[str, Any]:
    """The ``addresses`` report: every prefix of every account the declared zones belong to,
    with the live and declared apps on its IPs ."""
    live = client.fetch_live(desired.zones)
    zones = {}
    for spec, zone in zip(desired.zones, live, strict=True):
        zones[spec.label.lower()] = zone
    accounts = {zone.zone_id: client.addresses.account_of_zone(zone.zone_id) for zone in live}
    planes = [client.addresses.plane(account) for account in sorted(set(accounts.values()))]
    live_uses = [
        IpUse(accounts[zone.zone_id], ip, zone.name, key.dns_name, key.protocol, True, False)
        for zone in live
        for app in zone.apps
        for key in [app_key(zone.name, app.config)]
        for ip in static_ips_of(normalize_app(app.config))
    ]
    declared_uses = [
        IpUse(
            accounts[zone.zone_id],
            ip,
            zone.name,
            app.key.dns_name,
            app.key.protocol,
            False,
            True,
            str(app.source),
        )
        for app in desired.apps
        for zone in [zones[app.key.zone.lower()]]
        for ip in static_ips_of(normalize_app(app.config))
    ]
    uses = merge_uses(live_uses, declared_uses)
    by_account = {plane.account_id: plane for plane in planes}
    outside = outside_prefixes(((u.account_id, u.ip) for u in uses), by_account)
    mapped = {acc: client.addresses.address_maps(acc, ips) for acc, ips in sorted(outside.items())}
    return report(planes, uses, mapped)
