"""Parsers for the app fields that carry their own grammar.

In: raw JSON values from a request body. Out: parsed values (port ranges, origin URIs, IPs), or a
``Refusal`` with the code Cloudflare uses for that field (see ``codes``).
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.codes import Code
from reconciler.emulator.envelope import Refusal

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_PROTOCOL = re.compile(r"(tcp|udp)/(\d{1,5})(?:-(\d{1,5}))?")
_ORIGIN_URI = re.compile(
    r"(tcp|udp)://(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]):(\d{1,5})(?:-(\d{1,5}))?"
)
_LABEL = re.compile(r"(?!-)[A-Za-z0-9_-]{1,63}(?<!-)")
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


def refuse(code: Code, message: str) -> Refusal:
    """A one-item refusal carrying ``code``'s own HTTP status."""
    return Refusal.of(code.status, code.code, message)


@dataclass(frozen=True)
class PortRange:
    """An inclusive port range; a single port has ``first == last``."""

    first: int
    last: int

    @property
    def size(self) -> int:
        return self.last - self.first + 1

    @property
    def is_range(self) -> bool:
        return self.last != self.first

    def overlaps(self, other: PortRange) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Protocol:
    """``tcp/22`` or ``udp/1000-2000``, parsed."""

    transport: str
    ports: PortRange


@dataclass(frozen=True)
class OriginURI:
    """One ``origin_direct`` entry: ``tcp://192.0.2.1:22`` or ``udp://[2001:db8::1]:53-60``."""

    transport: str
    address: IP
    ports: PortRange


# Named protocols the API still accepts and returns as sent (terraform-provider-cloudflare
# commit b7ff2e9 removed minecraft from its acceptance tests and kept these two).
NAMED_PROTOCOLS = {
    "ssh": Protocol("tcp", PortRange(22, 22)),
    "rdp": Protocol("tcp", PortRange(3389, 3389)),
}


def port_range(first: str, last: str | None, code: Code, what: str) -> PortRange:
    """Ports 1-65535; a range needs start below end (cloudflare-go refuses start >= end)."""
    lo, hi = int(first), int(last) if last is not None else int(first)
    if not (1 <= lo <= 65535 and 1 <= hi <= 65535) or (last is not None and lo >= hi):
        raise refuse(code, f"{what}: ports must be 1-65535 and a range must go upwards")
    return PortRange(lo, hi)


def parse_protocol(value: Any) -> Protocol:
    """The edge ``protocol``: ``tcp/22``, ``udp/1000-2000``, or a named protocol (``ssh``
    is tcp/22 and ``rdp`` tcp/3389 for port overlap; ``minecraft`` was withdrawn: 13002)."""
    if not isinstance(value, str):
        raise refuse(codes.INVALID_REQUEST, "protocol must be a string such as tcp/22")
    if value in NAMED_PROTOCOLS:
        return NAMED_PROTOCOLS[value]
    match = _PROTOCOL.fullmatch(value)
    if match is None:
        raise refuse(
            codes.PROTOCOL_UNAVAILABLE, f"The requested protocol is not available: {value}"
        )
    transport, first, last = match.groups()
    return Protocol(transport, port_range(first, last, codes.INVALID_REQUEST, "protocol"))


def parse_origin_port(value: Any) -> PortRange:
    """``origin_port``: an integer, or a ``"start-end"`` string (JSON may send 22.0)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return port_range(str(value), None, codes.ORIGIN_DNS, "origin_port")
    match = re.fullmatch(r"(\d{1,5})(?:-(\d{1,5}))?", value) if isinstance(value, str) else None
    if match is None:
        raise refuse(codes.ORIGIN_DNS, "origin_port must be a port or a 'start-end' range")
    return port_range(match.group(1), match.group(2), codes.ORIGIN_DNS, "origin_port")


def parse_origin_uri(value: Any) -> OriginURI:
    """An ``origin_direct`` entry; IPv6 must be bracketed, as Cloudflare requires (11002)."""
    match = _ORIGIN_URI.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise refuse(codes.ORIGIN_ADDRESS, f"The origin address is invalid: {value!r}")
    transport, host, first, last = match.groups()
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise refuse(codes.ORIGIN_ADDRESS, f"The origin address is invalid: {value!r}") from None
    return OriginURI(transport, address, port_range(first, last, codes.ORIGIN_ADDRESS, value))


def parse_ip(value: Any) -> IP:
    """A static edge IP, as text (``2001:DB8::1`` and ``2001:db8::1`` are the same address)."""
    try:
        return ipaddress.ip_address(value) if isinstance(value, str) else _not_ip(value)
    except ValueError:
        return _not_ip(value)


def _not_ip(value: Any) -> IP:
    raise refuse(codes.INVALID_REQUEST, f"edge_ips.ips: {value!r} is not an IP address")


def is_hostname(value: Any) -> bool:
    """RFC 1123-ish: dot-separated labels, at most 253 characters; a trailing dot is allowed."""
    if not isinstance(value, str) or not 0 < len(value.rstrip(".")) <= 253:
        return False
    return all(_LABEL.fullmatch(label) for label in value.rstrip(".").split("."))


def is_ip_literal(value: str) -> bool:
    """``192.0.2.1`` passes the hostname grammar but names no DNS record (11001)."""
    try:
        ipaddress.ip_address(value.rstrip("."))
    except ValueError:
        return False
    return True


def is_uuid(value: Any) -> bool:
    """The virtual network id must be a UUID (11045)."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def host_key(name: str) -> str:
    """How hostnames compare: case-insensitive, trailing dot ignored."""
    return name.rstrip(".").lower()


def within(name: str, zone: str) -> bool:
    """``name`` (a ``host_key``) is the zone ``zone`` (a ``host_key``) or a name under it."""
    return name == zone or name.endswith("." + zone)


def object_body(body: bytes) -> dict[str, Any]:
    """A request body that must be a JSON object, or the emulator's 400 saying why not."""
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        raise refuse(codes.INVALID_REQUEST, "The request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise refuse(codes.INVALID_REQUEST, "The request body must be a JSON object")
    return doc
