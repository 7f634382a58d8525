"""Pure: one field table that says what an app's fields mean, applied to desired and live alike.

In: an app configuration as a mapping in the API's field names, either what a desired-state file
declared or the raw object the API returned. Out: a plain dict in canonical form, so that two
configurations that Cloudflare treats the same compare equal with ``==``.

The table (``FIELDS``) is the one place that knows, per top-level field, its API default, whether
the server sets it, which of its parts cannot change in place, and how to canonicalize it. The
defaults follow the API reference
(https://developers.cloudflare.com/api/resources/spectrum/subresources/apps/) and Terraform
provider v5 (its perpetual-diff fixes, cloudflare/terraform-provider-cloudflare PR #5888):

* ``ip_firewall`` defaults to ``false``. No official schema states this default [unverified]; it
  is Terraform v5's assumption. Declare ``ip_firewall`` explicitly to be independent of it.
* ``edge_ips`` defaults to ``{type: dynamic, connectivity: all}``; a dynamic app's ``ips`` are
  chosen by the server and never compared; a static app's ``connectivity`` is meaningless
  (cloudflare-go leaves it out) and dropped.
* Legacy response forms are understood: ``spp: true`` is ``proxy_protocol: simple``, a boolean
  ``proxy_protocol`` is ``v1``/``off``; ``ipv4`` and any other unknown field are not compared
  (``unknown_fields`` carries them into updates so no update erases them).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.desired.ports import parse_loose_ports
from reconciler.model import AppKey

Canonicalizer = Callable[[Any], Any]

DYNAMIC_EDGE_IPS: Mapping[str, str] = {"type": "dynamic", "connectivity": "all"}
# Enough for the distinct hostnames and origins of a 100k-app plan; a few tens of MB at most.
_CACHE_SIZE = 1 << 18


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _host_text(text: str) -> str:
    # Cached: zones repeat the same origins, and both sides of a plan spell the same names;
    # parsing addresses with ipaddress dominates planning time otherwise.
    text = text.strip().rstrip(".").lower()
    if ":" not in text and not text[-1:].isdigit():
        return text  # a hostname: no address can end in a letter (IPv6 always has a colon)
    # Pick the family by its separator: ip_address() tries IPv4 first and pays for an exception.
    family = ipaddress.IPv6Address if ":" in text else ipaddress.IPv4Address
    try:
        return family(text).compressed
    except ValueError:
        return text


def _host(value: Any) -> str:
    """A hostname lower-case without the trailing dot, or an IP address in canonical form."""
    return _host_text(str(value))


def _port(value: Any) -> int | str:
    """``22``, ``22.0`` and ``"22"`` are the port 22; ``" 1000 - 2000"`` is ``"1000-2000"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    ports = parse_loose_ports(text)
    if ports is not None:
        return str(ports) if ports.is_range else ports.start
    if "-" in text:  # a range spelled with floats (``3000.0-4000``)
        start, _, end = text.partition("-")
        return f"{_port(start)}-{_port(end)}"
    try:
        return int(float(text))
    except ValueError:
        return text


def _lower(value: Any) -> str:
    return str(value).strip().lower()


def _upper(value: Any) -> str:
    return str(value).strip().upper()


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


# The keys of object fields this tool compares; others (a future dns.ttl) are carried, never
# compared, so a field Cloudflare adds cannot become a perpetual diff (see unknown_fields.py).
OBJECT_KEYS: Mapping[str, tuple[str, ...]] = {
    "dns": ("name", "type"),
    "origin_dns": ("name", "ttl", "type"),
}


def _dns(value: Any) -> dict[str, Any]:
    dns = {k: v for k, v in dict(value or {}).items() if k in OBJECT_KEYS["dns"]}
    if "name" in dns:
        dns["name"] = _host(dns["name"])
    if "type" in dns:
        dns["type"] = _upper(dns["type"])
    return {k: dns[k] for k in sorted(dns)}


