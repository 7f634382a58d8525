"""Plain immutable values the pipeline starts from: what the files declare and what is live.

Nothing here does I/O. Locations and problems, app keys, a zone's policies (safety,
guardrails, freeze), desired state and live state; the plan's values built from them are in
``reconciler.plan``. App configurations are carried as JSON-shaped mappings in the API's own
field names (the Spectrum app object of
https://developers.cloudflare.com/api/resources/spectrum/subresources/apps/ and SDK
``cloudflare==5.9.0`` ``types/spectrum``); ``normalize`` decides what they mean.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

AppConfig = Mapping[str, Any]


@dataclass(frozen=True, slots=True, order=True)
class Location:
    """Where something was written: ``file:line:col``, both numbers 1-based; line and col 0
    locate the path itself (a directory, a missing file), shown as the path alone."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.line else self.file


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the desired state, located when it can be."""

    location: Location | None
    message: str

    def __str__(self) -> str:
        where = str(self.location) if self.location else "<config>"
        return f"{where}: {self.message}"


def _lower(text: str) -> str:
    # The string already held when it is lower case: keys then share the apps' strings.
    lowered = text.lower()
    return text if lowered == text else lowered


@dataclass(frozen=True, slots=True, order=True)
class AppKey:
    """An app's identity: zone, edge hostname (lower case, no trailing dot) and protocol."""

    zone: str
    dns_name: str
    protocol: str

    @classmethod
    def of(cls, zone: str, dns_name: str, protocol: str) -> AppKey:
        return cls(zone, _lower(dns_name.strip().rstrip(".")), _lower(protocol.strip()))

    def to_dict(self) -> dict[str, str]:
        return {"dns_name": self.dns_name, "protocol": self.protocol}

    def __str__(self) -> str:
        return f"{self.dns_name} {self.protocol}"


@dataclass(frozen=True)
class SafetyPolicy:
    """How much of a zone's live apps one apply may delete or recreate without ``--force``."""

    max_destructive_percent: float = 30.0
    allow_delete_all: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_destructive_percent": self.max_destructive_percent,
            "allow_delete_all": self.allow_delete_all,
        }


@dataclass(frozen=True)
class Freeze:
    """A change-freeze window: ``apply`` writes nothing to the zone while it is in force.

    Fixed: until ``until`` (RFC 3339). Recurring: from each time ``cron`` names in ``timezone``
    for ``duration`` (``desired.freezes`` says when one is in force).
    """

    until: str | None
    reason: str
    cron: str | None = None
    duration: str | None = None
    timezone: str | None = None

    @property
    def recurring(self) -> bool:
        return self.cron is not None

    def to_dict(self) -> dict[str, str]:
        if self.recurring:
            return {
                "cron": str(self.cron),
                "duration": str(self.duration),
                "timezone": self.timezone or "UTC",
                "reason": self.reason,
            }
        return {"until": str(self.until), "reason": self.reason}


@dataclass(frozen=True)
class Guardrails:
    """A zone's guardrails as the files declare them (``checks.guardrails`` enforces them).

    ``break_glass`` is who may override a freeze (``None``: anyone).
    """

    protect: tuple[str, ...] = ()
    prune: bool = True
    mode: str = "enforce"  # or "observe"
    freezes: tuple[Freeze, ...] = ()
    break_glass: tuple[str, ...] | None = None
    live_delete: str = "refuse"  # or "allow": deleting an app with traffic is not refused

    def to_dict(self) -> dict[str, Any]:
        """As a plan document records them: ``freeze`` as declared, one window or a list."""
        windows = [freeze.to_dict() for freeze in self.freezes]
        recorded: dict[str, Any] = {
            "protect": list(self.protect),
            "prune": self.prune,
            "mode": self.mode,
            "freeze": windows[0] if len(windows) == 1 else (windows or None),
        }
        if self.break_glass is not None:
            recorded["break_glass"] = list(self.break_glass)
        if self.live_delete != "refuse":
            recorded["live_delete"] = self.live_delete
        return recorded


DEFAULT_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"  # where a zone without token_env takes its token


@dataclass(frozen=True)
class ZoneSpec:
    """A zone the desired state declares (and therefore fully manages)."""

    name: str | None
    zone_id: str | None
    ignore: tuple[str, ...] = ()
    safety: SafetyPolicy = field(default_factory=SafetyPolicy)
    sources: tuple[Location, ...] = ()
    guardrails: Guardrails = field(default_factory=Guardrails)
    token_env: str | None = None  # the variable holding this zone's token; None: the default

    @property
    def label(self) -> str:
        """The zone as keys and messages name it: its name, else its id."""
        return self.name or self.zone_id or "?"


@dataclass(frozen=True, slots=True)
class DesiredApp:
    """One app as a desired-state file declares it: only the fields the user wrote."""

    key: AppKey
    config: AppConfig
    source: Location


@dataclass(frozen=True)
class DesiredState:
    """Every zone and app of the loaded files, already validated; ``warnings``: what is valid
    but probably not meant (``validate`` shows them and still exits 0); ``notes``: each file
    loaded beyond the given paths, and why (``desired.configuration``)."""

    zones: tuple[ZoneSpec, ...]
    apps: tuple[DesiredApp, ...]
    warnings: tuple[Problem, ...] = ()
    notes: tuple[Problem, ...] = ()


@dataclass(frozen=True, slots=True)
class LiveApp:
    """One app as the API returned it (raw response object)."""

    app_id: str
    config: AppConfig


@dataclass(frozen=True, slots=True)
class LiveZone:
    """A zone's resolved name and id with its complete list of live apps."""

    name: str
    zone_id: str
    apps: tuple[LiveApp, ...]
