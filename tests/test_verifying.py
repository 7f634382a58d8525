"""The verification shell (``applying.verifying``): targets of an apply, traffic before and
after a recreate, the paced wait for traffic to resume — against the emulator, with a fake
analytics reader behind the ``TrafficReads`` seam, and with the emulator's own analytics over
loopback HTTP."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reconciler.applying import verifying, workflow
from reconciler.applying.executor import Executor
from reconciler.checks.verify import Health
from reconciler.emulator import Emulator, serve
from reconciler.live.cloudflare import CloudflareClient
from tests.conftest import make_client, make_emulator
from tests.desired_files import app, write

PREFIXES = ("198.51.100.0/24", "192.0.2.0/24,advertised=no")


class FakeTraffic:
    """The seam's protocol: connections per app id, set by the test; counts its reads."""

    def __init__(self, by_app: Mapping[str, int] | None = None) -> None:
        self.by_app: dict[str, int] | None = dict(by_app or {})
        self.reads = 0
        self.after_reads: dict[int, dict[str, int]] = {}  # on the n-th read, traffic becomes

    def current_connections(self, zone_id: str) -> Mapping[str, int] | None:
        self.reads += 1
        if self.reads in self.after_reads and self.by_app is not None:
            self.by_app.update(self.after_reads[self.reads])
        return None if self.by_app is None else dict(self.by_app)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def recreate(
    tmp_path: Path, client: CloudflareClient, new_ip: str, traffic: FakeTraffic | None
) -> tuple[Any, ...]:
    """Create a dynamic app, then recreate it onto a static ``new_ip`` (edge_ips.type)."""
    first = workflow.plan_for(workflow.load([write(tmp_path / "a", app(None))]), client)
    old_id = Executor(client).apply(first).outcomes[0].new_app_id
    assert old_id
    if traffic is not None and traffic.by_app is not None:
        traffic.by_app[old_id] = 40
    plan = workflow.plan_for(workflow.load([write(tmp_path / "b", app(new_ip))]), client)
    assert [a.kind.value for a in plan.actions] == ["recreate"]
    carried = verifying.carried_before(plan, traffic)
    report = Executor(client).apply(plan)
    return plan, report, carried, old_id


def test_traffic_before_is_read_once_per_zone_only_for_recreates(tmp_path: Path) -> None:
    traffic = FakeTraffic()
    with make_client(make_emulator(byoip_prefixes=PREFIXES)) as client:
        plan, _report, carried, old_id = recreate(tmp_path, client, "198.51.100.10", traffic)
        assert carried == {old_id: True} and traffic.reads == 1
        create = workflow.plan_for(
            workflow.load([write(tmp_path / "c", app(None, name="new"))]), client
        )
        assert verifying.carried_before(create, traffic) == {} and traffic.reads == 1
        assert verifying.carried_before(plan, None) == {}


def test_a_recreated_app_waits_until_traffic_resumes_under_its_new_id(tmp_path: Path) -> None:
    traffic, clock = FakeTraffic(), Clock()
    with make_client(make_emulator(byoip_prefixes=PREFIXES)) as client:
        plan, report, carried, _old = recreate(tmp_path, client, "198.51.100.10", traffic)
        new_id = report.outcomes[0].new_app_id
        traffic.after_reads[4] = {new_id: 3}  # the third poll after the first look
        targets = verifying.targets_after(plan, report, carried)
        assert [(t.app_id, t.recreated, t.carried) for t in targets] == [(new_id, True, True)]
        options = verifying.VerifyOptions(timeout=300, poll_every=15)
        result = verifying.verify(
            client, targets, options, traffic=traffic, sleep=clock.sleep, clock=lambda: clock.now
        )
    assert result.apps[0].health is Health.HEALTHY
    assert clock.sleeps == [15, 15]


def test_traffic_that_never_resumes_is_degraded_after_the_timeout(tmp_path: Path) -> None:
    traffic, clock = FakeTraffic(), Clock()
    with make_client(make_emulator(byoip_prefixes=PREFIXES)) as client:
        plan, report, carried, _old = recreate(tmp_path, client, "198.51.100.10", traffic)
        targets = verifying.targets_after(plan, report, carried)
        options = verifying.VerifyOptions(timeout=60, poll_every=25)
        result = verifying.verify(
            client, targets, options, traffic=traffic, sleep=clock.sleep, clock=lambda: clock.now
        )
    assert result.apps[0].reasons == ("traffic has not resumed",)
    assert clock.sleeps == [25, 25, 10] and clock.now == 60


def test_onto_a_withdrawn_prefix_it_does_not_wait_and_says_why(tmp_path: Path) -> None:
    traffic, clock = FakeTraffic(), Clock()
    with make_client(make_emulator(byoip_prefixes=PREFIXES)) as client:
        plan, report, carried, _old = recreate(tmp_path, client, "192.0.2.10", traffic)
        targets = verifying.targets_after(plan, report, carried)
        result = verifying.verify(
            client, targets, traffic=traffic, sleep=clock.sleep, clock=lambda: clock.now
        )
    assert clock.sleeps == []
    assert "traffic has not resumed: 192.0.2.0/24 is not advertised" in result.apps[0].reasons


