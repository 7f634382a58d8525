"""Plain immutable values that flow between the pipeline stages.

Nothing here does I/O. App configurations are carried as JSON-shaped mappings in the API's own
field names (the Spectrum app object of
https://developers.cloudflare.com/api/resources/spectrum/subresources/apps/ and SDK
``cloudflare==5.9.0`` ``types/spectrum``); ``normalize`` decides what they mean.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSON = Any
AppConfig = Mapping[str, Any]


@dataclass(frozen=True, order=True)
class Location:
    """Where something was written: ``file:line:col``, both numbers 1-based."""

    file: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the desired state, located when it can be."""

    location: Location | None
    message: str

    def __str__(self) -> str:
        where = str(self.location) if self.location else "<config>"
        return f"{where}: {self.message}"


@dataclass(frozen=True, order=True)
class AppKey:
    """An app's identity: zone, edge hostname (lower case, no trailing dot) and protocol."""

    zone: str
    dns_name: str
    protocol: str

    @classmethod
    def of(cls, zone: str, dns_name: str, protocol: str) -> AppKey:
        return cls(zone, dns_name.strip().rstrip(".").lower(), protocol.strip().lower())

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
    """A change freeze: ``apply`` writes nothing to the zone before ``until`` (RFC 3339)."""

    until: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"until": self.until, "reason": self.reason}


@dataclass(frozen=True)
class Guardrails:
    """A zone's guardrails as the files declare them (``checks.guardrails`` enforces them)."""

    protect: tuple[str, ...] = ()
    prune: bool = True
    mode: str = "enforce"  # or "observe"
    freeze: Freeze | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "protect": list(self.protect),
            "prune": self.prune,
            "mode": self.mode,
            "freeze": self.freeze.to_dict() if self.freeze else None,
        }


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


@dataclass(frozen=True)
class DesiredApp:
    """One app as a desired-state file declares it: only the fields the user wrote."""

    key: AppKey
    config: AppConfig
    source: Location


@dataclass(frozen=True)
class DesiredState:
    """Every zone and app of the loaded files, already validated; ``warnings``: what is valid
    but probably not meant (``validate`` shows them and still exits 0)."""

    zones: tuple[ZoneSpec, ...]
    apps: tuple[DesiredApp, ...]
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class LiveApp:
    """One app as the API returned it (raw response object)."""

    app_id: str
    config: AppConfig


@dataclass(frozen=True)
class LiveZone:
    """A zone's resolved name and id with its complete list of live apps."""

    name: str
    zone_id: str
    apps: tuple[LiveApp, ...]


class ActionKind(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RECREATE = "recreate"

    @property
    def symbol(self) -> str:
        return {"create": "+", "update": "~", "delete": "-", "recreate": "-/+"}[self.value]

    @property
    def destructive(self) -> bool:
        return self in (ActionKind.DELETE, ActionKind.RECREATE)


@dataclass(frozen=True)
class FieldChange:
    """One changed field: a dotted path (``dns.type``, ``origin_direct``) with both values."""

    path: str
    before: JSON
    after: JSON

    def to_dict(self) -> dict[str, JSON]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Action:
    """One change to make, carrying everything the executor needs (no second lookup).

    ``before`` is the live app normalized (None for a create), ``after`` the desired app
    normalized (None for a delete), ``body`` the exact request body a create or update sends.
    """

    kind: ActionKind
    key: AppKey
    zone_id: str
    app_id: str | None = None
    before: AppConfig | None = None
    after: AppConfig | None = None
    body: AppConfig | None = None
    changes: tuple[FieldChange, ...] = ()
    reasons: tuple[str, ...] = ()
    source: Location | None = None  # where the desired app is declared; None for a delete

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.key.zone, self.key.dns_name, self.key.protocol, self.kind.value)

    def to_dict(self) -> dict[str, JSON]:
        return {
            "action": self.kind.value,
            "zone": self.key.zone,
            "zone_id": self.zone_id,
            "app_id": self.app_id,
            "key": self.key.to_dict(),
            "before": _plain(self.before),
            "after": _plain(self.after),
            "body": _plain(self.body),
            "changes": [c.to_dict() for c in self.changes],
            "reasons": list(self.reasons),
            "source": _text(self.source),
        }


@dataclass(frozen=True)
class LiveAppStamp:
    """What a saved plan remembers of one live app, to notice if it moved before apply."""

    key: AppKey
    modified_on: str | None
    digest: str
    config: AppConfig | None = None  # normalized, so a stale plan can name the fields that moved


@dataclass(frozen=True)
class ZoneSnapshot:
    """A zone as the plan saw it: its live apps by id and the policies in force.

    ``ignore`` and ``guardrails`` are the zone's settings when planned; ``unmanaged`` holds the
    ids of undeclared live apps that ``prune: false`` keeps (ignored apps are not listed).
    """

    name: str
    zone_id: str
    apps: Mapping[str, LiveAppStamp]
    safety: SafetyPolicy = field(default_factory=SafetyPolicy)
    ignore: tuple[str, ...] = ()
    guardrails: Guardrails = field(default_factory=Guardrails)
    unmanaged: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanWarning:
    """Something apply will do that probably does not work as meant (``checks.addressing``):
    ``kind`` names it (``ip_not_byoip``, ``prefix_withdrawn``, ...), ``source`` is where the
    app is declared."""

    kind: str
    key: AppKey
    ip: str
    message: str
    source: Location | None = None

    def to_dict(self) -> dict[str, JSON]:
        return {
            "kind": self.kind,
            "zone": self.key.zone,
            "key": self.key.to_dict(),
            "ip": self.ip,
            "message": self.message,
            "source": _text(self.source),
        }


@dataclass(frozen=True)
class Plan:
    """The actions that make live match desired, sorted deterministically, with what they saw.

    ``warnings``: what the address check found; ``address_checks``: ``checked``, ``skipped``
    (``--skip-address-checks``) or ``not needed`` (no app to write has static edge IPs).
    """

    actions: tuple[Action, ...]
    unchanged: int = 0
    zones: tuple[ZoneSnapshot, ...] = ()
    sources: tuple[str, ...] = ()  # the PATHs planned from, so apply --plan can re-read them
    made_at: str | None = None  # when it was planned (RFC 3339): what a freeze is judged against
    warnings: tuple[PlanWarning, ...] = ()
    address_checks: str = "not needed"

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", tuple(sorted(self.actions, key=lambda a: a.sort_key)))

    @property
    def summary(self) -> dict[str, int]:
        counts = {kind.value: 0 for kind in ActionKind}
        for action in self.actions:
            counts[action.kind.value] += 1
        counts["unchanged"] = self.unchanged
        return counts

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)


def _text(location: Location | None) -> str | None:
    """A location as documents write it: ``file:line:col``."""
    return None if location is None else str(location)


def _plain(value: JSON) -> JSON:
    """A deep copy of a JSON-shaped value as plain dicts and lists (for json.dumps)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
