"""Pure: guardrails in a saved plan document, and a saved plan against the files it came from."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from reconciler.checks.guardrails.description import describe
from reconciler.desired.freezes import windows_from
from reconciler.desired.policy import ENFORCE
from reconciler.model import Guardrails, ZoneSpec
from reconciler.plan import Plan, ZoneSnapshot


def policy_changes(plan: Plan, zones: Sequence[ZoneSpec]) -> list[str]:
    """How the files' policies differ from those the saved plan recorded, one line per zone.

    A saved plan records each zone's ignore patterns, safety settings and guardrails; ``apply
    --plan`` enforces the files' current ones, so a plan made before a ``protect``, a freeze or
    ``prune: false`` was merged (or edited to drop one) is stale, never applied.
    """
    changes = []
    for snapshot in plan.zones:
        spec = _spec_for(snapshot, zones)
        if spec is None:
            changes.append(f"zone {snapshot.name} is no longer declared by the files")
            continue
        recorded = (snapshot.ignore, snapshot.safety, snapshot.guardrails)
        if recorded != (spec.ignore, spec.safety, spec.guardrails):
            changes.append(
                f"the ignore, safety or guardrail settings of zone {snapshot.name} changed"
            )
    return changes


def _spec_for(snapshot: ZoneSnapshot, zones: Sequence[ZoneSpec]) -> ZoneSpec | None:
    for spec in zones:
        if spec.zone_id == snapshot.zone_id:
            return spec
        if not spec.zone_id and (spec.name or "").lower() == snapshot.name.lower():
            return spec
    return None


def snapshot_policy_to_dict(zone: ZoneSnapshot) -> dict[str, Any]:
    """A zone's policies as the plan document's ``live.zones[]`` records them."""
    return {
        "ignore": list(zone.ignore),
        "guardrails": zone.guardrails.to_dict(),
        "unmanaged": list(zone.unmanaged),
    }


def snapshot_policy_from_dict(zone: ZoneSnapshot, item: Mapping[str, Any]) -> ZoneSnapshot:
    """``zone`` with the policies a plan document recorded (defaults where it recorded none)."""
    recorded = item.get("guardrails") or {}
    allowed = recorded.get("break_glass")
    policy = Guardrails(
        protect=tuple(recorded.get("protect", ())),
        prune=recorded.get("prune", True),
        mode=recorded.get("mode", ENFORCE),
        freezes=tuple(windows_from(recorded.get("freeze"))),
        break_glass=None if allowed is None else tuple(allowed),
        live_delete=recorded.get("live_delete", "refuse"),
    )
    return dataclasses.replace(
        zone,
        ignore=tuple(item.get("ignore", ())),
        guardrails=policy,
        unmanaged=tuple(item.get("unmanaged", ())),
    )


def plan_fields_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan document's top-level guardrail keys: sources, time, and what apply will do."""
    return {
        "sources": list(plan.sources),
        "made_at": plan.made_at,
        "guardrails": describe(plan).to_dict(),
    }


def plan_fields_from_dict(plan: Plan, document: Mapping[str, Any]) -> Plan:
    """``plan`` with the sources and time a plan document recorded."""
    return dataclasses.replace(
        plan, sources=tuple(document.get("sources", ())), made_at=document.get("made_at")
    )
