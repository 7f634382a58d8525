"""Row 12: what reading each target again before writing it costs an apply.

Two applies at once must not overwrite each other, so the executor reads every app it is about
to update, delete or recreate (``GET /zones/{id}/spectrum/apps/{app_id}``) and writes only when
it is as planned. Each run plans ``updates`` updates (``tls`` changed) against an emulator
answering after ``LATENCY_MS`` and applies them with the real executor, once as shipped and once
with the re-read answered in memory (what the apply would cost without it). Out: the requests
of each apply by method and the wall time of both.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.scenario import UNLIMITED, Figure, client_for, zone_name
from reconciler.applying.executor import Executor
from reconciler.applying.workflow import load, plan_for
from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.live.cloudflare import CloudflareClient
from reconciler.live.ratelimit import RateLimit
from reconciler.plan import Plan
from reconciler.planning.normalize import app_key

LATENCY_MS = 50.0
ZONE = zone_name(0)


@dataclass(frozen=True)
class Reread:
    updates: int
    gets: int  # re-reads in one apply
    puts: int
    with_reread: Figure  # seconds
    without: Figure


def measure(updates: int, runs: int) -> Reread:
    with tempfile.TemporaryDirectory(prefix="bench-reread-") as root:
        config = _write(Path(root), updates)
        timed = [_apply_once(config, updates, reread=flag) for _ in range(runs) for flag in (1, 0)]
    shipped = [t for t in timed if t[0]]
    return Reread(
        updates,
        gets=shipped[0][2],
        puts=shipped[0][3],
        with_reread=Figure.of([t[1] for t in shipped]),
        without=Figure.of([t[1] for t in timed if not t[0]]),
    )


def _write(root: Path, count: int) -> str:
    apps = [
        {
            "dns": {"type": "CNAME", "name": f"app{i:05}.{ZONE}"},
            "protocol": f"tcp/{1000 + i}",
            "origin_direct": [f"tcp://192.0.2.1:{1000 + i}"],
            "tls": "full",
        }
        for i in range(count)
    ]
    (root / "apps.yaml").write_text(json.dumps({"zone": ZONE, "apps": apps}))
    return str(root)


def _seeded(count: int) -> Emulator:
    emulator = Emulator(EmulatorConfig(zones=(ZONE,), rate_limit=UNLIMITED))
    zone_id = emulator.ensure_zone(ZONE)["id"]
    with client_for(emulator, rate_limit=_fast()) as client:
        for i in range(count):
            body = {
                "dns": {"type": "CNAME", "name": f"app{i:05}.{ZONE}"},
                "protocol": f"tcp/{1000 + i}",
                "origin_direct": [f"tcp://192.0.2.1:{1000 + i}"],
            }
            client.create_app(zone_id, app_key(ZONE, body), body)
    return emulator


def _fast() -> RateLimit:
    return RateLimit(*UNLIMITED)


def _apply_once(config: str, count: int, *, reread: int) -> tuple[int, float, int, int]:
    emulator = _seeded(count)
    with client_for(emulator, rate_limit=_fast()) as client:
        plan = plan_for(load([config]), client)
    emulator.config = _slow(emulator.config)
    emulator.reset_stats()
    with client_for(emulator, rate_limit=_fast()) as client:
        if not reread:
            _answer_from_the_plan(client, plan)
        started = time.perf_counter()
        report = Executor(client).apply(plan)
        seconds = time.perf_counter() - started
    assert report.complete, "every update applies"
    requests = emulator.stats()["requests"]
    gets = sum(n for k, n in requests.items() if k.startswith("GET "))
    puts = sum(n for k, n in requests.items() if k.startswith("PUT "))
    return reread, seconds, gets, puts


def _slow(config: EmulatorConfig) -> EmulatorConfig:
    return dataclasses.replace(config, latency_ms=LATENCY_MS)


def _answer_from_the_plan(client: CloudflareClient, plan: Plan) -> None:
    """The re-read answered from memory: the apply as it would run without it."""
    before: dict[str, Mapping[str, Any]] = {
        a.app_id: a.before for a in plan.actions if a.app_id and a.before is not None
    }
    client.get_app = lambda zone_id, app_id: before.get(app_id)  # type: ignore[method-assign]
