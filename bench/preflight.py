"""Row 14: what the preflight costs in requests, beyond the reads any plan makes.

In: a number of apps and zones. Out: the extra requests of an all-update plan (row 1's
scenario: every tenth app drifted, nothing created; goal 0) and of an all-create plan of the
same files against empty zones (goal: at most one read per zone with creates plus one per
account). Both run ``workflow.plan_for``, checks included, against the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.reads import Scenario
from bench.scenario import UNLIMITED, Figure, client_for, emulator_from, minimum_requests
from bench.scenario import zone_name as name_of
from reconciler.applying.workflow import plan_for
from reconciler.checks.static_ips import AddressChecks
from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.model import DesiredState

CHECKS = AddressChecks(ipv4_hostname_quota=10**9)  # an account whose quota was raised


@dataclass(frozen=True)
class PreflightCost:
    apps: int
    zones: int
    updates_extra: Figure  # requests beyond the minimum, all-update plan
    creates_extra: Figure  # requests beyond the minimum, all-create plan
    creates_budget: int  # zones with creates + accounts


def measure(apps: int, zones: int, runs: int) -> PreflightCost:
    with Scenario(apps, zones) as scenario:
        desired = scenario.load()
        updates = [_extra(emulator_from(scenario.state), desired, apps, zones) for _ in range(runs)]
        names = tuple(name_of(z) for z in range(zones))
        creates = [
            _extra(Emulator(EmulatorConfig(zones=names, rate_limit=UNLIMITED)), desired, 0, zones)
            for _ in range(runs)
        ]
    return PreflightCost(apps, zones, Figure.of(updates), Figure.of(creates), zones + 1)


def _extra(emulator: Emulator, desired: DesiredState, live_apps: int, zones: int) -> float:
    with client_for(emulator) as client:
        plan = plan_for(desired, client, checks=CHECKS)
    if plan.preflight != "checked" or plan.refusals:
        raise RuntimeError(f"unexpected preflight: {plan.preflight}, {len(plan.refusals)}")
    return float(emulator.stats()["total"] - minimum_requests(live_apps, zones))
