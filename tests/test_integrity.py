"""A saved plan against the plan made now: each way an edited document differs is named."""

from __future__ import annotations

import dataclasses
from typing import Any

from reconciler.checks import integrity
from reconciler.model import AppKey, LiveZone, ZoneSpec
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.planner import build_plan
from tests.scenarios import load_scenario


def planned() -> tuple[Plan, LiveZone]:
    desired, zone = load_scenario("mixed-plan")
    return build_plan(desired, [zone]), zone


def edited(plan: Plan, kind: ActionKind, **changes: Any) -> Plan:
    """``plan`` with its first action of ``kind`` changed."""
    target = next(a for a in plan.actions if a.kind is kind)
    actions = [dataclasses.replace(a, **changes) if a is target else a for a in plan.actions]
    return dataclasses.replace(plan, actions=tuple(actions))


def renamed(action: Action, dns_name: str) -> AppKey:
    return dataclasses.replace(action.key, dns_name=dns_name)


def first(plan: Plan, kind: ActionKind) -> Action:
    return next(a for a in plan.actions if a.kind is kind)


def test_the_plan_made_now_agrees_with_itself() -> None:
    plan, zone = planned()
    assert integrity.problems_with(plan, plan, [zone]) == []


def test_a_delete_renamed_but_keeping_its_id_names_the_live_app_of_that_id() -> None:
    plan, zone = planned()
    delete = first(plan, ActionKind.DELETE)
    saved = edited(plan, ActionKind.DELETE, key=renamed(delete, "innocent.example.com"))
    (line,) = integrity.misnamed_actions(saved, [zone])
    assert "innocent.example.com" in line and f"which is example.com {delete.key} live" in line


def test_an_id_no_declared_zone_holds_is_named() -> None:
    plan, zone = planned()
    saved = edited(plan, ActionKind.UPDATE, app_id="f" * 32)
    (line,) = integrity.misnamed_actions(saved, [zone])
    assert "f" * 32 in line and "no declared zone holds" in line


def test_a_delete_without_an_id_is_named() -> None:
    plan, zone = planned()
    (line,) = integrity.misnamed_actions(edited(plan, ActionKind.DELETE, app_id=None), [zone])
    assert "names no app id" in line


def test_an_edited_body_and_a_dropped_action_are_both_differences() -> None:
    plan, _ = planned()
    create = first(plan, ActionKind.CREATE)
    saved = edited(plan, ActionKind.CREATE, body={**(create.body or {}), "tls": "strict"})
    saved = dataclasses.replace(
        saved, actions=tuple(a for a in saved.actions if a.kind is not ActionKind.UPDATE)
    )
    lines = integrity.differences(saved, plan)
    assert any(f"its create of example.com {create.key} is not what" in x for x in lines)
    assert any("now also update of" in x for x in lines)
    assert any(f"now also create of example.com {create.key}" in x for x in lines)


def test_a_zone_covered_only_by_an_action_must_still_be_declared() -> None:
    plan, _ = planned()
    saved = dataclasses.replace(plan, zones=())  # the snapshot dropped, the actions kept
    assert integrity.covered_zones(saved) == [("example.com", plan.actions[0].zone_id)]
    (line,) = integrity.undeclared_zones(saved, [ZoneSpec(name="example.net", zone_id=None)])
    assert "example.com" in line and "no file declares" in line
    assert integrity.undeclared_zones(saved, [ZoneSpec(name="EXAMPLE.com", zone_id=None)]) == []
