"""Rows 1 and 2: how many requests a plan makes, and how long its reads take at 50 ms latency.

In: a number of apps and zones. Out: ``RequestCount`` (requests the emulator counted vs the
minimum and vs one request per app) and ``WallTime`` (the reads' and the whole plan's wall time
vs the critical path). Both run the real path: YAML files -> ``workflow.load`` ->
``CloudflareClient.fetch_live`` -> ``build_plan``, against an emulator loaded with the apps.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.scenario import (
    DRIFT_EVERY,
    Figure,
    client_for,
    critical_path_requests,
    emulator_from,
    minimum_requests,
    spread,
    write_desired,
    write_live_state,
)
from reconciler.applying.workflow import load, plan_for
from reconciler.model import DesiredState
from reconciler.planning.gcpause import collector_paused
from reconciler.planning.planner import build_plan

LATENCY_MS = 50.0


@dataclass(frozen=True)
class RequestCount:
    apps: int
    zones: int
    requests: Figure
    client_requests: Figure
    minimum: int
    per_app: int
    rate_limited: int


@dataclass(frozen=True)
class WallTime:
    apps: int
    zones: int
    reads_s: Figure
    plan_s: Figure
    critical_path_s: float
    zone_concurrency: int


class Scenario:
    """Desired YAML and a live state file for ``apps`` over ``zones``, in a temp directory."""

    def __init__(self, apps: int, zones: int) -> None:
        self.apps, self.zones = apps, zones
        self._dir = tempfile.TemporaryDirectory(prefix="bench-reads-")
        root = Path(self._dir.name)
        self.desired_dir = write_desired(root / "desired", apps, zones)
        self.state = write_live_state(root / "live.json", apps, zones)

    def load(self) -> DesiredState:
        desired = load([str(self.desired_dir)])
        if len(desired.apps) != self.apps or len(desired.zones) != self.zones:
            raise RuntimeError("the desired state did not load every app and zone")
        return desired

    def close(self) -> None:
        self._dir.cleanup()

    def __enter__(self) -> Scenario:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def count_requests(scenario: Scenario, runs: int) -> RequestCount:
    """Plan ``runs`` times, each with a fresh emulator and client; count what the server saw."""
    desired = scenario.load()
    seen, sent, limited = [], [], 0
    for _ in range(runs):
        emulator = emulator_from(scenario.state)
        with client_for(emulator) as client:
            plan = plan_for(desired, client)
        _check_plan(plan.summary, scenario)
        stats = emulator.stats()
        seen.append(float(stats["total"]))
        sent.append(float(client.requests_sent))
        limited += stats["rate_limited"]
    return RequestCount(
        scenario.apps,
        scenario.zones,
        Figure.of(seen),
        Figure.of(sent),
        minimum_requests(scenario.apps, scenario.zones),
        scenario.zones + scenario.apps,
        limited,
    )


def time_reads(scenario: Scenario, runs: int, zone_concurrency: int | None = None) -> WallTime:
    """Wall time of ``fetch_live`` alone and of fetch + ``build_plan``, at 50 ms per request."""
    desired = scenario.load()
    options: dict[str, Any] = {}
    if zone_concurrency is not None:
        options["zone_concurrency"] = zone_concurrency
    reads, plans, concurrency = [], [], 0
    for _ in range(runs):
        emulator = emulator_from(scenario.state, latency_ms=LATENCY_MS)
        with client_for(emulator, **options) as client:
            concurrency = client.zone_concurrency
            start = time.perf_counter()
            live = client.fetch_live(desired.zones)
            fetched = time.perf_counter()
            with collector_paused():  # as workflow.plan_for plans
                plan = build_plan(desired, live)
            done = time.perf_counter()
        _check_plan(plan.summary, scenario)
        reads.append(fetched - start)
        plans.append(done - start)
    path = critical_path_requests(scenario.apps, scenario.zones) * LATENCY_MS / 1000
    return WallTime(
        scenario.apps,
        scenario.zones,
        Figure.of(reads),
        Figure.of(plans),
        path,
        concurrency,
    )


def _check_plan(summary: dict[str, int], scenario: Scenario) -> None:
    """The plan must have seen every live app: the drifted tenth is updated, nothing else."""
    drifted = sum(len(range(0, n, DRIFT_EVERY)) for n in spread(scenario.apps, scenario.zones))
    expected = {"update": drifted, "unchanged": scenario.apps - drifted}
    if {k: v for k, v in summary.items() if v} != expected:
        raise RuntimeError(f"unexpected plan for {scenario.apps} apps: {summary}")
