"""Pure: how each kind of app value is spelled canonically — hosts, ports, origins, edge IPs.

In: one value as a desired-state file or the API spells it. Out: the one spelling shared by
values that Cloudflare treats the same (``22.0`` and ``"22"`` are the port ``22``;
``2001:DB8:0::1`` is ``2001:db8::1``). ``normalize``'s field table says which each field uses.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from typing import Any

from reconciler.desired.ports import parse_loose_ports

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


def host(value: Any) -> str:
    """A hostname lower-case without the trailing dot, or an IP address in canonical form."""
    return _host_text(str(value))


def port(value: Any) -> int | str:
    """``22``, ``22.0`` and ``"22"`` are the port 22; ``" 1000 - 2000"`` is ``"1000-2000"``."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value)
    text = str(value).strip()
    ports = parse_loose_ports(text)
    if ports is not None:
        return str(ports) if ports.is_range else ports.start
    if "-" in text:  # a range spelled with floats (``3000.0-4000``)
        start, _, end = text.partition("-")
        return f"{port(start)}-{port(end)}"
    try:
        return int(float(text))
    except ValueError:
        return text


# Both return the string already held when the case changes nothing: a normalized app then
# shares its strings with the app it was made from (str.lower always makes a new one). Inline,
# not a shared helper: normalizing calls them ~10 times per app.
def lower(value: Any) -> str:
    text = str(value).strip()
    changed = text.lower()
    return text if changed == text else changed


def upper(value: Any) -> str:
    text = str(value).strip()
    changed = text.upper()
    return text if changed == text else changed


def boolean(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


# The keys of object fields this tool compares; others (a future dns.ttl) are carried, never
# compared, so a field Cloudflare adds cannot become a perpetual diff (see unknown_fields.py).
OBJECT_KEYS: Mapping[str, tuple[str, ...]] = {
    "dns": ("name", "type"),
    "origin_dns": ("name", "ttl", "type"),
}


def dns(value: Any) -> dict[str, Any]:
    record = {k: v for k, v in dict(value or {}).items() if k in OBJECT_KEYS["dns"]}
    if "name" in record:
        record["name"] = host(record["name"])
    if "type" in record:
        record["type"] = upper(record["type"])
    return {k: record[k] for k in sorted(record)}


def _split_authority(rest: str) -> tuple[str, str | None]:
    """``[2001:db8::1]:443`` -> (``2001:db8::1``, ``443``); ``host`` -> (``host``, None)."""
    if rest.startswith("["):
        name, _, tail = rest[1:].partition("]")
        return name, tail[1:] if tail.startswith(":") else None
    name, colon, number = rest.rpartition(":")
    return (name, number) if colon else (rest, None)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _origin_uri(value: str) -> str:
    """``TCP://[2001:DB8:0::1]:443`` -> ``tcp://[2001:db8::1]:443``; unparseable text kept as is."""
    text = value.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return text
    name, number = _split_authority(rest)
    name = host(name)
    if ":" in name:  # an IPv6 address must be bracketed in a URI
        name = f"[{name}]"
    return f"{scheme.lower()}://{name}" + ("" if number is None else f":{port(number)}")


def origin_direct(value: Any) -> list[str]:
    # Entries load-balance: their order means nothing, so compare them sorted.
    return sorted(_origin_uri(str(entry)) for entry in value or ())


def origin_dns(value: Any) -> dict[str, Any]:
    known = OBJECT_KEYS["origin_dns"]
    origin = {"type": "", **{k: v for k, v in dict(value or {}).items() if k in known}}
    if "name" in origin:
        origin["name"] = host(origin["name"])
    if origin.get("ttl") is not None:
        origin["ttl"] = port(origin["ttl"])
    origin["type"] = upper(origin["type"] or "")
    return {k: origin[k] for k in sorted(origin) if origin[k] is not None}


def edge_ips(value: Any) -> dict[str, Any]:
    edge = dict(value or DYNAMIC_EDGE_IPS)
    if lower(edge.get("type", "dynamic")) == "static":
        # A static app's addresses are a set; connectivity does not apply to it.
        return {"ips": sorted({host(ip) for ip in edge.get("ips") or ()}), "type": "static"}
    # A dynamic app's ips are picked by Cloudflare and may move; they are never compared.
    return {"connectivity": lower(edge.get("connectivity") or "all"), "type": "dynamic"}


def proxy_protocol(value: Any) -> str:
    if isinstance(value, bool):  # legacy boolean form
        return "v1" if value else "off"
    return lower(value)


def same(value: Any) -> Any:
    return value


def clear_caches() -> None:
    """Forget memoized hostnames and origins (benchmarks use it to measure a cold run)."""
    _host_text.cache_clear()
    _origin_uri.cache_clear()
