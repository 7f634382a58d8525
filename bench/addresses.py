"""Row 7: what the static edge IP check costs in requests.

In: a number of apps (all with static edge IPs, spread over the zones and over the account's
BYOIP prefixes) and zones. Out: the requests a plan makes with the address check and without it
(``--skip-address-checks``: the app minimum plus the preflight's one DNS record listing per zone
with creates), and the check's budget, 2 + 2 x prefixes per account (services, prefixes, then
each prefix's bindings and BGP prefixes). The zones are empty, so the plan creates every app and
every static IP is checked.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.scenario import UNLIMITED, Figure, client_for, minimum_requests, spread, zone_name
from reconciler.applying.workflow import load, plan_for
from reconciler.checks.static_ips import AddressChecks
from reconciler.emulator import Emulator, EmulatorConfig

PREFIXES = ("198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48")


@dataclass(frozen=True)
class AddressCost:
    apps: int
    zones: int
    prefixes: int
    checked: Figure  # requests of a plan with the check
    skipped: Figure  # requests of the same plan with --skip-address-checks
    app_minimum: int
    budget: int  # 2 + 2 x prefixes (one account)
    preflight: int  # one DNS record listing per zone with creates


def static_app(zone_index: int, zone: str, index: int) -> dict[str, Any]:
    """Apps take turns over the prefixes; a zone's IPv4 addresses are its own (an IP belongs to
    one zone), shared by its hostnames; IPv6 ones are one per app."""
    prefix = PREFIXES[index % len(PREFIXES)]
    host = zone_index % 250 + 1
    if ":" in prefix:
        ip = f"2001:db8::{host:x}:{index + 1:x}"
    else:
        ip = prefix.replace(".0/24", f".{host}")
    return {
        "dns": {"type": "ADDRESS", "name": f"app{index:05}.{zone}"},
        "protocol": f"tcp/{1000 + index}",
        "origin_direct": [f"tcp://192.0.2.{index % 250 + 1}:{1000 + index}"],
        "edge_ips": {"type": "static", "ips": [ip]},
    }


def measure(apps: int, zones: int, runs: int) -> AddressCost:
    with tempfile.TemporaryDirectory(prefix="bench-addresses-") as root:
        names = [zone_name(z) for z in range(zones)]
        start = 0
        for z, (name, count) in enumerate(zip(names, spread(apps, zones), strict=True)):
            configs = [static_app(z, name, start + i) for i in range(count)]
            start += count
            text = json.dumps({"zone": name, "apps": configs})
            (Path(root) / f"{name}.yaml").write_text(text + "\n", encoding="utf-8")
        desired = load([root])
        checked = [_requests(desired, names, AddressChecks()) for _ in range(runs)]
        skipped = [_requests(desired, names, AddressChecks(skip=True)) for _ in range(runs)]
    return AddressCost(
        apps, zones, len(PREFIXES), Figure.of(checked), Figure.of(skipped),
        minimum_requests(0, zones), 2 + 2 * len(PREFIXES), zones,
    )  # fmt: skip


def _requests(desired: Any, zones: list[str], checks: AddressChecks) -> float:
    emulator = Emulator(EmulatorConfig(zones=zones, byoip_prefixes=PREFIXES, rate_limit=UNLIMITED))
    with client_for(emulator) as client:
        plan = plan_for(desired, client, checks=checks)
    if plan.warnings or plan.summary["create"] != len(desired.apps):
        raise RuntimeError(f"unexpected plan: {plan.summary}, {len(plan.warnings)} warnings")
    return float(emulator.stats()["total"])
