"""The shape of an app body: which fields Cloudflare keeps, their JSON types, its defaults.

In: the decoded request body. Out: the app with known fields only (Enterprise apps ignore
unknown ones) or a 11900 ``Refusal`` for a field of the wrong type; ``with_defaults`` fills what
Cloudflare fills, ``with_unknown`` keeps what the test-only switch keeps. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.fields import is_hostname, parse_ip, refuse
from reconciler.emulator.store import App

_ENUMS = {
    "traffic_type": ("direct", "http", "https", "worker"),
    "tls": ("off", "flexible", "full", "strict"),
    "proxy_protocol": ("off", "v1", "v2", "simple"),
}
_DEFAULTS = {"traffic_type": "direct", "tls": "off", "proxy_protocol": "off"}
_BOOLEANS = ("ip_firewall", "argo_smart_routing")
_STRINGS = ("virtual_network_id", "origin_worker_id")
_KEPT = (*_ENUMS, *_BOOLEANS, *_STRINGS, "origin_direct", "origin_dns", "origin_port")


def shape_app(body: Any) -> App:
    """Known fields with the right JSON types; unknown fields are dropped, as Enterprise does."""
    if not isinstance(body, dict):
        raise refuse(codes.INVALID_REQUEST, "The request body must be a JSON object")
    body = {k: v for k, v in body.items() if v is not None}  # null: the field is absent
    dns = body.get("dns")
    if not isinstance(dns, dict) or not is_hostname(dns.get("name")):
        raise refuse(codes.INVALID_REQUEST, "dns.name must be a hostname")
    if dns.get("type") not in ("CNAME", "ADDRESS"):
        raise refuse(codes.INVALID_REQUEST, "dns.type must be CNAME or ADDRESS")
    if "protocol" not in body:
        raise refuse(codes.INVALID_REQUEST, "protocol is required")
    app: App = {"dns": {"name": dns["name"], "type": dns["type"]}, "protocol": body["protocol"]}
    for name, allowed in _ENUMS.items():
        if name in body and body[name] not in allowed:
            raise refuse(codes.INVALID_REQUEST, f"{name} must be one of {', '.join(allowed)}")
    for name in _BOOLEANS:
        if name in body and not isinstance(body[name], bool):
            raise refuse(codes.INVALID_REQUEST, f"{name} must be a boolean")
    for name in _STRINGS:
        if name in body and not isinstance(body[name], str):
            raise refuse(codes.INVALID_REQUEST, f"{name} must be a string")
    app.update({name: body[name] for name in _KEPT if name in body})
    if "edge_ips" in body:
        app["edge_ips"] = _edge_ips(body["edge_ips"])
    return app


def _edge_ips(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or value.get("type") not in ("dynamic", "static"):
        raise refuse(codes.INVALID_REQUEST, "edge_ips.type must be dynamic or static")
    if value["type"] == "dynamic":
        connectivity = value.get("connectivity", "all")
        if connectivity not in ("all", "ipv4", "ipv6"):
            raise refuse(codes.INVALID_REQUEST, "edge_ips.connectivity must be all, ipv4 or ipv6")
        return {"type": "dynamic", "connectivity": connectivity}
    ips = value.get("ips")
    if not isinstance(ips, list) or not ips:
        raise refuse(codes.INVALID_REQUEST, "edge_ips.ips must list at least one IP")
    for ip in ips:
        parse_ip(ip)
    # Static edge IPs carry no connectivity (cloudflare-go stopped sending it).
    return {"type": "static", "ips": list(ips)}


def with_defaults(app: App, ip_firewall_default: bool | None) -> App:
    """Fill what Cloudflare fills (SDK 5.9.0 ``types/spectrum`` response fields).

    ``traffic_type`` is always present.
    """
    for name, default in _DEFAULTS.items():
        app.setdefault(name, default)
    app.setdefault("argo_smart_routing", False)
    if app["dns"]["type"] == "CNAME":
        app.setdefault("edge_ips", {"type": "dynamic", "connectivity": "all"})
    if ip_firewall_default is not None:
        app.setdefault("ip_firewall", ip_firewall_default)
    return app


def with_unknown(app: App, body: dict[str, Any]) -> App:
    """``app`` plus the body's top-level and ``dns``/``origin_dns`` keys it does not know."""
    known = {"dns", "protocol", "edge_ips", *_KEPT}
    held = {k: v for k, v in body.items() if k not in known and v is not None}
    for name in ("dns", "origin_dns"):
        if isinstance(app.get(name), dict) and isinstance(body.get(name), dict):
            held[name] = {**body[name], **app[name]}
    return {**app, **held}
