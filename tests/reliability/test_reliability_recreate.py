"""A recreate (delete, then create) never loses the app, whichever step fails and how: the new
create refused, failing with 5xx or dropped connections on every attempt, or its response lost;
and the rollback's own first attempt failing too. Faults come from the emulator's own fault path
(commit-then-drop for a lost response), scripted onto exact writes instead of drawn at random."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import FAST_RETRY, ZONE, make_client, make_emulator, plan_once, zone_id

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.applying.journal import Journal
from reconciler.applying.report import Status
from reconciler.emulator.faults import FaultKind
from reconciler.plan import ActionKind

pytestmark = pytest.mark.reliability

OLD = {
    "dns": {"type": "CNAME", "name": f"ssh.{ZONE}"},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
    "ip_firewall": True,
}
NEW = {
    **OLD,
    "dns": {"type": "ADDRESS", "name": f"ssh.{ZONE}"},
    "edge_ips": {"type": "static", "ips": ["198.51.100.10", "2001:DB8::1"]},
}
REFUSED_NEW = {**NEW, "edge_ips": {"type": "static", "ips": ["192.0.2.200"]}}  # 11019
ATTEMPTS = FAST_RETRY.attempts
# Writes of a recreate, numbered from 1: the DELETE, then the new create's attempts, then the
# restore's attempts. A refused create is one write; a create failing every attempt is ATTEMPTS.
FIRST_NEW_CREATE = 2


def write_config(directory: Path, app: dict[str, Any]) -> str:
    directory.mkdir(parents=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": ZONE, "apps": [app]}))
    return str(directory)


def recreate_under(script: dict[int, FaultKind], new: dict[str, Any], tmp_path: Path):  # type: ignore[no-untyped-def]
    emulator = make_emulator()
    v1 = write_config(tmp_path / "v1", OLD)
    with make_client(emulator) as client:
        workflow.run_verdict(
            workflow.guard(workflow.plan_for(workflow.load([v1]), client), force=True),
            Executor(client),
        )
    (old,) = emulator.apps(zone_id(emulator))
    faults = emulator.script_faults(script)  # the real fault path, on exactly these writes
    v2 = write_config(tmp_path / "v2", new)
    journal_path = tmp_path / "journal.jsonl"
    journal = Journal(journal_path)
    with make_client(emulator) as client:
        plan = workflow.plan_for(workflow.load([v2]), client)
        assert [a.kind for a in plan.actions] == [ActionKind.RECREATE]
        (outcome,) = Executor(client, journal=journal).apply(plan).outcomes
    journal.close()
    assert faults.fired == sorted(script.items()), "every scripted fault really happened"
    events = [json.loads(line) for line in journal_path.read_text().splitlines()]
    return emulator, old, outcome, events, v1, v2


def apps_lost(emulator: Any, wanted: dict[str, Any]) -> int:
    """1 when the zone holds no app of ``wanted``'s identity now, else 0 (measured, not assumed)."""
    key = (wanted["dns"]["name"], wanted["protocol"])
    return (
        0
        if any((a["dns"]["name"], a["protocol"]) == key for a in emulator.apps(zone_id(emulator)))
        else 1
    )


def same_app(live: dict[str, Any], wanted: dict[str, Any]) -> bool:
    def ips(app: dict[str, Any]) -> list[str]:  # the API writes IPv6 in lower case
        return [ip.lower() for ip in app["edge_ips"]["ips"]]

    same_fields = all(live[k] == v for k, v in wanted.items() if k != "edge_ips")
    return same_fields and ("edge_ips" not in wanted or ips(live) == ips(wanted))


NEW_CREATE_FAILS = {
    "refused": (REFUSED_NEW, {}),
    "5xx-every-attempt": (
        NEW,
        {FIRST_NEW_CREATE + i: FaultKind.SERVER_ERROR for i in range(ATTEMPTS)},
    ),
    "dropped-every-attempt": (
        NEW,
        {FIRST_NEW_CREATE + i: FaultKind.DROPPED for i in range(ATTEMPTS)},
    ),
}
RESTORE_FIRST_ATTEMPT = [None, *FaultKind]


