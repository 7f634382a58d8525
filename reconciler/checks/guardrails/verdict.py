"""Pure: the values a guardrail assessment returns — refusals, broken freezes, the verdict."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reconciler.errors import SafetyError
from reconciler.plan import Action, Plan, ZoneSnapshot, ZoneTraffic


class GuardrailError(SafetyError):
    """Exit 3: a guardrail or the safety gate refused the plan; nothing was written."""


@dataclass(frozen=True)
class Overrides:
    """What the operator asked for: ``--force``, ``--break-glass WHY``, who they are, the apps
    ``--allow-live-delete`` names (``HOST:PROTOCOL``) and ``--strict`` (unknown traffic is
    live)."""

    force: bool = False
    break_glass: str | None = None
    user: str = "unknown"
    allow_live_delete: tuple[str, ...] = ()
    strict: bool = False


@dataclass(frozen=True)
class Refusal:
    """One zone refused by one rule: what and why, what to do, and the flag that lifts it;
    ``alternative`` is what to do without that flag (``reconcile`` has none)."""

    zone: str
    rule: str
    message: str
    hint: str
    override: str | None = None
    alternative: str = ""

    def plan_line(self) -> str:
        """How a plan says it: ``apply will refuse this without --force: zone …``."""
        without = f" without {self.override}" if self.override else ""
        return f"apply will refuse this{without}: {self.message}"

    def unforced_hint(self) -> str:
        """The hint for a run that takes no overrides (``reconcile``): what works there."""
        if self.override is None:
            return self.hint
        flag = '--break-glass "why"' if self.override == "--break-glass" else self.override
        otherwise = f", or {self.alternative}" if self.alternative else ""
        return f"reconcile never overrides this: run `apply {flag}` by hand{otherwise}"

    def overridden_line(self) -> str:
        """How an apply given the flag says it: ``overridden by --force: zone …``."""
        return f"overridden by {self.override}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "override": self.override,
        }


@dataclass(frozen=True)
class BrokenFreeze:
    """A freeze that ``--break-glass`` overrode: for the journal and the apply summary."""

    zone: str
    until: str
    reason: str
    why: str
    user: str
    at: str

    def line(self) -> str:
        return (
            f"break-glass: zone {self.zone} is frozen until {self.until} ({self.reason}); "
            f"applied anyway by {self.user} at {self.at}: {self.why}"
        )

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class AllowedLiveDelete:
    """A delete of an app with traffic that ``--allow-live-delete`` let through."""

    zone: str
    key: str
    traffic: str
    user: str
    at: str

    def line(self) -> str:
        return (
            f"allow-live-delete: {self.key} in zone {self.zone} ({self.traffic}); deleted "
            f"anyway by {self.user} at {self.at}"
        )

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Verdict:
    """What ``apply`` may do with a plan."""

    plan: Plan  # the actions to run (observe-only and held zones removed)
    skipped: tuple[Action, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    notes: tuple[str, ...] = ()
    broken_freezes: tuple[BrokenFreeze, ...] = ()
    held: tuple[Action, ...] = ()  # the actions of the zones a refusal holds
    allowed_live_deletes: tuple[AllowedLiveDelete, ...] = ()  # for the journal

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    @property
    def idle_zone_ids(self) -> frozenset[str]:
        """The zones nothing is written to: observe-only, and held by a refusal."""
        return frozenset(a.zone_id for a in (*self.skipped, *self.held))

    def raise_if_refused(self) -> None:
        """``GuardrailError`` (exit 3) naming every refusal and what to do about each."""
        if self.refusals:
            raise GuardrailError("; ".join(f"{r.message} — {r.hint}" for r in self.refusals))

    def raise_if_all_held(self) -> None:
        """``GuardrailError`` when refusals leave nothing to run: nothing is written at all."""
        if self.refusals and not self.plan.actions:
            self.raise_if_refused()

    def held_lines(self) -> list[str]:
        """One line per refusal: the zone it holds, why, and what lifts it."""
        return [f"held: {r.message} — {r.hint}" for r in self.refusals]

    def skipped_lines(self) -> list[str]:
        return [
            f"observe: skipped {a.kind.value} {a.key} in zone {a.key.zone} "
            "(mode: observe; nothing is written to this zone)"
            for a in self.skipped
        ]


@dataclass(frozen=True)
class Context:
    """What every rule may consult besides the zone and its actions."""

    now: datetime | None
    overrides: Overrides
    traffic: tuple[ZoneTraffic, ...] = ()  # the plan's (``Plan.traffic``)


Rule = Callable[[ZoneSnapshot, Sequence[Action], Context], Refusal | None]
