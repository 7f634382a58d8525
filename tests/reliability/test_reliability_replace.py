"""A delete that frees a port for a create (tcp/22 -> tcp/22-23 on one hostname) is one replace:
whatever makes the create fail, the old app comes back. A delete whose answer is lost (then 5xx
on every retry) is settled by reading the zone. And fields this tool does not know survive every
update, under random faults. Faults are scripted onto exact writes through the emulator's own
fault path (commit-then-drop for a lost response), or drawn at random for the soak."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    FAST_RETRY,
    ZONE,
    make_client,
    make_emulator,
    plan_once,
    zone_id,
)
from test_reliability_recreate import NEW, OLD, apps_lost

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.emulator.faults import FaultKind
from reconciler.errors import ReconcilerError
from reconciler.model import AppKey
from reconciler.planning.normalize import request_body

pytestmark = pytest.mark.reliability

ATTEMPTS = FAST_RETRY.attempts
WIDER = {**OLD, "protocol": "tcp/22-23", "origin_direct": ["tcp://192.0.2.1:22-23"]}
REFUSED_WIDER = {  # a new identity whose create the API refuses (11019: not our address)
    **WIDER,
    "dns": {"type": "ADDRESS", "name": f"ssh.{ZONE}"},
    "edge_ips": {"type": "static", "ips": ["192.0.2.200"]},
}
# Writes of a replace, numbered from 1: the DELETE, then the create's attempts, then the
# restore's. A refused create is one write; a create failing every attempt is ATTEMPTS writes.
FIRST_CREATE = 2


def write_config(directory: Path, *apps: dict[str, Any]) -> str:
    directory.mkdir(parents=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": ZONE, "apps": list(apps)}))
    return str(directory)


def change_under(  # type: ignore[no-untyped-def]
    script: dict[int, FaultKind], old: dict[str, Any], new: dict[str, Any], tmp_path: Path
):
    emulator = make_emulator()
    v1 = write_config(tmp_path / "v1", old)
    with make_client(emulator) as client:
        workflow.run_verdict(
            workflow.guard(workflow.plan_for(workflow.load([v1]), client), force=True),
            Executor(client),
        )
    faults = emulator.script_faults(script)
    v2 = write_config(tmp_path / "v2", new)
    with make_client(emulator) as client:
        plan = workflow.plan_for(workflow.load([v2]), client)
        report = Executor(client).apply(plan)
    assert faults.fired == sorted(script.items()), "every scripted fault really happened"
    return emulator, plan, report, v1, v2


REPLACE_FAILS = {
    "refused": (REFUSED_WIDER, {}),
    "5xx-every-attempt": (
        WIDER,
        {FIRST_CREATE + i: FaultKind.SERVER_ERROR for i in range(ATTEMPTS)},
    ),
    "dropped-every-attempt": (
        WIDER,
        {FIRST_CREATE + i: FaultKind.DROPPED for i in range(ATTEMPTS)},
    ),
}


@pytest.mark.parametrize("failure", list(REPLACE_FAILS))
def test_a_port_range_change_whose_create_fails_brings_the_old_app_back(
    failure: str, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    new, script = REPLACE_FAILS[failure]
    emulator, plan, report, v1, _ = change_under(script, OLD, new, tmp_path)
    assert sorted(a.kind.value for a in plan.actions) == ["create", "delete"]
    assert all(any("drops while" in r for r in a.reasons) for a in plan.actions)
    assert not report.complete
    (back,) = emulator.apps(zone_id(emulator))  # exactly one: never lost, never doubled
    assert back["protocol"] == OLD["protocol"] and back["ip_firewall"] is True
    assert plan_once(emulator, v1).actions == ()
    figures(
        replace_cases=1,
        replace_faults_injected=len(script),
        replace_apps_lost=apps_lost(emulator, OLD),
    )


def test_a_port_range_change_whose_create_answer_is_lost_lands_once(
    tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    script = {FIRST_CREATE: FaultKind.LOST_RESPONSE}
    emulator, _, report, _, v2 = change_under(script, OLD, WIDER, tmp_path)
    assert report.complete, [o.detail for o in report.outcomes]
    (new,) = emulator.apps(zone_id(emulator))
    assert new["protocol"] == "tcp/22-23"
    assert plan_once(emulator, v2).actions == ()
    figures(
        replace_cases=1,
        replace_faults_injected=len(script),
        replace_apps_lost=apps_lost(emulator, WIDER),
    )


LOST_THEN_5XX = {1: FaultKind.LOST_RESPONSE} | {
    1 + i: FaultKind.SERVER_ERROR for i in range(1, ATTEMPTS)
}
NEVER_DONE = {1 + i: FaultKind.SERVER_ERROR for i in range(ATTEMPTS)}


@pytest.mark.parametrize("new", [NEW, WIDER], ids=["recreate", "port-range-replace"])
@pytest.mark.parametrize("committed", [True, False], ids=["delete-committed", "delete-not-done"])
def test_a_delete_whose_answer_is_lost_then_5xx_is_settled_by_reading_the_zone(
    new: dict[str, Any], committed: bool, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    script = LOST_THEN_5XX if committed else NEVER_DONE
    emulator, _, report, v1, v2 = change_under(script, OLD, new, tmp_path)
    (app,) = emulator.apps(zone_id(emulator))
    if committed:  # the old app is gone: the run goes on to the create
        assert report.complete, [o.detail for o in report.outcomes]
        assert (app["dns"]["type"], app["protocol"]) == (new["dns"]["type"], new["protocol"])
        assert plan_once(emulator, v2).actions == ()
    else:  # the old app is still there, and the outcome says so
        assert any("intact" in o.detail for o in report.outcomes)
        assert app["protocol"] == OLD["protocol"] and app["dns"]["type"] == "CNAME"
        assert plan_once(emulator, v1).actions == ()
    wanted = new if committed else OLD
    figures(
        delete_lost_answer_cases=1,
        delete_lost_answer_faults_injected=len(script),
        delete_lost_answer_apps_lost=apps_lost(emulator, wanted),
    )


UNKNOWN_APPS = 30


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fields_this_tool_does_not_know_survive_updates_under_faults(
    seed: int, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    """Cloudflare holds fields newer than this tool (top-level, and dns.ttl): an apply that
    updates every app, under a 20% fault rate, keeps them all."""
    state = tmp_path / "state.json"
    clean = make_emulator(keep_unknown_fields=True, state_file=state)
    zone = zone_id(clean)
    apps = [
        {
            "dns": {"type": "CNAME", "name": f"svc{i:03d}.{ZONE}"},
            "protocol": f"tcp/{2000 + i}",
            "origin_direct": [f"tcp://192.0.2.{i + 1}:{2000 + i}"],
        }
        for i in range(UNKNOWN_APPS)
    ]
    with make_client(clean) as client:
        for app in apps:
            body = {**request_body(app), "future_setting": {"n": app["protocol"]}}
            body["dns"] = {**body["dns"], "ttl": 300}
            client.create_app(zone, AppKey.of(ZONE, app["dns"]["name"], app["protocol"]), body)
    clean.close()
    emulator = make_emulator(keep_unknown_fields=True, fault_rate=0.2, seed=seed, state_file=state)
    config = write_config(tmp_path / "v2", *({**app, "tls": "full"} for app in apps))
    runs = 0
    for runs in range(1, 4):  # noqa: B007 (the count is the figure)
        with make_client(emulator) as client:
            try:
                plan = workflow.plan_for(workflow.load([config]), client)
            except ReconcilerError:  # a read that failed every retry: this run did nothing
                continue
            if Executor(client).apply(plan).complete:
                break
    faults = emulator.stats()["faults"]
    emulator.script_faults({})
    assert plan_once(emulator, config).actions == ()
    live = emulator.apps(zone)
    erased = sum(
        1
        for app in live
        if app.get("future_setting") != {"n": app["protocol"]} or app["dns"].get("ttl") != 300
    )
    assert len(live) == UNKNOWN_APPS and all(app["tls"] == "full" for app in live)
    figures(
        unknown_fields_runs=1,
        unknown_fields_apply_runs=runs,
        unknown_fields_apps_checked=len(live),
        unknown_fields_erased=erased,
        unknown_fields_faults_injected=faults,
    )
    assert erased == 0
