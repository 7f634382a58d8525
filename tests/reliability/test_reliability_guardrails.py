"""Deletes nobody meant: ignored apps that dilute the safety gate, and saved plans edited to get
past a guardrail. Each case goes through the CLI against an emulator whose writes are counted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    ZONE,
    apps_gone,
    extra_app,
    live_ids,
    make_client,
    make_emulator,
    note,
    write_count,
    zone_id,
)

from reconciler.emulator import Emulator
from reconciler.model import AppKey
from reconciler.planning.normalize import request_body

pytestmark = pytest.mark.reliability

LEGACY, MANAGED = 20, 5


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator = make_emulator()
    monkeypatch.setattr(Emulator, "sandbox", classmethod(lambda cls, path, zones=(), **_: emulator))
    return emulator


def seed(emulator: Emulator, names: list[str]) -> None:
    with make_client(emulator) as client:
        for port, name in enumerate(names, start=2000):
            body = request_body(extra_app(name, port))
            client.create_app(zone_id(emulator), AppKey.of(ZONE, name, f"tcp/{port}"), body)
    emulator.reset_stats()


def live_count(emulator: Emulator) -> int:
    return len(emulator.apps(zone_id(emulator)))


def write_config(directory: Path, **zone: Any) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "zone.yaml").write_text(json.dumps({"zone": ZONE, **zone}))
    return str(directory)


def test_ignored_apps_do_not_dilute_the_safety_gate(
    run_cli, live: Emulator, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    # 20 ignored legacy apps + 5 managed ones; a config that declares no apps. Counting the
    # ignored apps, 5 of 25 (20%) passed the 30% gate and every managed app was deleted.
    seed(
        live,
        [f"legacy-{i}.{ZONE}" for i in range(LEGACY)] + [f"app{i}.{ZONE}" for i in range(MANAGED)],
    )
    config = write_config(tmp_path / "empty", ignore=[f"legacy-*.{ZONE}"], apps=[])
    before = live_ids(live)
    result = run_cli(["apply", "--sandbox", "--auto-approve", config])
    note(guardrail_gate_cases=1, guardrail_apps_lost=apps_gone(live, before))
    assert result.exit_code == 3, result.stdout + result.stderr
    assert f"{MANAGED} of {MANAGED} managed apps" in result.stderr
    assert "safety.allow_delete_all" in result.stderr
    assert write_count(live.stats()) == 0 and live_count(live) == LEGACY + MANAGED


Edit = Callable[[dict[str, Any]], None]


def _drop_protect(zone: dict[str, Any]) -> None:
    zone["guardrails"]["protect"] = []


def _lift_freeze(zone: dict[str, Any]) -> None:
    zone["guardrails"]["freeze"] = None


def _enforce(zone: dict[str, Any]) -> None:
    zone["guardrails"]["mode"] = "enforce"


def _drop_ignore(zone: dict[str, Any]) -> None:
    zone["ignore"] = []


def _allow_everything(zone: dict[str, Any]) -> None:
    zone["safety"] = {"max_destructive_percent": 100, "allow_delete_all": True}


def _forget_guardrails(zone: dict[str, Any]) -> None:
    del zone["guardrails"]


SMUGGLED: dict[str, tuple[dict[str, Any], Edit]] = {
    "protect dropped": ({"protect": [f"app*.{ZONE}"]}, _drop_protect),
    "freeze lifted": (
        {"freeze": {"until": "2999-01-01T00:00:00Z", "reason": "audit"}},
        _lift_freeze,
    ),
    "observe turned to enforce": ({"mode": "observe"}, _enforce),
    "ignore dropped": ({"ignore": [f"legacy-*.{ZONE}"]}, _drop_ignore),
    "safety loosened": ({}, _allow_everything),
    "guardrails removed": ({"protect": [f"app*.{ZONE}"]}, _forget_guardrails),
}


@pytest.mark.parametrize("case", SMUGGLED, ids=list(SMUGGLED))
def test_a_saved_plan_cannot_smuggle_a_write_past_the_files(  # type: ignore[no-untyped-def]
    run_cli, live: Emulator, tmp_path: Path, case: str
) -> None:
    from reconciler.render.plan_document import seal

    policy, edit = SMUGGLED[case]
    seed(live, [f"legacy-{i}.{ZONE}" for i in range(3)] + [f"app{i}.{ZONE}" for i in range(3)])
    config = write_config(tmp_path / "cfg", apps=[], **policy)
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", "--sandbox", "--out", str(saved), config]).exit_code == 0
    document = json.loads(saved.read_text())
    for zone in document["live"]["zones"]:
        edit(zone)
    tampered = json.dumps(seal(document))  # a checksum is no signature: anyone can recompute it
    saved.write_text(tampered)
    before = live_ids(live)
    result = run_cli(["apply", "--sandbox", "--force", "--plan", str(saved)])
    note(guardrail_smuggle_cases=1, guardrail_apps_lost=apps_gone(live, before))
    assert result.exit_code == 3, result.stdout + result.stderr
    assert write_count(live.stats()) == 0 and live_count(live) == 6
