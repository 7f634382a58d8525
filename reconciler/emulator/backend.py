"""What every endpoint handler is given: the state and the settings the endpoints read.

In: the ``Store`` and the ``EmulatorConfig`` values ``Emulator`` copies at construction.
Out: ``Backend`` (passed to every handler) and ``Handler``, the signature the route table holds:
``handler(backend, path parameters, query, body) -> EmulatorResponse``. Pure values, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.emulator.clock import EmulatorClock
from reconciler.emulator.envelope import EmulatorResponse
from reconciler.emulator.store import Store
from reconciler.emulator.traffic import TrafficSpec

Query = Mapping[str, str]
Handler = Callable[["Backend", dict[str, str], Query, bytes], EmulatorResponse]


@dataclass
class Backend:
    """The state plus the configuration the endpoints need."""

    store: Store
    virtual_networks: Mapping[str, Sequence[str]]
    ip_firewall_default: bool | None
    put_keeps_omitted: bool = False  # a PUT merges into the stored app (test-only guess)
    keep_unknown_fields: bool = False  # store fields the emulator does not know (test-only)
    binding_provisioning_s: float = 0.0
    spectrum_records: bool = True  # list Spectrum's own DNS records (their shape is chosen)
    ipv4_hostname_quota: int | None = None  # Cloudflare-IPv4 hostnames per account (12005)
    dns_conflict_code: int = 81053  # Spectrum's code for a hostname with a manual record
    origin_dns_policy: str = "any"  # 11050: any, or account (``origin_zone``)
    clock: EmulatorClock = field(default_factory=EmulatorClock)  # provisioning, traffic
    traffic: Sequence[TrafficSpec] = ()  # seeded traffic (``--traffic``)
    analytics_forbidden: bool = False  # the token lacks Analytics Read: analytics answer 403


def query_of(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A query string's pairs as one value per name; a repeated name's values joined by commas
    (the SDK repeats list parameters, ``metrics=count&metrics=bytesIngress``, where the API's
    documentation writes ``metrics=count,bytesIngress``)."""
    query: dict[str, str] = {}
    for name, value in pairs:
        query[name] = f"{query[name]},{value}" if name in query else value
    return query
