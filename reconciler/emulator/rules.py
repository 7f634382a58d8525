"""Cloudflare's refusals for a create or update body, in the order docs/emulator.md lists them.

In: the decoded request body and a ``RuleContext`` (the zone, its other apps, the account's
prefixes, the app being replaced). Out: the app as Cloudflare stores it — known fields only
(Enterprise apps ignore unknown ones), defaults filled; both are ``shape``'s — or a ``Refusal``.
Nothing here reads shared state directly: the context carries what the rules may see.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.addressing.plane import EdgeIP
from reconciler.emulator.addressing.records import MAGIC_TRANSIT
from reconciler.emulator.codes import Code
from reconciler.emulator.dns_records import CONFLICT_TEXT, Record
from reconciler.emulator.fields import (
    IP,
    OriginURI,
    Protocol,
    host_key,
    is_hostname,
    is_ip_literal,
    is_uuid,
    parse_ip,
    parse_origin_port,
    parse_origin_uri,
    parse_protocol,
    refuse,
    within,
)
from reconciler.emulator.origin_zone import check_origin_zone
from reconciler.emulator.plans import check_plan
from reconciler.emulator.quota import check_quota
from reconciler.emulator.shape import shape_app, with_defaults, with_unknown
from reconciler.emulator.store import App

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class RuleContext:
    """What the rules may look at besides the body."""

    zone_id: str
    zones: Mapping[str, str]  # zone id -> zone name, every zone of the account
    zone_apps: Sequence[App]  # the zone's other apps (the one being replaced left out)
    edge_networks: Sequence[Network]  # approved BYOIP prefixes and leased space: edge addresses
    ip_owner: Callable[[IP], str | None]  # zone id of another zone's app using a static IP
    locate: Callable[[IP], EdgeIP]  # prefix, most specific binding and lease of a static IP
    static_space: bool  # the account has BYOIP or leased space at all (else 11018)
    virtual_networks: Mapping[str, Sequence[str]]  # vnet UUID -> routed CIDRs
    existing: App | None = None  # the stored app a PUT replaces
    ip_firewall_default: bool | None = None
    keep_unknown: bool = False  # store unknown fields as sent (a test-only switch)
    plan: str = "enterprise"  # the zone's plan (``plans``)
    ipv4_others: Callable[[], set[str]] = set  # the account's other Cloudflare-IPv4 hostnames
    ipv4_quota: int | None = None  # None: no quota
    manual_record: Callable[[str], Record | None] = lambda _name: None  # conflicting record
    conflict_code: Code = codes.RECORD_EXISTS
    origin_dns_policy: str = "any"  # 11050: which zones an origin_dns name may be in


def build_app(body: Any, ctx: RuleContext) -> App:
    """Validate ``body`` and return the stored form (no id or timestamps yet)."""
    app = shape_app(body)
    protocol = parse_protocol(app["protocol"])
    check_plan(body, protocol, ctx.plan, ctx.zone_apps)
    origins = _check_origins(app)
    _check_origin_not_edge(origins, ctx.edge_networks)
    _check_dns_type(app, ctx.existing)
    _check_port_sizes(app, protocol, origins)
    _check_transport(app, protocol, origins)
    _check_edge_ips(app, protocol, ctx)
    _check_virtual_network(app, protocol, origins, ctx.virtual_networks)
    _check_hostname(app, ctx)
    check_origin_zone(app, ctx.zones.values(), ctx.origin_dns_policy)
    _check_overlap(app, protocol, ctx.zone_apps)
    _check_manual_record(app, ctx)
    if ctx.ipv4_quota is not None:
        check_quota(app, ctx.ipv4_others(), ctx.ipv4_quota)
    if ctx.plan != "enterprise":
        return app  # chosen: a paygo app is kept with the fields it was sent, no defaults
    app = with_defaults(app, ctx.ip_firewall_default)
    return with_unknown(app, body) if ctx.keep_unknown else app


def _check_origins(app: App) -> list[OriginURI]:
    """11000 exactly one origin form (none for a worker app); 11001 origin_dns and origin_port;
    11002 origin_direct entries."""
    has_direct, has_dns = "origin_direct" in app, "origin_dns" in app
    if app.get("traffic_type") == "worker":
        _check_worker(app)
        return []
    if "origin_worker_id" in app:
        raise refuse(codes.TRANSPORT_MISMATCH, "origin_worker_id needs traffic_type worker")
    if has_direct == has_dns:
        raise refuse(codes.ORIGIN_EXCLUSIVE, "The origin configuration is invalid.")
    if "origin_port" in app:
        # Beside origin_direct it is accepted (Terraform's acceptance tests send both) and
        # ignored: the port inside each origin_direct URI is where traffic goes.
        parse_origin_port(app["origin_port"])
    if has_dns:
        _check_origin_dns(app)
        return []
    entries = app["origin_direct"]
    if not isinstance(entries, list) or not entries:
        raise refuse(codes.ORIGIN_ADDRESS, "origin_direct must list at least one origin")
    return [parse_origin_uri(entry) for entry in entries]


def _check_worker(app: App) -> None:
    """SDK 5.9.0 ``origin_worker_id``: TCP only, with none of origin_direct, origin_dns,
    origin_port, proxy_protocol or argo_smart_routing; tls off or flexible."""
    if "origin_worker_id" not in app:
        raise refuse(codes.INVALID_REQUEST, "traffic_type worker needs origin_worker_id")
    if any(name in app for name in ("origin_direct", "origin_dns", "origin_port")):
        raise refuse(codes.ORIGIN_EXCLUSIVE, "The origin configuration is invalid.")
    problems = {
        "a worker app takes no proxy_protocol": app.get("proxy_protocol", "off") != "off",
        "a worker app takes no argo_smart_routing": app.get("argo_smart_routing") is True,
        "a worker app takes tls off or flexible": app.get("tls", "off") not in ("off", "flexible"),
    }
    for message, broken in problems.items():
        if broken:
            raise refuse(codes.TRANSPORT_MISMATCH, message)


def _check_origin_dns(app: App) -> None:
    origin = app["origin_dns"]
    if not isinstance(origin, dict) or not is_hostname(origin.get("name")):
        raise refuse(codes.ORIGIN_DNS, "origin_dns.name must be a hostname")
    if is_ip_literal(origin["name"]):
        raise refuse(codes.ORIGIN_DNS, "origin_dns.name must be a hostname, not an IP address")
    ttl = origin.get("ttl")
    if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 600):
        raise refuse(codes.ORIGIN_DNS, "origin_dns.ttl must be an integer of at least 600")
    if origin.get("type", "") not in ("", "A", "AAAA", "SRV"):
        raise refuse(codes.ORIGIN_DNS, "origin_dns.type must be '', A, AAAA or SRV")
    if "origin_port" not in app and origin.get("type") != "SRV":
        raise refuse(codes.ORIGIN_DNS, "origin_port is required unless origin_dns.type is SRV")


def _check_origin_not_edge(origins: list[OriginURI], edge: Sequence[Network]) -> None:
    """11002: Cloudflare refuses its own (here: onboarded BYOIP and leased) addresses as origins."""
    for origin in origins:
        if any(origin.address in net for net in edge):
            raise refuse(codes.ORIGIN_ADDRESS, f"{origin.address} is a Cloudflare edge address")


def _check_dns_type(app: App, existing: App | None) -> None:
    """11004: CNAME goes with dynamic edge IPs, ADDRESS with static; dns.type never changes."""
    edge_type = app.get("edge_ips", {}).get("type", "dynamic")
    wanted = "CNAME" if edge_type == "dynamic" else "ADDRESS"
    if app["dns"]["type"] != wanted:
        raise refuse(
            codes.DNS_TYPE, f"dns.type {app['dns']['type']} does not match {edge_type} edge IPs"
        )
    if existing is not None and existing["dns"]["type"] != app["dns"]["type"]:
        raise refuse(codes.DNS_TYPE, "dns.type cannot change on an existing application")


def _check_port_sizes(app: App, protocol: Protocol, origins: list[OriginURI]) -> None:
    """An origin range must hold as many ports as the edge range (edge+k goes to origin+k);
    one origin port takes every edge port of a range (the SDK's origin_port note bounds ranges
    only). origin_port counts only with origin_dns: beside origin_direct it is ignored."""
    ranges = [origin.ports for origin in origins]
    if "origin_port" in app and "origin_dns" in app:
        ranges.append(parse_origin_port(app["origin_port"]))
    for ports in ranges:
        if ports.is_range and ports.size != protocol.ports.size:
            raise refuse(
                codes.PORT_RANGE_SIZE,
                f"origin port range holds {ports.size} ports, edge {protocol.ports.size}",
            )


def _check_transport(app: App, protocol: Protocol, origins: list[OriginURI]) -> None:
    """Settings that only exist for one transport.

    Source: https://developers.cloudflare.com/spectrum/reference/configuration-options/
    """
    udp = protocol.transport == "udp"
    for origin in origins:
        if origin.transport != protocol.transport:
            raise refuse(codes.ORIGIN_ADDRESS, "origin_direct transport differs from protocol")
    problems = {
        "proxy_protocol v1 is TCP only": udp and app.get("proxy_protocol") == "v1",
        "proxy_protocol simple is UDP only": not udp and app.get("proxy_protocol") == "simple",
        "tls is TCP only": udp and app.get("tls", "off") != "off",
        "ip_firewall is TCP only": udp and app.get("ip_firewall") is True,
        "traffic_type http/https/worker is TCP only": udp
        and app.get("traffic_type", "direct") != "direct",
        "argo_smart_routing needs traffic_type direct": app.get("argo_smart_routing") is True
        and app.get("traffic_type", "direct") != "direct",
    }
    for message, broken in problems.items():
        if broken:
            raise refuse(codes.TRANSPORT_MISMATCH, message)


def _check_edge_ips(app: App, protocol: Protocol, ctx: RuleContext) -> None:
    """11018 no static IP space at all; 11019 neither in an approved prefix of the account's
    own or lent to it (a delegation) nor leased to it;
    11033 used by another zone; a UDP app on an IP whose most specific binding is Magic Transit.
    """
    if app.get("edge_ips", {}).get("type") != "static":
        return
    if not ctx.static_space:
        raise refuse(codes.BYOIP_NOT_ENABLED, "edge_ips (BYOIP) is not enabled for this account.")
    for text in app["edge_ips"]["ips"]:
        ip = parse_ip(text)
        where = ctx.locate(ip)
        if not where.usable:
            raise refuse(
                codes.EDGE_IPS_NOT_ALLOWED,
                "The authenticated account is not authorized to use the provided edge_ips.",
            )
        if ctx.ip_owner(ip) not in (None, ctx.zone_id):
            raise refuse(codes.EDGE_IP_IN_USE, f"edge IP {text} is already used by another zone")
        if protocol.transport == "udp" and where.service == MAGIC_TRANSIT:
            raise refuse(
                codes.UDP_ON_MAGIC_TRANSIT,
                f"UDP applications are not supported on {text}: its service binding is "
                "Magic Transit",
            )


def _check_virtual_network(
    app: App, protocol: Protocol, origins: list[OriginURI], networks: Mapping[str, Sequence[str]]
) -> None:
    """11041-11045 (https://developers.cloudflare.com/spectrum/reference/error-codes/).

    Checked only when virtual_network_id is present.
    """
    vnet = app.get("virtual_network_id")
    if vnet is None:
        return
    if not is_uuid(vnet):
        raise refuse(codes.VNET_NOT_UUID, "virtual_network_id must be a UUID")
    if "origin_dns" in app:
        raise refuse(codes.VNET_WITH_ORIGIN_DNS, "A virtual network origin needs origin_direct.")
    if len(origins) > 1:
        raise refuse(codes.VNET_MANY_ORIGINS, "A virtual network origin takes one origin_direct.")
    if protocol.ports.is_range or any(origin.ports.is_range for origin in origins):
        raise refuse(codes.VNET_PORT_RANGE, "A virtual network origin cannot use port ranges.")
    if app.get("proxy_protocol", "off") != "off" or app.get("traffic_type", "direct") != "direct":
        raise refuse(codes.TRANSPORT_MISMATCH, "virtual network origins need direct, proxy off")
    routes = [ipaddress.ip_network(cidr) for cidr in networks.get(vnet.lower(), ())]
    if not any(origins[0].address in net for net in routes):
        raise refuse(codes.VNET_NO_ROUTE, "No matching routes in the specified virtual network.")


def _check_hostname(app: App, ctx: RuleContext) -> None:
    """16001: the name belongs to another zone of the account (a more specific one included);
    11909: it belongs to no zone of the account at all."""
    name = host_key(app["dns"]["name"])
    owners = [zid for zid, zone in ctx.zones.items() if within(name, host_key(zone))]
    best = max(owners, key=lambda zid: len(ctx.zones[zid]), default=None)
    if best is None:
        raise refuse(codes.HOSTNAME_OUTSIDE_ZONES, f"{name} is not a name of this zone")
    if best != ctx.zone_id:
        raise refuse(codes.HOSTNAME_OTHER_ZONE, f"{name} already belongs to a different zone")


def _check_overlap(app: App, protocol: Protocol, zone_apps: Sequence[App]) -> None:
    """Apps may share a hostname on different ports or transports, never on overlapping ones."""
    name = host_key(app["dns"]["name"])
    for other in zone_apps:
        if host_key(other["dns"]["name"]) != name:
            continue
        theirs = parse_protocol(other["protocol"])
        if theirs.transport == protocol.transport and theirs.ports.overlaps(protocol.ports):
            raise refuse(
                codes.HOSTNAME_PORT_OVERLAP,
                f"{name} {other['protocol']} already exists (app {other['id']})",
            )


def _check_manual_record(app: App, ctx: RuleContext) -> None:
    """A manually created proxied A, AAAA or CNAME record holds the hostname (docs spectrum
    troubleshooting, cloudflare-docs PR #30683); an app keeping its own hostname is past that."""
    name = host_key(app["dns"]["name"])
    if ctx.existing is not None and host_key(ctx.existing["dns"]["name"]) == name:
        return
    if ctx.manual_record(name) is not None:
        raise refuse(ctx.conflict_code, CONFLICT_TEXT)
