"""The executor against the emulator: order, recreates that never lose an app, failure handling."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.applying import workflow
from reconciler.applying.executor import Executor, phases
from reconciler.applying.journal import Journal
from reconciler.applying.report import Status
from reconciler.emulator import Emulator
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.replace import Replace
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
        (first,) = phases(plan.actions)
        (unit,) = first
        assert isinstance(unit, Replace)
        assert [a.kind for a in unit.actions] == [ActionKind.DELETE, ActionKind.CREATE]
        assert report.complete
        assert [a["protocol"] for a in live_apps(emulator)] == ["tcp/22-23"]

    def test_creates_run_before_unrelated_deletes(self, emulator: Emulator, tmp_path: Path) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        other = {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": "git.example.com"}}
        plan = next_plan(emulator, write_config(tmp_path / "v2", [other]))
        kinds = [[getattr(w, "kind", None) for w in phase] for phase in phases(plan.actions)]
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
    @pytest.mark.slow
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
    ((unit,),) = phases([create, delete])
    assert isinstance(unit, Replace) and unit.actions == (delete, create)
    kinds = [[getattr(w, "kind", None) for w in phase] for phase in phases([other, delete])]
    assert kinds == [
        [ActionKind.CREATE],
        [ActionKind.DELETE],
    ]


def scripted(emulator: Emulator, fail: Any) -> httpx.MockTransport:
    """The emulator's transport, except where ``fail(request)`` returns a response to give."""
    inner = emulator.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        answer = fail(request)
        return answer if answer is not None else inner.handle_request(request)

    return httpx.MockTransport(handle)


def api_error(status: int, code: Any, message: str = "refused") -> httpx.Response:
    error = {"success": False, "errors": [{"code": code, "message": message}], "result": None}
    return httpx.Response(status, json=error)


def apply_through(
    emulator: Emulator, config: str, transport: httpx.BaseTransport, **options: Any
) -> tuple[Plan, Any]:
    with make_client(emulator, transport=transport) as client:
        plan = workflow.plan_for(workflow.load([config]), client)
        report = Executor(client, **options).apply(plan)
    return plan, report