def _split_authority(rest: str) -> tuple[str, str | None]:
    """``[2001:db8::1]:443`` -> (``2001:db8::1``, ``443``); ``host`` -> (``host``, None)."""
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        return host, tail[1:] if tail.startswith(":") else None
    host, colon, port = rest.rpartition(":")
    return (host, port) if colon else (rest, None)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _origin_uri(value: str) -> str:
    """``TCP://[2001:DB8:0::1]:443`` -> ``tcp://[2001:db8::1]:443``; unparseable text kept as is."""
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    host, port = _split_authority(rest)
    host = _host(host)
    if ":" in host:  # an IPv6 address must be bracketed in a URI
        host = f"[{host}]"
    return f"{scheme.lower()}://{host}" + ("" if port is None else f":{_port(port)}")


def _origin_direct(value: Any) -> list[str]:
    # Entries load-balance: their order means nothing, so compare them sorted.
    return sorted(_origin_uri(str(entry)) for entry in value or ())


def _origin_dns(value: Any) -> dict[str, Any]:
    known = OBJECT_KEYS["origin_dns"]
    origin = {"type": "", **{k: v for k, v in dict(value or {}).items() if k in known}}
    if "name" in origin:
        origin["name"] = _host(origin["name"])
    if origin.get("ttl") is not None:
        origin["ttl"] = _port(origin["ttl"])
    origin["type"] = _upper(origin["type"] or "")
    return {k: origin[k] for k in sorted(origin) if origin[k] is not None}


def _edge_ips(value: Any) -> dict[str, Any]:
    edge = dict(value or DYNAMIC_EDGE_IPS)
    if _lower(edge.get("type", "dynamic")) == "static":
        # A static app's addresses are a set; connectivity does not apply to it.
        return {"ips": sorted({_host(ip) for ip in edge.get("ips") or ()}), "type": "static"}
    # A dynamic app's ips are picked by Cloudflare and may move; they are never compared.
    return {"connectivity": _lower(edge.get("connectivity") or "all"), "type": "dynamic"}


def _proxy_protocol(value: Any) -> str:
    if isinstance(value, bool):  # legacy boolean form
        return "v1" if value else "off"
    return _lower(value)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Field:
    """What one top-level app field means.

    ``default`` is the value the API assumes when the field is absent (``None``: no default).
    ``forces_replace`` names the dotted sub-paths whose change Cloudflare refuses in place.
    """

    name: str
    default: Any = None
    server_set: bool = False
    forces_replace: tuple[str, ...] = ()
    canonicalize: Canonicalizer = _same


FIELDS: tuple[Field, ...] = (
    Field("id", server_set=True),
    Field("created_on", server_set=True),
    Field("modified_on", server_set=True),
    Field("dns", canonicalize=_dns, forces_replace=("dns.type",)),
    Field("protocol", canonicalize=_lower),
    Field("traffic_type", default="direct", canonicalize=_lower),
    Field("origin_direct", canonicalize=_origin_direct),
    Field("origin_dns", canonicalize=_origin_dns),
    Field("origin_port", canonicalize=_port),
    Field(
        "edge_ips",
        default=DYNAMIC_EDGE_IPS,
        canonicalize=_edge_ips,
        forces_replace=("edge_ips.type",),
    ),
    Field("tls", default="off", canonicalize=_lower),
    Field("proxy_protocol", default="off", canonicalize=_proxy_protocol),
    Field("ip_firewall", default=False, canonicalize=_bool),
    Field("argo_smart_routing", default=False, canonicalize=_bool),
    Field("virtual_network_id", canonicalize=_lower),
    Field("origin_worker_id", canonicalize=_same),
)
FIELD_ORDER: Mapping[str, int] = {f.name: i for i, f in enumerate(FIELDS)}
_MANAGED = tuple(f for f in FIELDS if not f.server_set)

# How each side of a replace-forcing switch reads to a reviewer.
_EDGE_MODE = {"CNAME": "non-BYOIP", "ADDRESS": "BYOIP", "dynamic": "non-BYOIP", "static": "BYOIP"}


