"""Rules about an app's ports and origins: port syntax, origin port ranges, ``origin_direct``
and ``origin_dns``, and virtual network origins (11041-11045 in the Spectrum error codes).

Sources: https://developers.cloudflare.com/spectrum/reference/error-codes/ and
https://developers.cloudflare.com/spectrum/reference/configuration-options/.

In: an :class:`AppEntry`. Out: located problems whose message ends with what to do. Pure.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

from reconciler.desired.ports import Ports, parse_ports
from reconciler.desired.rules.entries import ORIGIN_URI, AppEntry, ip_address_of, origin_uri_ports
from reconciler.model import Problem
from reconciler.wording import count

# --- ports and origins ---------------------------------------------------------------------


def _port_fields(app: AppEntry) -> Iterator[tuple[tuple[str | int, ...], str, Ports | None]]:
    yield ("protocol",), app.protocol, app.edge_ports
    origin_port = app.get("origin_port")
    if origin_port is not None:
        yield ("origin_port",), str(origin_port), parse_ports(str(origin_port))
    for index, uri in enumerate(app.get("origin_direct", [])):
        yield ("origin_direct", index), uri, origin_uri_ports(uri)


def ports_are_well_formed(app: AppEntry) -> Iterator[Problem]:
    """Ranges run upward; every port field parses (catches stray whitespace in a value)."""
    for path, text, ports in _port_fields(app):
        if ports is None:
            yield app.problem(path, f"{text!r} is not valid — remove stray spaces or line breaks")
        elif ports.is_range and ports.start == ports.end:
            single = text.rsplit("-", 1)[0]  # tcp/22-22 -> tcp/22, tcp://h:22-22 -> tcp://h:22
            yield app.problem(path, f"{text!r} is a range of one port — write {single}")
        elif not ports.ordered:
            better = f"{ports.end}-{ports.start}"
            yield app.problem(
                path, f"the range in {text!r} must start below its end — write {better}"
            )


def origin_ports_match_edge(app: AppEntry) -> Iterator[Problem]:
    """An origin port range holds as many ports as the edge range (edge start+k → origin+k).

    One origin port takes every port of an edge range: the API bounds origin *ranges* only
    (SDK 5.9.0 ``origin_port``: "If specifying a port range, the number of ports in the range
    must match"). ``origin_port`` beside ``origin_direct`` is ignored by Cloudflare (the URI's
    port wins; see rules/advice.py), so it is not held to the edge's size either.
    """
    edge = app.edge_ports
    if edge is None or not edge.ordered:
        return
    beside_direct = app.get("origin_direct") is not None
    for path, _text, origin in _port_fields(app):
        if path == ("protocol",) or origin is None or not origin.ordered:
            continue
        if path == ("origin_port",) and beside_direct:
            continue
        if origin.is_range and origin.size != edge.size:
            yield app.problem(
                path,
                f"origin ports {origin} hold {count(origin.size, 'port')} but the edge "
                f"{app.protocol} holds {edge.size} — make the origin range the same size as the "
                "edge range, or give one origin port",
            )


def _origin_hosts(app: AppEntry) -> Iterator[tuple[int, str, str]]:
    for index, uri in enumerate(app.get("origin_direct", [])):
        parsed = ORIGIN_URI.fullmatch(uri)
        if parsed:
            yield index, parsed.group(1), parsed.group(2)


def origin_direct_hosts_are_addresses(app: AppEntry) -> Iterator[Problem]:
    """origin_direct hosts are IPv4 addresses or bracketed IPv6 addresses."""
    for index, _scheme, host in _origin_hosts(app):
        bracketed = host.startswith("[")
        address = ip_address_of(host[1:-1] if bracketed else host)
        if address is None or (address.version == 6) != bracketed:
            yield app.problem(
                ("origin_direct", index),
                f"{host!r} is not an IPv4 address or a bracketed IPv6 address — write it like "
                "192.0.2.1 or [2001:db8::1] (for a hostname origin use origin_dns)",
            )


def origin_direct_scheme_matches_protocol(app: AppEntry) -> Iterator[Problem]:
    """An origin_direct URI uses the app's own transport (tcp:// for tcp/, udp:// for udp/)."""
    for index, scheme, _host in _origin_hosts(app):
        if scheme != app.transport:
            yield app.problem(
                ("origin_direct", index),
                f"origin_direct uses {scheme}:// but the app is {app.protocol} — "
                f"write {app.transport}:// or change the protocol",
            )


