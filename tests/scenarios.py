"""Planner scenarios on disk: ``tests/fixtures/planner/<name>/`` holds a desired-state file
(``desired.yaml``) and the recorded API apps of its zone (``live.json``)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from reconciler.model import (
    DesiredApp,
    DesiredState,
    LiveApp,
    LiveZone,
    Location,
    SafetyPolicy,
    ZoneSpec,
)
from reconciler.plan import Plan
from reconciler.planning.normalize import app_key
from reconciler.planning.planner import build_plan

FIXTURES = Path(__file__).parent / "fixtures" / "planner"


def load_scenario(name: str) -> tuple[DesiredState, LiveZone]:
    """The scenario's desired state and live zone."""
    doc = yaml.safe_load((FIXTURES / name / "desired.yaml").read_text())
    spec = ZoneSpec(
        doc["zone"], None, tuple(doc.get("ignore", ())), SafetyPolicy(**doc.get("safety", {}))
    )
    apps = tuple(
        DesiredApp(app_key(doc["zone"], app), app, Location(f"{name}/desired.yaml", 4 + i, 5))
        for i, app in enumerate(doc["apps"])
    )
    live = json.loads((FIXTURES / name / "live.json").read_text())
    zone = LiveZone(live["zone"], live["zone_id"], tuple(LiveApp(a["id"], a) for a in live["apps"]))
    return DesiredState((spec,), apps), zone


def scenario_plan(name: str) -> Plan:
    """The plan of a scenario."""
    desired, zone = load_scenario(name)
    return build_plan(desired, [zone])
