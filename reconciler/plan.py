"""The plan's values: the actions that make live match desired, and what the plan saw.

Plain immutable values, no I/O: ``Action`` (with its ``ActionKind`` and ``FieldChange``s), the
``ZoneSnapshot`` and ``LiveAppStamp``s a saved plan remembers to notice staleness, the
address check's ``PlanWarning``s, the apps' traffic (``ZoneTraffic``), and the ``Plan`` that
holds them. ``to_dict`` gives the
JSON-shaped form the plan document and the JSON renderer write.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reconciler.model import (
    DEFAULT_TOKEN_ENV,
    AppConfig,
    AppKey,
    Guardrails,
    Location,
    SafetyPolicy,
)

JSON = Any


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


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field: a dotted path (``dns.type``, ``origin_direct``) with both values."""

    path: str
    before: JSON
    after: JSON

    def to_dict(self) -> dict[str, JSON]:
        return {"path": self.path, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
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
    ``token_env`` names the variable whose token reads and writes the zone (never the token).
    """

    name: str
    zone_id: str
    apps: Mapping[str, LiveAppStamp]
    safety: SafetyPolicy = field(default_factory=SafetyPolicy)
    ignore: tuple[str, ...] = ()
    guardrails: Guardrails = field(default_factory=Guardrails)
    unmanaged: tuple[str, ...] = ()
    token_env: str = DEFAULT_TOKEN_ENV


@dataclass(frozen=True)
class PlanWarning:
    """A finding about an app the plan writes: a warning (``checks.addressing``, ``checks.
    preflight``: apply goes on) or, in ``Plan.refusals``, what Cloudflare would refuse.
    ``kind`` names it (``ip_not_byoip``, ``dns_record_conflict``, ...), ``ip`` is the static IP
    it is about (None when it is about the app), ``source`` is where the app is declared."""

    kind: str
    key: AppKey
    ip: str | None
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
class AppTraffic:
    """What one app carried: connections and bytes in each direction."""

    connections: int = 0
    bytes_ingress: int = 0
    bytes_egress: int = 0

    @property
    def bytes(self) -> int:
        return self.bytes_ingress + self.bytes_egress

    @property
    def live(self) -> bool:
        return self.connections > 0 or self.bytes > 0

    def to_dict(self) -> dict[str, int]:
        return {
            "connections": self.connections,
            "bytes_ingress": self.bytes_ingress,
            "bytes_egress": self.bytes_egress,
        }


IDLE = AppTraffic()


@dataclass(frozen=True)
class ZoneTraffic:
    """A zone's traffic over ``window_s`` seconds, by app id; ``apps`` None: unknown (``reason``
    says why). An app the answer does not name carried nothing."""

    zone_id: str
    window_s: float
    apps: Mapping[str, AppTraffic] | None = field(default=None)
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.apps is not None:
            object.__setattr__(self, "apps", MappingProxyType(dict(self.apps)))

    @property
    def known(self) -> bool:
        return self.apps is not None

    def of(self, app_id: str) -> AppTraffic | None:
        """The app's traffic; None when the zone's analytics could not be read."""
        if self.apps is None:
            return None
        return self.apps.get(app_id, IDLE)


OFFLINE = "offline"  # Plan.address_checks of an offline review: nothing live was read


@dataclass(frozen=True)
class Plan:
    """The actions that make live match desired, sorted deterministically, with what they saw.

    ``warnings``: what the address check found; ``address_checks``: ``checked``, ``skipped``
    (``--skip-address-checks``), ``not needed`` (no app to write has static edge IPs) or
    ``offline`` (``diff``: no live state was read; the checks that need it did not run).
    ``refusals``: what Cloudflare would refuse (``checks.preflight``): apply writes nothing;
    ``preflight``: ``checked``, ``not needed`` (nothing to write) or ``not checked`` (offline,
    as ``diff``); ``preflight_notes``: what the checks could not count.
    ``traffic``: each zone's analytics over ``traffic_window_s``, read for the zones with a
    delete or recreate (``checks.traffic``); a zone not there was not read.
    """

    actions: tuple[Action, ...]
    unchanged: int = 0
    zones: tuple[ZoneSnapshot, ...] = ()
    sources: tuple[str, ...] = ()  # the PATHs planned from, so apply --plan can re-read them
    made_at: str | None = None  # when it was planned (RFC 3339): what a freeze is judged against
    warnings: tuple[PlanWarning, ...] = ()
    address_checks: str = "not needed"
    refusals: tuple[PlanWarning, ...] = ()
    preflight: str = "not checked"
    preflight_notes: tuple[str, ...] = ()
    traffic: tuple[ZoneTraffic, ...] = ()

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

    def zone_traffic(self, zone_id: str) -> ZoneTraffic | None:
        """The zone's traffic as read for this plan; None when it was not read."""
        return next((zone for zone in self.traffic if zone.zone_id == zone_id), None)


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