def origin_dns_has_origin_port(app: AppEntry) -> Iterator[Problem]:
    """origin_dns needs origin_port unless it is an SRV lookup (which carries the port)."""
    origin_dns = app.get("origin_dns")
    needs_port = origin_dns is not None and origin_dns.get("type", "") != "SRV"
    if needs_port and app.get("origin_port") is None:
        yield app.problem(
            ("origin_dns",),
            'origin_dns without origin_port — add origin_port (e.g. 443 or "3000-4000"), '
            "or use origin_dns type SRV",
        )


def origin_dns_name_is_not_an_address(app: AppEntry) -> Iterator[Problem]:
    """origin_dns names a DNS record; an IP literal there is refused (11001)."""
    origin_dns = app.get("origin_dns")
    name = str(origin_dns.get("name", "")) if origin_dns is not None else ""
    if name and ip_address_of(name.rstrip(".")) is not None:
        yield app.problem(
            ("origin_dns", "name"),
            f"origin_dns.name {name!r} is an IP address, not a hostname — for an address origin "
            f'write origin_direct: ["{app.transport}://{name}:<port>"] instead',
        )


# --- virtual network origins (11041-11045 in the Spectrum error codes) ----------------------


def _vnet(app: AppEntry, message: str, path: tuple[str | int, ...] = ()) -> Problem:
    return app.problem(path or ("virtual_network_id",), message)


def virtual_network_id_is_uuid(app: AppEntry) -> Iterator[Problem]:
    """virtual_network_id is a UUID (11045)."""
    value = app.get("virtual_network_id")
    if value is None:
        return
    try:
        uuid.UUID(value)
    except ValueError:
        yield _vnet(app, f"virtual_network_id {value!r} is not a UUID — copy the network's UUID")


def virtual_network_needs_one_direct_origin(app: AppEntry) -> Iterator[Problem]:
    """A virtual network origin is exactly one origin_direct entry, never origin_dns (11041/2)."""
    if app.get("virtual_network_id") is None:
        return
    if app.get("origin_dns") is not None:
        yield _vnet(app, "virtual_network_id does not work with origin_dns — use origin_direct")
    if len(app.get("origin_direct", [])) > 1:
        yield _vnet(
            app,
            "virtual_network_id allows one origin_direct entry — keep one",
            ("origin_direct",),
        )


def virtual_network_has_no_port_ranges(app: AppEntry) -> Iterator[Problem]:
    """A virtual network origin takes no port ranges, edge or origin (11043)."""
    if app.get("virtual_network_id") is None:
        return
    for path, text, ports in _port_fields(app):
        if ports is not None and ports.is_range:
            yield _vnet(
                app,
                f"{text!r}: virtual network origins take single ports only — use one port",
                path,
            )


def virtual_network_needs_plain_direct_traffic(app: AppEntry) -> Iterator[Problem]:
    """A virtual network origin needs traffic_type direct and proxy_protocol off."""
    if app.get("virtual_network_id") is None:
        return
    if app.get("traffic_type", "direct") != "direct":
        yield _vnet(
            app,
            "virtual_network_id needs traffic_type direct — change it",
            ("traffic_type",),
        )
    if app.get("proxy_protocol", "off") != "off":
        yield _vnet(
            app,
            'virtual_network_id needs proxy_protocol off — set it to "off"',
            ("proxy_protocol",),
        )