def test_analytics_refused_gives_unknown(tmp_path: Path) -> None:
    traffic = FakeTraffic()
    with make_client(make_emulator(byoip_prefixes=PREFIXES)) as client:
        plan, report, _carried, _old = recreate(tmp_path, client, "198.51.100.10", traffic)
        traffic.by_app = None
        targets = verifying.targets_after(plan, report, {})
        result = verifying.verify(client, targets, traffic=traffic)
    assert result.apps[0].health is Health.UNKNOWN


def test_a_replace_is_verified_as_its_create_with_the_deleted_apps_traffic(tmp_path: Path) -> None:
    traffic = FakeTraffic()
    with make_client(make_emulator(byoip_prefixes=PREFIXES)) as client:
        first = workflow.load([write(tmp_path / "a", app(None, "tcp/22"))])
        old_id = Executor(client).apply(workflow.plan_for(first, client)).outcomes[0].new_app_id
        assert old_id and traffic.by_app is not None
        traffic.by_app[old_id] = 5
        wider = workflow.load([write(tmp_path / "b", app(None, "tcp/22-23"))])
        plan = workflow.plan_for(wider, client)
        carried = verifying.carried_before(plan, traffic)
        report = Executor(client).apply(plan)
        targets = verifying.targets_after(plan, report, carried)
    assert [(str(t.key), t.recreated, t.carried) for t in targets] == [
        ("ssh.example.com tcp/22-23", True, True)
    ]


@contextlib.contextmanager
def over_loopback(emulator: Emulator) -> Iterator[CloudflareClient]:
    with serve(emulator, host="127.0.0.1", port=0) as running:
        with make_client(emulator, base_url=running.base_url, transport=None) as client:
            yield client


def test_with_the_emulators_analytics_a_recreate_is_healthy_once_traffic_resumes(
    tmp_path: Path,
) -> None:
    emulator = make_emulator(byoip_prefixes=PREFIXES, traffic=("ssh.example.com=30",))
    with over_loopback(emulator) as client:  # the analytics over real HTTP
        reads = verifying.traffic_reader_for(client)
        first = workflow.plan_for(workflow.load([write(tmp_path / "a", app(None))]), client)
        old_id = Executor(client).apply(first).outcomes[0].new_app_id
        emulator.advance(600)  # ten minutes of traffic on the dynamic app
        static = workflow.load([write(tmp_path / "b", app("198.51.100.10"))])
        plan = workflow.plan_for(static, client)
        carried = verifying.carried_before(plan, reads)
        assert carried == {old_id: True}
        report = Executor(client).apply(plan)
        targets = verifying.targets_after(plan, report, carried)
        sleeps: list[float] = []

        def sleep(seconds: float) -> None:  # the emulator's clock moves instead of ours
            sleeps.append(seconds)
            emulator.advance(seconds)

        options = verifying.VerifyOptions(timeout=300, poll_every=15)
        result = verifying.verify(client, targets, options, traffic=reads, sleep=sleep)
    assert result.apps[0].health is Health.HEALTHY, result.apps[0].reasons
    assert sleeps == [15]  # nothing in the new app's first instant; 15 s later it carries
    assert result.notes == ()


def test_with_analytics_refused_a_recreate_that_carried_traffic_is_unknown(tmp_path: Path) -> None:
    emulator = make_emulator(
        byoip_prefixes=PREFIXES, traffic=("ssh.example.com=30",), analytics_forbidden=True
    )
    with over_loopback(emulator) as client:
        reads = verifying.traffic_reader_for(client)
        plan, report, _carried, _old = recreate(tmp_path, client, "198.51.100.10", None)
        emulator.advance(600)
        targets = verifying.targets_after(plan, report, {_old: None})
        result = verifying.verify(client, targets, traffic=reads)
    assert result.apps[0].health is Health.UNKNOWN, result.apps[0].reasons


def test_after_an_apply_it_costs_two_requests_per_zone_whatever_the_number_of_apps(
    tmp_path: Path,
) -> None:
    apps = [app(f"198.51.100.{i + 1}", name=f"a{i}") for i in range(20)]
    with make_client(make_emulator(byoip_prefixes=PREFIXES)) as client:
        plan = workflow.plan_for(workflow.load([write(tmp_path, *apps)]), client)
        report = Executor(client).apply(plan)
        before = client.requests_sent
        result = verifying.verify(client, verifying.targets_after(plan, report, {}))
        # the zone's apps and its DNS records; the address plane was read for the plan
        assert client.requests_sent - before == 2
    assert result.counts() == {"healthy": 20, "degraded": 0, "unknown": 0}
