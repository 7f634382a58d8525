"""How long normalize + diff + plan take for large zones, a tenth of the apps changed.

``measure()`` returns one row per size (median and spread of ``repeats`` runs); run the module
to print them as a table: ``python -m bench.planning`` or ``python bench/planning.py``.
Goal: 10k apps well under a second, 50k within 6x of 10k.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from reconciler.model import DesiredApp, DesiredState, LiveApp, LiveZone, Location, ZoneSpec
from reconciler.planning.canonical import clear_caches
from reconciler.planning.gcpause import collector_paused
from reconciler.planning.normalize import app_key
from reconciler.planning.planner import build_plan

ZONE = "example.com"
ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"


def _desired_config(i: int) -> dict[str, Any]:
    config: dict[str, Any] = {
        "dns": {"type": "CNAME", "name": f"app{i}.{ZONE}"},
        "protocol": f"tcp/{1 + i % 65535}",
        "origin_direct": [f"tcp://192.0.2.{i % 256}:22", f"tcp://[2001:db8::{i % 65535:x}]:22"],
    }
    if i % 3 == 0:
        config["tls"] = "full"
    return config


def _live_config(i: int, desired: dict[str, Any]) -> dict[str, Any]:
    """What the API returns: defaults filled, server fields, and every tenth app edited."""
    live = {
        **desired,
        "id": f"{i:032x}",
        "created_on": "2024-01-01T00:00:00Z",
        "modified_on": "2024-01-01T00:00:00Z",
        "traffic_type": "direct",
        "proxy_protocol": "off",
        "argo_smart_routing": False,
        "edge_ips": {"type": "dynamic", "connectivity": "all", "ips": ["104.18.0.1"]},
        "origin_direct": list(reversed(desired["origin_direct"])),
    }
    live.setdefault("tls", "off")
    if i % 10 == 0:
        live["tls"] = "strict"
    return live


def scenario(size: int) -> tuple[DesiredState, list[LiveZone]]:
    configs = [_desired_config(i) for i in range(size)]
    apps = tuple(
        DesiredApp(app_key(ZONE, c), c, Location("apps.yaml", i + 1, 3))
        for i, c in enumerate(configs)
    )
    live = tuple(LiveApp(f"{i:032x}", _live_config(i, c)) for i, c in enumerate(configs))
    return DesiredState((ZoneSpec(ZONE, None),), apps), [LiveZone(ZONE, ZONE_ID, live)]


def _time_once(desired: DesiredState, live: list[LiveZone]) -> float:
    clear_caches()  # a CLI run plans once, so every run starts cold
    start = time.perf_counter()
    with collector_paused():  # as workflow.plan_for plans
        plan = build_plan(desired, live)
    elapsed = time.perf_counter() - start
    assert plan.summary["update"] == len(desired.apps) // 10 + (1 if len(desired.apps) % 10 else 0)
    return elapsed


def measure(
    sizes: tuple[int, ...] = (1_000, 10_000, 50_000), repeats: int = 5
) -> list[dict[str, Any]]:
    """Per size: median, min and max seconds of ``build_plan`` over ``repeats`` runs."""
    rows = []
    for size in sizes:
        desired, live = scenario(size)
        times = [_time_once(desired, live) for _ in range(repeats)]
        rows.append(
            {
                "apps": size,
                "changed": size // 10 + (1 if size % 10 else 0),
                "median_s": statistics.median(times),
                "min_s": min(times),
                "max_s": max(times),
                "repeats": repeats,
            }
        )
    return rows


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        f"{'apps':>8} {'changed':>8} {'median s':>9} {'min s':>8} {'max s':>8} {'per app µs':>11}"
    ]
    for r in rows:
        per_app = r["median_s"] / r["apps"] * 1e6
        times = f"{r['median_s']:>9.3f} {r['min_s']:>8.3f} {r['max_s']:>8.3f}"
        lines.append(f"{r['apps']:>8} {r['changed']:>8} {times} {per_app:>11.1f}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(_table(measure()))
