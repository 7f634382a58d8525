"""What the rules look at: zone and app entries that passed the schema, their ports and IPs.

In: loaded documents' zone declarations and apps. Out: a :class:`RuleContext`. Pure.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from reconciler.desired.ports import Ports, parse_ports, protocol_ports
from reconciler.model import Location, Problem

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
PROTOCOL_FORMAT = re.compile(r"(tcp|udp)/(\d+(?:-\d+)?)")
ORIGIN_URI = re.compile(r"(tcp|udp)://(\[[^\]]*\]|[^:/\[\]]+):(\d+(?:-\d+)?)")


def origin_uri_ports(uri: str) -> Ports | None:
    """The ports an ``origin_direct`` URI names (``tcp://192.0.2.1:22`` -> 22); None when the URI
    does not parse, so rules that compare ports skip what ``ports_are_well_formed`` reports."""
    parsed = ORIGIN_URI.fullmatch(uri)
    return parse_ports(parsed.group(3)) if parsed else None


def ip_address_of(text: str) -> IPAddress | None:
    """The IP address ``text`` writes (surrounding spaces allowed), else None."""
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        return None


class Locatable(Protocol):
    """What a rule needs of a loaded document: where a path was written."""

    @property
    def name(self) -> str: ...

    def locate(self, path: Iterable[str | int]) -> Location: ...


@dataclass(frozen=True)
class ZoneEntry:
    """One file's zone declaration (``zone``, ``zone_id``, ``ignore``, ``safety``, guardrails)."""

    doc: Locatable
    name: str | None
    zone_id: str | None
    ignore: tuple[str, ...] = ()
    safety: Mapping[str, Any] | None = None
    guardrails: Mapping[str, Any] | None = None  # protect, prune, mode, freeze as written
    token_env: str | None = None

    @property
    def label(self) -> str:
        return self.name or self.zone_id or "?"

    def at(self, *path: str | int) -> Location:
        """Where ``path`` was written; with no path, where the file names its zone."""
        return self.doc.locate(path or (("zone",) if self.name else ("zone_id",)))


class BrokenField(Exception):
    """A rule read a field the schema refused: its verdict on this app is unknown (skipped)."""


@dataclass(frozen=True, slots=True)
class AppEntry:
    """One app for the rules, with its zone's label (name when known, else id).

    ``broken``: the top-level fields the schema refused; ``get`` of one raises ``BrokenField``,
    so a rule that needs it says nothing about this app instead of judging a wrong value.
    ``dns.name`` and ``protocol`` are always sound (``validate`` keeps other apps out); both
    are normalized once, here, as a dozen rules ask each app for them.
    """

    doc: Locatable
    index: int
    zone: str
    config: Mapping[str, Any]
    broken: frozenset[str] = frozenset()
    dns_name: str = field(init=False, repr=False, compare=False)
    protocol: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        dns_name = str(self.config["dns"]["name"]).strip().rstrip(".").lower()
        object.__setattr__(self, "dns_name", dns_name)
        object.__setattr__(self, "protocol", str(self.config["protocol"]).strip().lower())

    def at(self, *path: str | int) -> Location:
        return self.doc.locate(("apps", self.index, *path))

    def problem(self, path: Sequence[str | int], message: str) -> Problem:
        return Problem(self.at(*path), message)

    def get(self, field: str, default: Any = None) -> Any:
        if field in self.broken:
            raise BrokenField(field)
        return self.config.get(field, default)

    @property
    def transport(self) -> str:
        """tcp or udp; the named protocols (ssh, rdp) are TCP."""
        return protocol_ports(self.protocol)[0]

    @property
    def edge_ports(self) -> Ports | None:
        """The edge ports; ssh is 22 and rdp 3389."""
        return protocol_ports(self.protocol)[1]

    @property
    def static_ips(self) -> list[str]:
        """The static edge IPs; none when ``edge_ips`` is broken (rules across apps read this)."""
        if "edge_ips" in self.broken:
            return []
        edge_ips = self.get("edge_ips") or {}
        return list(edge_ips.get("ips", [])) if edge_ips.get("type") == "static" else []

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.zone, self.dns_name, self.protocol)


@dataclass(frozen=True)
class RuleContext:
    """Every valid zone declaration and app of the loaded files."""

    zones: tuple[ZoneEntry, ...]
    apps: tuple[AppEntry, ...]

    def zone_groups(self) -> dict[str, list[ZoneEntry]]:
        """Zone declarations grouped by zone label (files naming the same zone share a group)."""
        aliases = _names_by_id(self.zones)
        groups: dict[str, list[ZoneEntry]] = {}
        for zone in self.zones:
            groups.setdefault(aliases.get(zone.label, zone.label), []).append(zone)
        return groups


def normal_zone_name(name: Any) -> str | None:
    """A zone name as keys use it: lower case, no trailing dot; None when absent."""
    return str(name).strip().rstrip(".").lower() if isinstance(name, str) else None


def build_context(zones: Iterable[ZoneEntry], apps: Iterable[AppEntry]) -> RuleContext:
    """A context whose apps carry their zone's name when any file ties that id to a name."""
    zones = tuple(zones)
    aliases = _names_by_id(zones)
    named = tuple(replace(app, zone=aliases.get(app.zone, app.zone)) for app in apps)
    return RuleContext(zones, tuple(sorted(named, key=lambda a: a.at())))


def _names_by_id(zones: Iterable[ZoneEntry]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for zone in zones:
        if zone.name and zone.zone_id:
            aliases.setdefault(zone.zone_id, zone.name)
    return aliases
