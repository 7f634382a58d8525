"""Pure: the one reader of ports and port ranges (``22``, ``1000-2000``, ``tcp/1000-2000``).

Validation, normalization and the executor's delete ordering all need to know which ports a
protocol or an origin names; they all ask here, so they cannot disagree about what a range is.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_PORTS = re.compile(r"(\d+)(?:-(\d+))?")
# Named protocols Cloudflare still accepts (Terraform's acceptance tests create both; minecraft
# is refused with 13002 since December 2025). The API returns them as sent, so identity keeps
# the name; port overlap and delete ordering need what they occupy at the edge.
NAMED_PROTOCOLS: dict[str, tuple[str, int]] = {"ssh": ("tcp", 22), "rdp": ("tcp", 3389)}
# Spacing a person may put around the dash; the canonical spelling has none.
_LOOSE_DASH = re.compile(r"\s*-\s*")


@dataclass(frozen=True)
class Ports:
    """A port or an inclusive port range as written (``22`` or ``1000-2000``)."""

    start: int
    end: int
    is_range: bool

    @property
    def size(self) -> int:
        return self.end - self.start + 1

    @property
    def ordered(self) -> bool:
        return self.start < self.end if self.is_range else True

    def overlaps(self, other: Ports) -> bool:
        return self.start <= other.end and other.start <= self.end

    def __str__(self) -> str:
        return f"{self.start}-{self.end}" if self.is_range else str(self.start)


def parse_ports(text: str) -> Ports | None:
    """``"22"`` or ``"1000-2000"`` as :class:`Ports`; None when it is neither."""
    match = _PORTS.fullmatch(text.strip())
    if not match:
        return None
    start, end = int(match.group(1)), int(match.group(2) or match.group(1))
    return Ports(start, end, match.group(2) is not None)


def parse_loose_ports(text: str) -> Ports | None:
    """Like :func:`parse_ports`, forgiving spaces around the dash (``" 1000 - 2000"``)."""
    return parse_ports(_LOOSE_DASH.sub("-", text.strip()))


@functools.lru_cache(maxsize=4096)
def protocol_ports(protocol: str) -> tuple[str, Ports | None]:
    """``"tcp/1000-2000"`` -> (``"tcp"``, 1000-2000); ``ssh`` -> (``"tcp"``, 22), ``rdp`` ->
    (``"tcp"``, 3389); any other name has no ports.

    Cached: the rules ask several times per app, and the answer (a str and a frozen ``Ports``)
    cannot be changed by whoever receives it."""
    named = NAMED_PROTOCOLS.get(protocol.strip().lower())
    if named is not None:
        transport, port = named
        return transport, Ports(port, port, False)
    transport, slash, ports = protocol.partition("/")
    return (transport, parse_ports(ports)) if slash else (protocol, None)