def _upgrade_legacy(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Older responses say ``spp: true`` for what is now ``proxy_protocol: simple``."""
    if config.get("spp") is True and config.get("proxy_protocol") in (None, False, "off"):
        return {**config, "proxy_protocol": "simple"}
    return config


def _canonical_default(spec: Field) -> Any:
    return None if spec.default is None else spec.canonicalize(spec.default)


# (name, canonicalizer, canonical default) per managed field, computed once: normalize_app runs
# for every live and desired app of a plan.
_STEPS = tuple((f.name, f.canonicalize, _canonical_default(f)) for f in _MANAGED)


def normalize_app(config: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of an app: defaults filled, server fields dropped, values canonical."""
    config = _upgrade_legacy(config)
    normalized: dict[str, Any] = {}
    for name, canonicalize, default in _STEPS:
        value = config.get(name)
        if value is not None:
            normalized[name] = canonicalize(value)
        elif default is not None:
            # Copy object defaults so no two normalized apps share a mutable value.
            normalized[name] = dict(default) if isinstance(default, dict) else default
    return normalized


def app_key(zone: str, config: Mapping[str, Any]) -> AppKey:
    """The identity ``(zone, dns.name, protocol)`` of an app configuration."""
    dns = config.get("dns") or {}
    return AppKey.of(zone, str(dns.get("name") or ""), str(config.get("protocol") or ""))


def request_body(declared: Mapping[str, Any]) -> dict[str, Any]:
    """The body a create sends: the user's declared fields, canonicalized, nothing more (paygo
    apps refuse any field beyond ``dns``, ``protocol`` and ``origin_direct``)."""
    wanted = {name for name in declared if declared[name] is not None}
    desired = normalize_app(declared)
    return {f.name: desired[f.name] for f in _MANAGED if f.name in wanted and f.name in desired}


def update_body(declared: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body that turns the raw app ``live`` into ``declared``, whatever the API does with
    fields a PUT leaves out (the API reference does not say whether it resets or keeps them).

    Every field the user declared or the live app holds is sent explicitly: with its desired
    value (the default when not declared), or ``null`` when the desired app has none, so a
    field removed from git goes under either behaviour. Fields neither side has stay out, which
    keeps the body of a paygo app within what paygo accepts. Fields this tool does not know are
    not added here: ``unknown_fields.carried`` adds them.
    """
    wanted = {name for name, value in declared.items() if value is not None}
    wanted |= {name for name, value in live.items() if value is not None}
    desired = normalize_app(declared)
    return {f.name: desired.get(f.name) for f in _MANAGED if f.name in wanted}


def value_at(config: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``dns.type``); None when any step of it is absent."""
    value: Any = config
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def replace_reasons(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """Why ``before`` cannot become ``after`` in place; empty if it can.

    A ``dns.type`` change is refused with 11004
    (https://developers.cloudflare.com/spectrum/reference/error-codes/), so moving between dynamic
    and static edge IPs is delete-and-recreate (terraform-provider-cloudflare issue #2786).
    """
    reasons = []
    for spec in FIELDS:
        for path in spec.forces_replace:
            old, new = value_at(before, path), value_at(after, path)
            if old != new:
                modes = f" ({_EDGE_MODE.get(old, old)} to {_EDGE_MODE.get(new, new)})"
                reasons.append(f"{path} {old} -> {new}{modes} cannot change in place")
    return tuple(reasons)


def minimal_config(normalized: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields that differ from their defaults, in table order (for ``export``)."""
    minimal: dict[str, Any] = {}
    for spec in _MANAGED:
        value = normalized.get(spec.name)
        if value is None:
            continue
        if value != _canonical_default(spec):
            minimal[spec.name] = value
    return minimal


def canonical_json(value: Any) -> str:
    """The one JSON spelling used for digests and checksums: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(normalized: Mapping[str, Any]) -> str:
    """A sha256 hex digest of a normalized app, for noticing that a live app moved."""
    return hashlib.sha256(canonical_json(normalized).encode()).hexdigest()


def clear_caches() -> None:
    """Forget memoized hostnames and origins (benchmarks use it to measure a cold run)."""
    _host_text.cache_clear()
    _origin_uri.cache_clear()
