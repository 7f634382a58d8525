"""A saved plan against live state now: every app that moved is named, with what moved."""

from __future__ import annotations

import dataclasses
from typing import Any

from reconciler.model import LiveApp, LiveZone
from reconciler.planning.planner import build_plan
from reconciler.planning.stale import stale_reasons
from tests.scenarios import load_scenario

SAME = "b0000000000000000000000000000004"


def planned() -> tuple[Any, LiveZone]:
    desired, zone = load_scenario("mixed-plan")
    return build_plan(desired, [zone]), zone


def with_apps(zone: LiveZone, apps: list[LiveApp]) -> LiveZone:
    return dataclasses.replace(zone, apps=tuple(apps))


def test_untouched_live_state_is_not_stale() -> None:
    plan, zone = planned()
    assert stale_reasons(plan, [zone]) == []


def test_a_changed_app_names_the_fields_that_moved() -> None:
    plan, zone = planned()
    apps = [
        LiveApp(a.app_id, {**a.config, "tls": "strict", "modified_on": "2030-01-01T00:00:00Z"})
        if a.app_id == SAME
        else a
        for a in zone.apps
    ]
    (reason,) = stale_reasons(plan, [with_apps(zone, apps)])
    assert "same.example.com tcp/8080" in reason and f"(id {SAME})" in reason
    assert 'tls "off" -> "strict"' in reason  # JSON spelling, as plans show values


def test_a_vanished_and_an_appeared_app_are_both_named() -> None:
    plan, zone = planned()
    newcomer = LiveApp(
        "c" * 32,
        {"dns": {"type": "CNAME", "name": "new.example.com"}, "protocol": "tcp/9"},
    )
    apps = [a for a in zone.apps if a.app_id != SAME] + [newcomer]
    reasons = stale_reasons(plan, [with_apps(zone, apps)])
    assert any("same.example.com tcp/8080" in r and "was deleted" in r for r in reasons)
    assert any("new.example.com tcp/9" in r and "appeared" in r for r in reasons)
    assert len(reasons) == 2


def test_a_plan_without_configs_falls_back_to_modification_times() -> None:
    plan, zone = planned()
    bare = tuple(
        dataclasses.replace(
            z, apps={k: dataclasses.replace(s, config=None) for k, s in z.apps.items()}
        )
        for z in plan.zones
    )
    apps = [
        LiveApp(a.app_id, {**a.config, "tls": "strict", "modified_on": "2030-01-01T00:00:00Z"})
        if a.app_id == SAME
        else a
        for a in zone.apps
    ]
    (reason,) = stale_reasons(dataclasses.replace(plan, zones=bare), [with_apps(zone, apps)])
    assert "modified_on" in reason and "2030-01-01T00:00:00Z" in reason
