"""Rules about one app: its transport's limits, its static edge IPs and its zone; and
``APP_RULES``, every one-app rule (those of ports and origins live in ``origin_rules``).

Sources: https://developers.cloudflare.com/spectrum/reference/error-codes/ and
https://developers.cloudflare.com/spectrum/reference/configuration-options/.

In: an :class:`AppEntry`. Out: located problems whose message ends with what to do. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from reconciler.desired.rules.entries import AppEntry, ip_address_of
from reconciler.desired.rules.origin_rules import (
    origin_direct_hosts_are_addresses,
    origin_direct_scheme_matches_protocol,
    origin_dns_has_origin_port,
    origin_dns_name_is_not_an_address,
    origin_ports_match_edge,
    ports_are_well_formed,
    virtual_network_has_no_port_ranges,
    virtual_network_id_is_uuid,
    virtual_network_needs_one_direct_origin,
    virtual_network_needs_plain_direct_traffic,
)
from reconciler.model import Problem

# --- transport rules -----------------------------------------------------------------------


def proxy_protocol_fits_transport(app: AppEntry) -> Iterator[Problem]:
    """proxy_protocol v1 is TCP only; simple is UDP only (v2 works on both)."""
    value = app.get("proxy_protocol")
    if value == "v1" and app.transport == "udp":
        yield app.problem(
            ("proxy_protocol",), "proxy_protocol v1 is TCP only — use v2 or simple on UDP"
        )
    if value == "simple" and app.transport == "tcp":
        yield app.problem(
            ("proxy_protocol",), "proxy_protocol simple is UDP only — use v1 or v2 on TCP"
        )


def tls_is_tcp_only(app: AppEntry) -> Iterator[Problem]:
    """TLS termination exists only for TCP apps."""
    if app.transport == "udp" and app.get("tls", "off") != "off":
        yield app.problem(("tls",), 'tls is TCP only — set tls: "off" on a UDP app')


def ip_firewall_is_tcp_only(app: AppEntry) -> Iterator[Problem]:
    """ip_firewall (the zone's IP Access rules) is TCP only per the API's field description."""
    if app.transport == "udp" and app.get("ip_firewall") is True:
        yield app.problem(
            ("ip_firewall",), "ip_firewall is TCP only — remove it or set it to false"
        )


def http_traffic_is_tcp_only(app: AppEntry) -> Iterator[Problem]:
    """http, https and worker traffic runs through Cloudflare's HTTP pipeline: TCP only."""
    traffic = app.get("traffic_type", "direct")
    if app.transport == "udp" and traffic != "direct":
        yield app.problem(
            ("traffic_type",),
            f"traffic_type {traffic} is TCP only — use traffic_type direct on a UDP app",
        )


def argo_needs_direct_traffic(app: AppEntry) -> Iterator[Problem]:
    """Argo Smart Routing works only with traffic_type direct."""
    traffic = app.get("traffic_type", "direct")
    if app.get("argo_smart_routing") is True and traffic != "direct":
        yield app.problem(
            ("argo_smart_routing",),
            f"argo_smart_routing needs traffic_type direct, not {traffic} — "
            "turn Argo off or set traffic_type: direct",
        )


def worker_apps_keep_worker_limits(app: AppEntry) -> Iterator[Problem]:
    """A worker app takes tls off or flexible, no proxy_protocol and no Argo."""
    if app.get("traffic_type") != "worker":
        return
    if app.get("tls", "off") not in ("off", "flexible"):
        yield app.problem(("tls",), "a worker app takes tls off or flexible — change tls")
    if app.get("proxy_protocol", "off") != "off":
        yield app.problem(("proxy_protocol",), "a worker app takes no proxy_protocol — remove it")
    if app.get("argo_smart_routing") is True:
        yield app.problem(("argo_smart_routing",), "a worker app takes no Argo — remove it")


# --- edge IPs ------------------------------------------------------------------------------


def static_edge_ips_are_addresses(app: AppEntry) -> Iterator[Problem]:
    """Static edge IPs are IPv4 or IPv6 addresses (no prefixes, no hostnames)."""
    for index, text in enumerate(app.static_ips):
        if ip_address_of(text) is None:
            yield app.problem(
                ("edge_ips", "ips", index),
                f"{text!r} is not an IP address — write an address like 198.51.100.10 "
                "or 2001:db8::10",
            )


def static_edge_ips_are_unique(app: AppEntry) -> Iterator[Problem]:
    """No static edge IP twice (compared canonically: 2001:DB8::1 equals 2001:db8::1)."""
    seen: dict[Any, str] = {}
    for index, text in enumerate(app.static_ips):
        address = ip_address_of(text)
        if address is None:
            continue
        if address in seen:
            yield app.problem(
                ("edge_ips", "ips", index),
                f"{text!r} repeats {seen[address]!r} in edge_ips.ips — list each address once",
            )
        seen.setdefault(address, text)


def dns_name_is_in_zone(app: AppEntry) -> Iterator[Problem]:
    """An app's hostname lies in its zone (a name in another zone belongs to that zone)."""
    zone = app.zone
    if "." in zone and app.dns_name != zone and not app.dns_name.endswith("." + zone):
        yield app.problem(
            ("dns", "name"),
            f"{app.dns_name} is not in zone {zone} — use a name under {zone} "
            "or move the app to a file for its own zone",
        )


APP_RULES: tuple[Callable[[AppEntry], Iterable[Problem]], ...] = (
    ports_are_well_formed,
    origin_ports_match_edge,
    origin_direct_hosts_are_addresses,
    origin_direct_scheme_matches_protocol,
    origin_dns_has_origin_port,
    origin_dns_name_is_not_an_address,
    proxy_protocol_fits_transport,
    tls_is_tcp_only,
    ip_firewall_is_tcp_only,
    http_traffic_is_tcp_only,
    argo_needs_direct_traffic,
    worker_apps_keep_worker_limits,
    static_edge_ips_are_addresses,
    static_edge_ips_are_unique,
    virtual_network_id_is_uuid,
    virtual_network_needs_one_direct_origin,
    virtual_network_has_no_port_ranges,
    virtual_network_needs_plain_direct_traffic,
    dns_name_is_in_zone,
)
