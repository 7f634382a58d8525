"""The emulator's settings: one frozen value, shared by the in-process and the HTTP forms.

In: keyword arguments (from tests, ``--sandbox`` or the ``emulator`` command). Out: nothing but
the value; ``Emulator`` reads it once at construction.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.emulator.addressing.flags import check_address_flags
from reconciler.emulator.dns_records import parse_record_spec
from reconciler.emulator.origin_zone import parse_policy
from reconciler.emulator.traffic import parse_traffic_spec
from reconciler.emulator.zones import parse_zone_spec

# The IPv4 and IPv6 documentation ranges (RFC 5737, RFC 3849): what --sandbox onboards.
DOCUMENTATION_PREFIXES = ("198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48")
# Per credential: https://developers.cloudflare.com/fundamentals/api/reference/limits/
CLOUDFLARE_RATE_LIMIT = (1200, 300.0)
# developers.cloudflare.com/spectrum/reference/limitations/: per account.
CLOUDFLARE_IPV4_HOSTNAME_QUOTA = 10


@dataclass(frozen=True)
class EmulatorConfig:
    """Everything an ``Emulator`` is built from.

    ``zones`` are created (id = md5 of the name), each ``NAME[,plan=free|pro|business|
    enterprise][,account=ID]`` (``zones.parse_zone_spec``), and ``byoip_prefixes`` onboarded at
    start, each ``CIDR[,service=...][,advertised=...][,approved=...][,binding=...][,account=ID]``
    (``addressing.flags.parse_prefix_spec``);
    ``leased_prefixes`` (``CIDR[,account=ID]``) are static IP space Cloudflare leases to an
    account, shown in an address map Cloudflare made; ``delegations`` (``CIDR,to=ID``) lend a
    CIDR of one account's prefix to another. ``account=`` defaults to the emulator's one
    account (``Emulator.account_id``). A service binding
    made through the API stays ``provisioning`` for ``binding_provisioning_s`` seconds.
    ``token`` None accepts any non-empty Bearer token. ``fault_rate`` with
    ``seed`` injects faults; ``rate_limit`` is (requests, seconds) per credential.
    ``state_file`` None keeps state in memory only. ``virtual_networks`` maps a virtual network
    UUID to the CIDRs routed through it (11044 otherwise). ``ip_firewall_default`` None leaves
    ``ip_firewall`` out of apps that did not send it.
    ``dns_records`` are manual records (``NAME,type=...,content=...[,proxied=...]``) seeded in
    the zone holding each name; ``ipv4_hostname_quota`` caps the account's unique hostnames on
    Cloudflare IPv4 (12005; None: no cap — the ``emulator`` command uses Cloudflare's 10, and
    ``--sandbox`` none: its account has the quota the command's ``--ipv4-hostname-quota``
    says); ``dns_conflict_code`` is the code of Spectrum's refusal of a hostname with a manual
    record (undocumented; 81053 is the DNS API's for that text);
    ``spectrum_records`` False leaves Spectrum's own records out of DNS record lists;
    ``origin_dns_policy`` ``account`` refuses an ``origin_dns`` name outside every zone of the
    app's account (11050; ``any``, the default, permits every name: ``origin_zone``);
    ``traffic`` seeds Spectrum analytics: each ``HOSTNAME[:PROTOCOL]=CONNECTIONS_PER_MINUTE``
    (``traffic.parse_traffic_spec``); ``analytics_forbidden`` answers analytics with the 403 of
    a token without Analytics Read.

    Test-only switches for what the API documents nowhere (so tests can try every guess):
    ``ip_firewall_default`` True or False fills that default instead; ``put_keeps_omitted``
    makes a PUT keep the fields its body leaves out (a ``null`` removes one) instead of resetting
    them; ``keep_unknown_fields`` stores top-level and ``dns``/``origin_dns`` keys the emulator
    does not know, as Cloudflare will once it adds fields newer than this tool.
    """

    zones: Sequence[str] = ()
    byoip_prefixes: Sequence[str] = ()
    leased_prefixes: Sequence[str] = ()
    delegations: Sequence[str] = ()
    binding_provisioning_s: float = 0.0
    token: str | None = None
    latency_ms: float = 0.0
    fault_rate: float = 0.0
    seed: int = 0
    rate_limit: tuple[int, float] = CLOUDFLARE_RATE_LIMIT
    state_file: str | os.PathLike[str] | None = None
    virtual_networks: Mapping[str, Sequence[str]] = field(default_factory=dict)
    ip_firewall_default: bool | None = None
    put_keeps_omitted: bool = False
    keep_unknown_fields: bool = False
    dns_records: Sequence[str] = ()
    ipv4_hostname_quota: int | None = None
    dns_conflict_code: int = 81053
    spectrum_records: bool = True
    origin_dns_policy: str = "any"
    traffic: Sequence[str] = ()
    analytics_forbidden: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be within 0..1, got {self.fault_rate}")
        if self.rate_limit[0] < 1 or self.rate_limit[1] <= 0:
            raise ValueError(f"rate_limit must be (N >= 1, seconds > 0), got {self.rate_limit}")
        if self.binding_provisioning_s < 0:
            raise ValueError(
                f"binding_provisioning_s must not be negative, got {self.binding_provisioning_s}"
            )
        # ValueError: one line naming the value and the fix.
        check_address_flags(self.byoip_prefixes, self.leased_prefixes, self.delegations)
        for zone in self.zones:
            parse_zone_spec(zone)
        for record in self.dns_records:
            parse_record_spec(record)
        for spec in self.traffic:
            parse_traffic_spec(spec)
        if self.ipv4_hostname_quota is not None and self.ipv4_hostname_quota < 0:
            raise ValueError(
                f"ipv4_hostname_quota must not be negative, got {self.ipv4_hostname_quota}"
            )
        parse_policy(self.origin_dns_policy)
        if self.latency_ms < 0:
            raise ValueError(f"latency_ms must not be negative, got {self.latency_ms}")


def parse_rate_limit(text: str) -> tuple[int, float]:
    """``"1200/300"`` -> ``(1200, 300.0)``; for the command line."""
    count, _, seconds = text.partition("/")
    try:
        return int(count), float(seconds)
    except ValueError:
        raise ValueError(f"rate limit must look like N/SECONDS, got {text!r}") from None