@pytest.mark.parametrize(
    "restore_fault", RESTORE_FIRST_ATTEMPT, ids=lambda k: getattr(k, "value", "ok")
)
@pytest.mark.parametrize("create_failure", list(NEW_CREATE_FAILS))
def test_a_failed_new_create_restores_the_old_app_even_when_the_restore_first_fails(
    create_failure: str, restore_fault: FaultKind | None, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    new, script = NEW_CREATE_FAILS[create_failure]
    first_restore = FIRST_NEW_CREATE + (1 if create_failure == "refused" else ATTEMPTS)
    if restore_fault is not None:
        script = {**script, first_restore: restore_fault}
    emulator, old, outcome, events, v1, _ = recreate_under(script, new, tmp_path)
    assert outcome.status is Status.FAILED
    assert "the old app was restored unchanged" in outcome.detail
    (back,) = emulator.apps(zone_id(emulator))  # exactly one: never lost, never doubled
    assert same_app(back, OLD) and back["id"] == outcome.new_app_id != old["id"]
    assert [e["event"] for e in events if e["event"] in ("recreate-old-kept", "restored")] == [
        "recreate-old-kept",
        "restored",
    ]
    assert plan_once(emulator, v1).actions == ()
    figures(
        recreate_cases=1,
        recreate_faults_injected=len(script),
        recreate_apps_lost=apps_lost(emulator, OLD),
    )


@pytest.mark.parametrize(
    "script",
    [
        {FIRST_NEW_CREATE: FaultKind.LOST_RESPONSE},  # created, but the answer never came
        {1: FaultKind.LOST_RESPONSE},  # the delete happened, its answer was lost
        {1: FaultKind.LOST_RESPONSE, FIRST_NEW_CREATE + 1: FaultKind.LOST_RESPONSE},
    ],
    ids=["create-response-lost", "delete-response-lost", "both-lost"],
)
def test_a_lost_response_is_settled_by_reading_and_lands_one_new_app(
    script: dict[int, FaultKind], tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    emulator, old, outcome, _, _, v2 = recreate_under(script, NEW, tmp_path)
    assert outcome.status is Status.DONE, outcome.detail
    (new,) = emulator.apps(zone_id(emulator))
    assert new["id"] != old["id"] and new["id"] == outcome.new_app_id
    assert same_app(new, NEW)
    assert plan_once(emulator, v2).actions == ()
    figures(
        recreate_cases=1,
        recreate_faults_injected=len(script),
        recreate_apps_lost=apps_lost(emulator, NEW),
    )


def test_when_the_restore_fails_on_every_attempt_the_journal_holds_the_app_and_apply_brings_it_back(
    tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    first_restore = FIRST_NEW_CREATE + 1
    script = {first_restore + i: FaultKind.SERVER_ERROR for i in range(ATTEMPTS)}
    emulator, _, outcome, events, v1, _ = recreate_under(script, REFUSED_NEW, tmp_path)
    assert outcome.status is Status.FAILED and "ALSO failed" in outcome.detail
    assert "create it by hand" in outcome.detail
    assert emulator.apps(zone_id(emulator)) == []
    lost = apps_lost(emulator, OLD)  # the run ends without the app: it counts as lost
    (kept,) = [e for e in events if e["event"] == "restore-failed"]
    assert same_app(kept["before"], OLD)  # the old app's whole configuration is on record
    emulator.script_faults({})
    with make_client(emulator) as client:
        plan = workflow.plan_for(workflow.load([v1]), client)
        assert workflow.run_verdict(workflow.guard(plan, force=False), Executor(client)).complete
    (back,) = emulator.apps(zone_id(emulator))
    assert same_app(back, OLD)
    figures(
        recreate_cases=1,
        recreate_faults_injected=len(script),
        recreate_apps_lost=lost,
        recreate_apps_back_after_next_apply=lost - apps_lost(emulator, OLD),
    )
