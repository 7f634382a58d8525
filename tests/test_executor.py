"""The executor against the emulator: order, recreates that never lose an app, failure handling."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler import workflow
from reconciler.emulator import Emulator
from reconciler.executor import Executor, Status, phases
from reconciler.journal import Journal
from reconciler.model import Action, ActionKind, AppKey, Plan
from tests.conftest import make_client, make_emulator

SSH_DYNAMIC = {
    "dns": {"type": "CNAME", "name": "ssh.example.com"},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
    "ip_firewall": True,
}
SSH_BYOIP = {
    **SSH_DYNAMIC,
    "dns": {"type": "ADDRESS", "name": "ssh.example.com"},
    "edge_ips": {"type": "static", "ips": ["198.51.100.10", "2001:DB8::1"]},
}


def write_config(directory: Path, apps: list[dict[str, Any]], zone: str = "example.com") -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": zone, "apps": apps}, indent=2))
    return str(directory)


def plan_and_apply(emulator: Emulator, config: str, **executor_options: Any) -> tuple[Plan, Any]:
    with make_client(emulator) as client:
        plan = workflow.plan_for(workflow.load([config]), client)
        report = Executor(client, **executor_options).apply(plan)
    return plan, report


def next_plan(emulator: Emulator, config: str) -> Plan:
    with make_client(emulator) as client:
        return workflow.plan_for(workflow.load([config]), client)


def live_apps(emulator: Emulator, zone: str = "example.com") -> list[dict[str, Any]]:
    return emulator.apps(str(emulator.ensure_zone(zone)["id"]))


class TestRecreate:
    def test_the_byoip_switch_lands_as_one_new_app_with_static_ips(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        (old,) = live_apps(emulator)
        plan, report = plan_and_apply(emulator, write_config(tmp_path / "v2", [SSH_BYOIP]))
        assert [a.kind for a in plan.actions] == [ActionKind.RECREATE]
        assert report.complete
        (new,) = live_apps(emulator)
        assert new["id"] != old["id"]
        assert new["dns"]["type"] == "ADDRESS" and new["edge_ips"]["type"] == "static"
        assert next_plan(emulator, str(tmp_path / "v2")).actions == ()

    def test_a_refused_create_brings_the_old_app_back_unchanged(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        (old,) = live_apps(emulator)
        outside = {**SSH_BYOIP, "edge_ips": {"type": "static", "ips": ["192.0.2.200"]}}
        _, report = plan_and_apply(emulator, write_config(tmp_path / "v2", [outside]))
        (outcome,) = report.outcomes
        assert outcome.status is Status.FAILED and 11019 in outcome.codes
        assert "restored" in outcome.detail
        (back,) = live_apps(emulator)
        assert back["id"] != old["id"]
        assert {
            k: back[k] for k in ("dns", "protocol", "origin_direct", "ip_firewall", "edge_ips")
        } == {k: old[k] for k in ("dns", "protocol", "origin_direct", "ip_firewall", "edge_ips")}
        assert next_plan(emulator, str(tmp_path / "v1")).actions == ()

    @pytest.mark.parametrize("failure", ["refusal", "server-error", "dropped"])
    def test_every_failure_of_the_new_create_restores_the_old_app(
        self, failure: str, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        inner = emulator.transport()

        def fail_static_creates(request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and b'"static"' in request.content:
                if failure == "dropped":
                    raise httpx.RemoteProtocolError(
                        "Server disconnected without sending a response"
                    )
                status, code = (400, 11004) if failure == "refusal" else (503, 10002)
                error = {
                    "success": False,
                    "errors": [{"code": code, "message": failure}],
                    "result": None,
                }
                return httpx.Response(status, json=error)
            return inner.handle_request(request)

        with make_client(emulator, transport=httpx.MockTransport(fail_static_creates)) as client:
            plan = workflow.plan_for(
                workflow.load([write_config(tmp_path / "v2", [SSH_BYOIP])]), client
            )
            report = Executor(client).apply(plan)
        assert report.outcomes[0].status is Status.FAILED
        (back,) = live_apps(emulator)
        assert back["dns"]["type"] == "CNAME" and back["ip_firewall"] is True
        assert next_plan(emulator, str(tmp_path / "v1")).actions == ()

    def test_the_journal_keeps_the_old_app_until_the_new_one_exists(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        journal_path = tmp_path / "journal.jsonl"
        journal = Journal(journal_path)
        plan_and_apply(emulator, write_config(tmp_path / "v2", [SSH_BYOIP]), journal=journal)
        journal.close()
        events = [json.loads(line) for line in journal_path.read_text().splitlines()]
        names = [e["event"] for e in events]
        assert names[0] == "apply-start" and names[-1] == "apply-end"
        kept = names.index("recreate-old-kept")
        assert kept < names.index("done")
        assert events[kept]["before"]["dns"]["type"] == "CNAME"


class TestOrderAndFailure:
    def test_a_delete_that_frees_a_port_runs_before_the_create_that_needs_it(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        wider = {**SSH_DYNAMIC, "protocol": "tcp/22-23", "origin_direct": ["tcp://192.0.2.1:22-23"]}
        plan, report = plan_and_apply(emulator, write_config(tmp_path / "v2", [wider]))
        order = phases(plan.actions)
        assert [a.kind for a in order[0]] == [ActionKind.DELETE]
        assert report.complete
        assert [a["protocol"] for a in live_apps(emulator)] == ["tcp/22-23"]

    def test_creates_run_before_unrelated_deletes(self, emulator: Emulator, tmp_path: Path) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        other = {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": "git.example.com"}}
        plan = next_plan(emulator, write_config(tmp_path / "v2", [other]))
        kinds = [[a.kind for a in phase] for phase in phases(plan.actions)]
        assert kinds == [[ActionKind.CREATE], [ActionKind.DELETE]]

    def test_after_a_failure_no_new_action_starts_in_that_zone(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        bad = {**SSH_BYOIP, "edge_ips": {"type": "static", "ips": ["192.0.2.200"]}}
        good = [
            {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": f"a{i}.example.com"}} for i in range(3)
        ]
        _, report = plan_and_apply(
            emulator, write_config(tmp_path / "v1", [*good, bad]), parallelism=1
        )
        statuses = Counter(o.status for o in report.outcomes)
        assert statuses[Status.FAILED] == 1
        assert statuses[Status.DONE] + statuses[Status.SKIPPED] == 3
        failed_at = next(i for i, o in enumerate(report.outcomes) if o.status is Status.FAILED)
        assert all(o.status is Status.DONE for o in report.outcomes[:failed_at])


class TestConvergence:
    def test_200_changes_under_a_20_percent_fault_rate_converge_in_three_runs(
        self, tmp_path: Path
    ) -> None:
        emulator = make_emulator(fault_rate=0.2, seed=7)
        apps = [
            {
                "dns": {"type": "CNAME", "name": f"svc{i:03d}.example.com"},
                "protocol": f"tcp/{2000 + i}",
                "origin_direct": [f"tcp://192.0.2.{i % 200 + 1}:{2000 + i}"],
            }
            for i in range(200)
        ]
        config = write_config(tmp_path / "big", apps)
        runs_needed = None
        for run in range(1, 4):
            _, report = plan_and_apply(emulator, config, parallelism=8)
            if report.complete:
                runs_needed = run
                break
        assert next_plan(emulator, config).actions == ()
        live = live_apps(emulator)
        assert len(live) == 200
        assert len({(a["dns"]["name"], a["protocol"]) for a in live}) == 200
        assert emulator.stats()["faults"] > 0 and runs_needed is not None


def test_a_delete_of_tcp_22_runs_before_the_create_of_ssh_on_the_same_hostname() -> None:
    # ssh is tcp/22 at the edge: the live tcp/22 app must go before the ssh app can exist.
    delete = Action(ActionKind.DELETE, AppKey.of("example.com", "a.example.com", "tcp/22"), "z")
    create = Action(ActionKind.CREATE, AppKey.of("example.com", "a.example.com", "ssh"), "z")
    other = Action(ActionKind.CREATE, AppKey.of("example.com", "a.example.com", "rdp"), "z")
    assert [[a.kind for a in phase] for phase in phases([create, delete])] == [
        [ActionKind.DELETE],
        [ActionKind.CREATE],
    ]
    assert [[a.kind for a in phase] for phase in phases([other, delete])] == [
        [ActionKind.CREATE],
        [ActionKind.DELETE],
    ]