class TestPortRangeChange:
    """A delete that frees a port for a create is one replace: downtime shown, old app kept."""

    WIDER = {**SSH_DYNAMIC, "protocol": "tcp/22-23", "origin_direct": ["tcp://192.0.2.1:22-23"]}

    def test_the_plan_warns_of_the_downtime_on_both_actions(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        plan = next_plan(emulator, write_config(tmp_path / "v2", [self.WIDER]))
        assert sorted(a.kind.value for a in plan.actions) == ["create", "delete"]
        for action in plan.actions:
            assert any("drops while" in reason for reason in action.reasons), action

    def test_a_refused_create_brings_the_old_app_back(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        (old,) = live_apps(emulator)

        def refuse_the_range(request: httpx.Request) -> httpx.Response | None:
            if request.method == "POST" and b"22-23" in request.content:
                return api_error(400, 11010, "refused")
            return None

        v2 = write_config(tmp_path / "v2", [self.WIDER])
        _, report = apply_through(emulator, v2, scripted(emulator, refuse_the_range))
        assert not report.complete
        by_kind = {o.action.kind: o for o in report.outcomes}
        assert by_kind[ActionKind.CREATE].status is Status.FAILED
        assert "restored" in by_kind[ActionKind.CREATE].detail
        assert by_kind[ActionKind.DELETE].status is Status.FAILED  # undone, not done
        (back,) = live_apps(emulator)
        assert back["protocol"] == "tcp/22" and back["ip_firewall"] is True
        assert back["origin_direct"] == old["origin_direct"]
        assert next_plan(emulator, str(tmp_path / "v1")).actions == ()

    def test_a_skipped_replace_journals_each_action_as_skipped(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        """As a skipped action does: one 'skipped' line per action of the unit, with the why."""
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        bad = {**SSH_BYOIP, "dns": {"type": "ADDRESS", "name": "a0.example.com"}}
        bad["edge_ips"] = {"type": "static", "ips": ["192.0.2.200"]}  # 11019, and first
        journal_path = tmp_path / "journal.jsonl"
        journal = Journal(journal_path)
        try:
            v2 = write_config(tmp_path / "v2", [bad, self.WIDER])
            _, report = plan_and_apply(emulator, v2, parallelism=1, journal=journal)
        finally:
            journal.close()
        statuses = [o.status for o in report.outcomes]
        assert statuses == [Status.FAILED, Status.SKIPPED, Status.SKIPPED]
        events = [json.loads(line) for line in journal_path.read_text().splitlines()]
        skipped = [e for e in events if e["event"] == "skipped"]
        assert sorted(e["action"] for e in skipped) == ["create", "delete"]
        for event in skipped:
            assert event["dns_name"] == "ssh.example.com"
            assert event["detail"] == "an earlier action in this zone failed"
        assert [a["protocol"] for a in live_apps(emulator)] == ["tcp/22"]


def lose_deletes(emulator: Emulator, commit: bool) -> Any:
    """Every DELETE fails with a 5xx; with ``commit`` the first one happens before it fails."""
    inner = emulator.transport()
    seen: list[str] = []

    def fail(request: httpx.Request) -> httpx.Response | None:
        if request.method != "DELETE":
            return None
        seen.append(str(request.url))
        if commit and len(seen) == 1:
            inner.handle_request(request)
        return api_error(503, 10002, "upstream timeout")

    return fail


class TestDeleteWithALostAnswer:
    def test_a_recreate_whose_delete_committed_goes_on_to_the_create(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        v2 = write_config(tmp_path / "v2", [SSH_BYOIP])
        _, report = apply_through(emulator, v2, scripted(emulator, lose_deletes(emulator, True)))
        (outcome,) = report.outcomes
        assert outcome.status is Status.DONE, outcome.detail
        (new,) = live_apps(emulator)
        assert new["dns"]["type"] == "ADDRESS"
        assert next_plan(emulator, v2).actions == ()

    def test_a_recreate_whose_delete_never_happened_says_the_app_is_intact(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        v2 = write_config(tmp_path / "v2", [SSH_BYOIP])
        _, report = apply_through(emulator, v2, scripted(emulator, lose_deletes(emulator, False)))
        (outcome,) = report.outcomes
        assert outcome.status is Status.FAILED and "intact" in outcome.detail
        (still,) = live_apps(emulator)
        assert still["dns"]["type"] == "CNAME"

    def test_a_plain_delete_that_committed_is_done(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        other = {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": "git.example.com"}}
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC, other]))
        v2 = write_config(tmp_path / "v2", [other])
        with make_client(emulator, transport=scripted(emulator, lose_deletes(emulator, True))) as c:
            plan = workflow.plan_for(workflow.load([v2]), c)
            report = Executor(c).apply(plan)
        (outcome,) = report.outcomes
        assert outcome.status is Status.DONE, outcome.detail
        assert next_plan(emulator, v2).actions == ()

    def test_a_delete_whose_settling_read_fails_too_journals_the_old_app(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))
        v2 = write_config(tmp_path / "v2", [SSH_BYOIP])
        deleting: list[str] = []

        def down_from_the_delete(request: httpx.Request) -> httpx.Response | None:
            if request.method == "DELETE":
                deleting.append(str(request.url))
            return api_error(503, 10002, "upstream timeout") if deleting else None

        journal_path = tmp_path / "journal.jsonl"
        journal = Journal(journal_path)
        try:
            _, report = apply_through(
                emulator, v2, scripted(emulator, down_from_the_delete), journal=journal
            )
        finally:
            journal.close()
        (outcome,) = report.outcomes
        assert outcome.status is Status.FAILED and outcome.codes == (10002,)
        assert "unknown: reading the zone failed too" in outcome.detail
        assert outcome.detail.endswith("; its configuration is in the journal")
        events = [json.loads(line) for line in journal_path.read_text().splitlines()]
        (unknown,) = [e for e in events if e["event"] == "delete-unknown"]
        assert unknown["before"]["dns"]["type"] == "CNAME"


class TestUnexpectedErrors:
    def test_an_error_that_is_not_an_api_error_is_a_failed_outcome_not_a_crash(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        apps = [
            {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": f"a{i}.example.com"}} for i in range(3)
        ]

        def garbled(request: httpx.Request) -> httpx.Response | None:
            if request.method == "POST" and b"a1.example.com" in request.content:
                return api_error(400, "not-a-number")
            return None

        config = write_config(tmp_path / "v1", apps)
        _, report = apply_through(emulator, config, scripted(emulator, garbled), parallelism=1)
        statuses = [o.status for o in report.outcomes]
        assert statuses == [Status.DONE, Status.FAILED, Status.SKIPPED]
        assert report.outcomes[1].detail

    def test_an_unexpected_error_in_a_recreates_create_restores_the_old_app(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        plan_and_apply(emulator, write_config(tmp_path / "v1", [SSH_DYNAMIC]))

        def garbled(request: httpx.Request) -> httpx.Response | None:
            if request.method == "POST" and b'"static"' in request.content:
                return api_error(400, "x")
            return None

        v2 = write_config(tmp_path / "v2", [SSH_BYOIP])
        _, report = apply_through(emulator, v2, scripted(emulator, garbled))
        (outcome,) = report.outcomes
        assert outcome.status is Status.FAILED and "restored" in outcome.detail
        assert next_plan(emulator, str(tmp_path / "v1")).actions == ()


class TestInterrupt:
    def test_ctrl_c_lets_the_running_action_finish_and_starts_no_new_one(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        import signal
        import threading

        apps = [
            {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": f"a{i}.example.com"}} for i in range(4)
        ]
        config = write_config(tmp_path / "v1", apps)
        holder: dict[str, Executor] = {}

        def interrupt_once(request: httpx.Request) -> httpx.Response | None:
            if request.method == "POST" and "sent" not in holder:
                holder["sent"] = holder["executor"]
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
                assert holder["executor"].stopping.wait(10), "the executor saw the Ctrl-C"
            return None

        with make_client(emulator, transport=scripted(emulator, interrupt_once)) as client:
            plan = workflow.plan_for(workflow.load([config]), client)
            executor = holder["executor"] = Executor(client, parallelism=1)
            report = executor.apply(plan)
        assert report.interrupted
        statuses = [o.status for o in report.outcomes]
        assert statuses == [Status.DONE, Status.SKIPPED, Status.SKIPPED, Status.SKIPPED]
        assert "interrupted" in report.outcomes[1].detail
        assert len(live_apps(emulator)) == 1

    def test_ctrl_c_drops_the_actions_waiting_for_a_rate_limit_slot_at_once(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        """Four workers wait for an hour-long window to free a slot: Ctrl-C ends the run in
        well under the 2 s goal, each of them skipped (they sent nothing), none failed."""
        import signal
        import threading
        import time

        from reconciler.live.ratelimit import RateLimit

        apps = [
            {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": f"a{i}.example.com"}} for i in range(8)
        ]
        config = write_config(tmp_path / "v1", apps)
        # The zone lookup, its page, the preflight's DNS listing, then two creates an hour.
        hourly = RateLimit(5, 3600.0)
        with make_client(emulator, rate_limit=hourly, sleep=None) as client:
            plan = workflow.plan_for(workflow.load([config]), client)
            executor = Executor(client, parallelism=4)

            def ctrl_c_once_waiting() -> None:
                while client.limiter.waited == 0:
                    time.sleep(0.01)
                time.sleep(0.2)  # every worker is in its wait now
                signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

            threading.Thread(target=ctrl_c_once_waiting, daemon=True).start()
            started = time.monotonic()
            report = executor.apply(plan)
            after_ctrl_c = time.monotonic() - started
        assert after_ctrl_c < 5  # a liveness bound on a shared machine; bench/ measures it
        assert report.interrupted
        assert Counter(o.status for o in report.outcomes) == {Status.DONE: 2, Status.SKIPPED: 6}
        assert len(live_apps(emulator)) == 2

    def test_ctrl_c_drops_an_action_the_server_only_answered_with_429s(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        """A 429 means nothing was processed: its Retry-After wait is dropped like a slot's."""
        import signal
        import threading
        import time

        config = write_config(tmp_path / "v1", [SSH_DYNAMIC])

        def busy(request: httpx.Request) -> httpx.Response | None:
            if request.method != "POST":
                return None
            threading.Timer(
                0.2, signal.pthread_kill, (threading.main_thread().ident or 0, signal.SIGINT)
            ).start()
            return httpx.Response(429, headers={"Retry-After": "300"}, json={})

        with make_client(emulator, transport=scripted(emulator, busy), sleep=None) as client:
            plan = workflow.plan_for(workflow.load([config]), client)
            started = time.monotonic()
            report = Executor(client).apply(plan)
            assert time.monotonic() - started < 5  # not the 300 s the server asked for
        assert [o.status for o in report.outcomes] == [Status.SKIPPED]

    def test_progress_counts_each_status_and_never_goes_back(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        import itertools
        import time

        from reconciler.applying.report import ActionOutcome, Tally

        bad = {**SSH_BYOIP, "dns": {"type": "ADDRESS", "name": "a0.example.com"}}
        bad["edge_ips"] = {"type": "static", "ips": ["192.0.2.200"]}  # refused: 11019
        good = [
            {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": f"a{i}.example.com"}}
            for i in range(1, 9)
        ]
        net = [
            {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": f"n{i}.example.net"}}
            for i in range(12)
        ]
        write_config(tmp_path / "v1" / "com", [bad, *good])
        write_config(tmp_path / "v1" / "net", net, zone="example.net")
        heard: list[Tally] = []

        class Recording:
            def recorded(self, _outcome: ActionOutcome, tally: Tally) -> None:
                time.sleep(0.001)  # widens any gap between counting and telling
                heard.append(tally)

            def interrupted(self) -> None:
                raise AssertionError("no Ctrl-C here")

        _, report = plan_and_apply(
            emulator, str(tmp_path / "v1"), parallelism=8, progress=Recording()
        )
        assert [t.recorded for t in heard] == list(range(1, 22))
        for before, after in itertools.pairwise(heard):
            assert after.done >= before.done and after.failed >= before.failed
            assert after.skipped >= before.skipped
        last = heard[-1]
        assert (last.done, last.failed, last.skipped, last.total) == (
            report.count(Status.DONE),
            report.count(Status.FAILED),
            report.count(Status.SKIPPED),
            21,
        )
        assert last.failed == 1 and last.done == 12 + 8 - last.skipped


class TestNoNewActionAfterAFailure:
    """The zone rule, with the failing action first (in its phase, and before a later phase)."""

    def test_within_a_phase(self, emulator: Emulator, tmp_path: Path) -> None:
        bad = {**SSH_BYOIP, "dns": {"type": "ADDRESS", "name": "a0.example.com"}}
        bad["edge_ips"] = {"type": "static", "ips": ["192.0.2.200"]}  # 11019
        good = [
            {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": f"a{i}.example.com"}}
            for i in range(1, 4)
        ]
        _, report = plan_and_apply(
            emulator, write_config(tmp_path / "v1", [bad, *good]), parallelism=1
        )
        assert [o.status for o in report.outcomes] == [
            Status.FAILED,
            Status.SKIPPED,
            Status.SKIPPED,
            Status.SKIPPED,
        ]
        assert live_apps(emulator) == []

    def test_across_phases_the_deletes_wait_for_a_clean_zone(
        self, emulator: Emulator, tmp_path: Path
    ) -> None:
        keep = {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": "z-old.example.com"}}
        plan_and_apply(emulator, write_config(tmp_path / "v1", [keep]))
        bad = {**SSH_BYOIP, "dns": {"type": "ADDRESS", "name": "a0.example.com"}}
        bad["edge_ips"] = {"type": "static", "ips": ["192.0.2.200"]}
        _, report = plan_and_apply(emulator, write_config(tmp_path / "v2", [bad]), parallelism=1)
        by_kind = {o.action.kind: o.status for o in report.outcomes}
        assert by_kind == {ActionKind.CREATE: Status.FAILED, ActionKind.DELETE: Status.SKIPPED}
        assert [a["dns"]["name"] for a in live_apps(emulator)] == ["z-old.example.com"]

    def test_other_zones_go_on(self, emulator: Emulator, tmp_path: Path) -> None:
        bad = {**SSH_BYOIP, "edge_ips": {"type": "static", "ips": ["192.0.2.200"]}}
        net = {**SSH_DYNAMIC, "dns": {"type": "CNAME", "name": "ssh.example.net"}}
        tmp = tmp_path / "v1"
        write_config(tmp / "com", [bad])
        write_config(tmp / "net", [net], zone="example.net")
        _, report = plan_and_apply(emulator, str(tmp), parallelism=1)
        assert {o.action.key.zone: o.status for o in report.outcomes} == {
            "example.com": Status.FAILED,
            "example.net": Status.DONE,
        }


def test_an_interrupted_apply_exits_4_after_a_write_and_1_before_any() -> None:
    from reconciler.applying.report import ActionOutcome, ApplyReport
    from reconciler.cli.apply import exit_code
    from reconciler.model import AppKey
    from reconciler.plan import Action

    action = Action(ActionKind.DELETE, AppKey("example.com", "a.example.com", "tcp/22"), "z")
    skipped = ActionOutcome(action, Status.SKIPPED, "interrupted")
    assert exit_code(ApplyReport((skipped,), interrupted=True)) == 1
    # Ctrl-C while the last action finished: everything got done, but the run was stopped.
    assert exit_code(ApplyReport((ActionOutcome(action, Status.DONE),), interrupted=True)) == 4
    assert (
        exit_code(ApplyReport((ActionOutcome(action, Status.DONE), skipped), interrupted=True)) == 4
    )
    assert exit_code(ApplyReport((ActionOutcome(action, Status.DONE),))) == 0
    assert exit_code(ApplyReport((ActionOutcome(action, Status.FAILED), skipped))) == 4


def test_a_journal_that_fails_after_the_writes_still_gives_the_report(
    emulator: Emulator, tmp_path: Path
) -> None:
    """Interface: exit 1 means nothing was written; after writes, every failure is reported."""

    class FullDisk(Journal):
        def write(self, event: str, **fields: Any) -> None:
            if event == "apply-end":
                raise OSError(28, "No space left on device")
            super().write(event, **fields)

    config = write_config(tmp_path / "v1", [SSH_DYNAMIC])
    journal = FullDisk(tmp_path / "journal.jsonl")
    try:
        _, report = plan_and_apply(emulator, config, journal=journal)
    finally:
        journal.close()
    assert report.complete and len(live_apps(emulator)) == 1
