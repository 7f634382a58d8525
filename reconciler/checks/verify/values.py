"""Pure: the verification's values — what is checked, what was read, and each app's verdict."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.checks.addressing import AddressPlane
from reconciler.checks.preflight.facts import HostRecord
from reconciler.checks.static_ips import static_ips_of
from reconciler.desired.ports import protocol_ports
from reconciler.errors import EXIT_DEGRADED, EXIT_OK
from reconciler.model import AppKey, Location


class Health(enum.Enum):
    """An app's (or one check's) verdict, from the best to the worst."""

    HEALTHY = "healthy"
    UNKNOWN = "unknown"
    DEGRADED = "degraded"


STATES = ("healthy", "degraded", "unknown")  # the order a summary names them in
_RANK = {Health.HEALTHY: 0, Health.UNKNOWN: 1, Health.DEGRADED: 2}


@dataclass(frozen=True)
class Unread:
    """A read that failed (a permission, an error): its checks end ``unknown`` with ``reason``."""

    reason: str


@dataclass(frozen=True)
class Target:
    """One app to verify: ``desired`` normalized, ``app_id`` the live id it should have now
    (None: no live app), ``carried`` whether it carried traffic before a recreate or replace
    (None: not recreated, or not known)."""

    key: AppKey
    zone_id: str
    app_id: str | None
    desired: Mapping[str, Any]
    source: Location | None = None
    carried: bool | None = None
    recreated: bool = False

    @property
    def static_ips(self) -> tuple[str, ...]:
        return static_ips_of(self.desired)

    @property
    def transport(self) -> str:
        return protocol_ports(str(self.desired.get("protocol") or self.key.protocol))[0]


@dataclass(frozen=True)
class ProbeTarget:
    """Where ``--probe`` connects: an edge IP (or, for dynamic edge IPs, the hostname) and the
    first port of the app's edge ports."""

    host: str
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def probe_targets(target: Target) -> tuple[ProbeTarget, ...]:
    """Each static edge IP (else the hostname) at the first edge port; none for UDP."""
    transport, ports = protocol_ports(str(target.desired.get("protocol") or target.key.protocol))
    if transport != "tcp" or ports is None:
        return ()
    hosts = target.static_ips or (target.key.dns_name,)
    return tuple(ProbeTarget(host, ports.start) for host in hosts)


@dataclass(frozen=True)
class Observed:
    """What the shell read for one round. Keys: zone id (``apps``, ``records``, ``traffic``),
    account id (``planes``). ``traffic`` None: no analytics reader (the check is not run);
    a zone's value None: its analytics could not be read. ``probes``: None when ``--probe``
    is off, else each target's error (None: it connected)."""

    apps: Mapping[str, Mapping[str, Mapping[str, Any]] | Unread] = field(default_factory=dict)
    records: Mapping[str, Sequence[HostRecord] | Unread] = field(default_factory=dict)
    accounts: Mapping[str, str | Unread] = field(default_factory=dict)
    planes: Mapping[str, AddressPlane | Unread] = field(default_factory=dict)
    traffic: Mapping[str, Mapping[str, int] | None] | None = None
    probes: Mapping[ProbeTarget, str | None] | None = None


@dataclass(frozen=True)
class Check:
    """One check's verdict on one app; ``health`` None: not run for this app (said why)."""

    name: str
    health: Health | None
    detail: str

    def to_dict(self) -> dict[str, Any]:
        state = self.health.value if self.health else "skipped"
        return {"check": self.name, "result": state, "detail": self.detail}


@dataclass(frozen=True)
class AppHealth:
    """An app's verdict: the worst of its checks; ``reasons`` are the checks that made it."""

    target: Target
    checks: tuple[Check, ...]

    @property
    def health(self) -> Health:
        ran = [c.health for c in self.checks if c.health is not None]
        return max(ran, key=_RANK.__getitem__, default=Health.UNKNOWN)

    @property
    def reasons(self) -> tuple[str, ...]:
        worst = self.health
        if worst is Health.HEALTHY:
            return ()
        return tuple(c.detail for c in self.checks if c.health is worst)

    def line(self) -> str:
        """``degraded  example.com ssh.example.com tcp/22 (id 9f…): no Spectrum DNS record …``"""
        target = self.target
        ident = f" (id {target.app_id})" if target.app_id else ""
        why = "; ".join(self.reasons)
        return f"{self.health.value:9} {target.key.zone} {target.key}{ident}" + (
            f": {why}" if why else ""
        )

    def to_dict(self) -> dict[str, Any]:
        target = self.target
        return {
            "zone": target.key.zone,
            "zone_id": target.zone_id,
            "key": target.key.to_dict(),
            "app_id": target.app_id,
            "health": self.health.value,
            "reasons": list(self.reasons),
            "checks": [c.to_dict() for c in self.checks],
            "source": None if target.source is None else str(target.source),
        }


@dataclass(frozen=True)
class Verification:
    """Every checked app's verdict, in key order, with what the run could not check."""

    apps: tuple[AppHealth, ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ordered = sorted(
            self.apps,
            key=lambda a: (a.target.key.zone, a.target.key.dns_name, a.target.key.protocol),
        )
        object.__setattr__(self, "apps", tuple(ordered))

    def counts(self) -> dict[str, int]:
        found = {state: 0 for state in STATES}
        for app in self.apps:
            found[app.health.value] += 1
        return found

    @property
    def degraded(self) -> bool:
        return any(app.health is Health.DEGRADED for app in self.apps)

    def exit_code(self, code: int) -> int:
        """The run's exit code once verified: 5 when an app is degraded after a run that
        succeeded (0); any other code stands (a failed apply stays 4, a held one 3)."""
        return EXIT_DEGRADED if code == EXIT_OK and self.degraded else code

    def summary_line(self) -> str:
        """``verify: 3 apps: 2 healthy, 1 degraded, 0 unknown``"""
        counts = self.counts()
        noun = "app" if len(self.apps) == 1 else "apps"
        parts = ", ".join(f"{counts[state]} {state}" for state in STATES)
        return f"verify: {len(self.apps)} {noun}: {parts}"

    def lines(self) -> list[str]:
        return [
            *(f"note: {n}" for n in self.notes),
            *(a.line() for a in self.apps),
            self.summary_line(),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "apps": [a.to_dict() for a in self.apps],
            "notes": list(self.notes),
            "summary": self.counts(),
        }
