"""Pure: what a plan shows of its guardrails — policies, protected and unmanaged apps, verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.checks.guardrails.assessment import assess
from reconciler.checks.guardrails.verdict import Overrides, Refusal
from reconciler.desired.policy import is_protected
from reconciler.desired.times import parse_time
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind, Plan, ZoneSnapshot


@dataclass(frozen=True)
class Description:
    """The guardrails a plan shows: per-zone policies, protected and unmanaged apps, verdict."""

    zones: tuple[dict[str, Any], ...]
    protected: tuple[tuple[str, AppKey], ...]  # (zone, key) of live apps under protection
    unmanaged: tuple[tuple[str, AppKey, str], ...]  # (zone, key, app id) kept by prune: false
    refusals: tuple[Refusal, ...]
    notes: tuple[str, ...]
    overridden: tuple[Refusal, ...] = ()  # refusals the apply's --force / --break-glass lift

    def lines(self, kept: str = "unmanaged (prune: false)") -> list[str]:
        """Plain sentences for a terminal or a PR comment; ``kept`` names a kept app."""
        lines = [r.plan_line() for r in self.refusals] + list(self.notes)
        lines += [f"{kept}: {key} in zone {zone}" for zone, key, _ in self.unmanaged]
        lines += [f"protected: {key} in zone {zone}" for zone, key in self.protected]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "zones": list(self.zones),
            "protected": [{"zone": z, "key": k.to_dict()} for z, k in self.protected],
            "unmanaged": [
                {"zone": z, "key": k.to_dict(), "app_id": i} for z, k, i in self.unmanaged
            ],
            "refusals": [r.to_dict() for r in self.refusals],
            "notes": list(self.notes),
        }


def describe(plan: Plan, overrides: Overrides | None = None) -> Description:
    """What ``apply`` will make of this plan, judged at ``plan.made_at``: without overrides
    (``plan``), or with an apply's (a refusal they lift is ``overridden``, not a refusal)."""
    now = parse_time(plan.made_at) if plan.made_at else None
    verdict = assess(plan, now=now)
    standing = assess(plan, now=now, overrides=overrides).refusals if overrides else None
    return Description(
        zones=tuple(_zone_policy(zone) for zone in plan.zones),
        protected=tuple(
            (zone.name, stamp.key)
            for zone in plan.zones
            for stamp in sorted(zone.apps.values(), key=lambda s: s.key)
            if is_protected(zone, stamp.key)
        ),
        unmanaged=tuple(
            (zone.name, zone.apps[app_id].key, app_id)
            for zone in plan.zones
            for app_id in zone.unmanaged
            if app_id in zone.apps
        ),
        refusals=verdict.refusals if standing is None else standing,
        notes=verdict.notes,
        overridden=_lifted(verdict.refusals, standing),
    )


def _lifted(
    refusals: tuple[Refusal, ...], standing: tuple[Refusal, ...] | None
) -> tuple[Refusal, ...]:
    """The refusals no longer standing (by zone and rule: a standing one's wording may differ)."""
    if standing is None:
        return ()
    still = {(r.zone, r.rule) for r in standing}
    return tuple(r for r in refusals if (r.zone, r.rule) not in still)


def _zone_policy(zone: ZoneSnapshot) -> dict[str, Any]:
    return {"zone": zone.name, "zone_id": zone.zone_id, **zone.guardrails.to_dict()}


def protected_keys(plan: Plan) -> set[AppKey]:
    """Keys of the plan's actions whose app a ``protect`` pattern covers (for 🔒 marks)."""
    zones = {zone.zone_id: zone for zone in plan.zones}
    return {
        a.key for a in plan.actions if a.zone_id in zones and is_protected(zones[a.zone_id], a.key)
    }


def kept_apps(plan: Plan) -> tuple[Action, ...]:
    """The apps ``prune: false`` keeps, as drift reports them: live, declared by no file."""
    return tuple(
        Action(
            ActionKind.DELETE,
            zone.apps[app_id].key,
            zone.zone_id,
            app_id=app_id,
            before=zone.apps[app_id].config,
            reasons=("kept: the zone has prune: false, so apply never deletes it",),
        )
        for zone in plan.zones
        for app_id in zone.unmanaged
        if app_id in zone.apps
    )
