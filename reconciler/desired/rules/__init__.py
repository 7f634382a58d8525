"""Semantic rules: what the JSON Schema cannot say about a desired state.

In: a :class:`RuleContext` holding the zone and app entries that passed the schema (so every
field has its schema type). Out: located problems whose message ends with what to do. Pure.

Each rule is a small named function. ``APP_RULES`` look at one app (the cross-field rules of
https://developers.cloudflare.com/spectrum/reference/configuration-options/: ports and origins
in ``origin_rules``, transport, edge IPs and zone in ``app_rules``); ``STATE_RULES`` look across
apps, files and zones (identities, hostname port overlaps, zone ids, safety settings, ignore
patterns).
"""

from __future__ import annotations

from reconciler.desired.ports import Ports, parse_ports
from reconciler.desired.rules.advice import ADVICE, advise, hostname_shares_one_static_set
from reconciler.desired.rules.app_rules import (
    APP_RULES,
    argo_needs_direct_traffic,
    dns_name_is_in_zone,
    http_traffic_is_tcp_only,
    ip_firewall_is_tcp_only,
    proxy_protocol_fits_transport,
    static_edge_ips_are_addresses,
    static_edge_ips_are_unique,
    tls_is_tcp_only,
    worker_apps_keep_worker_limits,
)
from reconciler.desired.rules.entries import (
    ORIGIN_URI,
    PROTOCOL_FORMAT,
    AppEntry,
    BrokenField,
    Locatable,
    RuleContext,
    ZoneEntry,
    build_context,
    normal_zone_name,
)
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
from reconciler.desired.rules.state_rules import (
    STATE_RULES,
    freeze_times_are_valid,
    identities_are_unique,
    ignore_patterns_spare_declared_apps,
    ports_do_not_overlap_on_a_hostname,
    safety_settings_agree,
    static_ips_stay_in_one_zone,
    token_envs_agree,
    zone_ids_agree,
)
from reconciler.model import Problem


def check(context: RuleContext) -> list[Problem]:
    """Every problem every rule finds (an app rule that reads a broken field finds nothing)."""
    found = [p for rule in STATE_RULES for p in rule(context)]
    for app in context.apps:
        for rule in APP_RULES:
            try:
                found.extend(rule(app))
            except BrokenField:
                continue
    return found


__all__ = [
    "ADVICE",
    "APP_RULES",
    "ORIGIN_URI",
    "PROTOCOL_FORMAT",
    "STATE_RULES",
    "AppEntry",
    "BrokenField",
    "Locatable",
    "Ports",
    "RuleContext",
    "ZoneEntry",
    "advise",
    "argo_needs_direct_traffic",
    "build_context",
    "check",
    "dns_name_is_in_zone",
    "freeze_times_are_valid",
    "hostname_shares_one_static_set",
    "http_traffic_is_tcp_only",
    "identities_are_unique",
    "ignore_patterns_spare_declared_apps",
    "ip_firewall_is_tcp_only",
    "normal_zone_name",
    "origin_direct_hosts_are_addresses",
    "origin_direct_scheme_matches_protocol",
    "origin_dns_has_origin_port",
    "origin_dns_name_is_not_an_address",
    "origin_ports_match_edge",
    "parse_ports",
    "ports_are_well_formed",
    "ports_do_not_overlap_on_a_hostname",
    "proxy_protocol_fits_transport",
    "safety_settings_agree",
    "static_edge_ips_are_addresses",
    "static_edge_ips_are_unique",
    "static_ips_stay_in_one_zone",
    "tls_is_tcp_only",
    "token_envs_agree",
    "virtual_network_has_no_port_ranges",
    "virtual_network_id_is_uuid",
    "virtual_network_needs_one_direct_origin",
    "virtual_network_needs_plain_direct_traffic",
    "worker_apps_keep_worker_limits",
    "zone_ids_agree",
]
