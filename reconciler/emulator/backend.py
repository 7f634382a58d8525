"""What every endpoint handler is given: the state and the settings the endpoints read.

In: the ``Store`` and the ``EmulatorConfig`` values ``Emulator`` copies at construction.
Out: ``Backend`` (passed to every handler) and ``Handler``, the signature the route table holds:
``handler(backend, path parameters, query, body) -> EmulatorResponse``. Pure values, no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.emulator.envelope import EmulatorResponse
from reconciler.emulator.store import Store

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
    wall_clock: Callable[[], float] = field(default=time.time)  # binding provisioning
