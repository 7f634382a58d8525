"""Whole-process rows: what a user waits for, each command a fresh process, like a shell runs it.

In: sizes. Out: figures (median, min-max) measured in one run, so ratios compare like with like:

* the import floor — ``python -c "import reconciler.cli"``;
* ``plan`` against an emulator served from ANOTHER process (``spectrum-reconciler emulator``)
  at 50 ms latency, so the server's encoding is not on our interpreter's clock; requests are
  the emulator's own count. Critical path: the slowest zone's lookup and pages, in a row;
* the peer: a script reading the same zones with Cloudflare's official SDK (``cloudflare``,
  the ``bench`` extra), sequentially and with 8 threads (``bench/sdk_peer.py``);
* ``validate`` of N apps (a file per zone);
* the emulator's cost of ``--state``: N creates through its in-process transport, with and
  without a state file (the journal), the emulator's work alone on the clock;
* a paced plan: more reads than one rate-limit window allows, under a limit scaled down in
  proportion (both the emulator and the client enforce it): requests, wall, 429s, the achieved
  fraction of the limit, and the progress lines printed off a terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.scenario import (
    Figure,
    critical_path_requests,
    write_desired,
    write_live_state,
    zone_name,
)
from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.live.connect import SANDBOX_BASE_URL

ROOT = Path(__file__).resolve().parent.parent
LATENCY_MS = 50
TOKEN = "bench-token"
UNLIMITED = "1000000000/1"
EXIT_CHANGES = 2


def env() -> dict[str, str]:
    return {**os.environ, "CLOUDFLARE_API_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}


def timed(command: Sequence[str], expected: int = 0) -> tuple[float, str]:
    """Wall time of one process, and its stderr."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env(), cwd=ROOT)
    elapsed = time.perf_counter() - started
    if done.returncode != expected:
        raise RuntimeError(f"{command[1:4]} exited {done.returncode}: {done.stderr[-2000:]}")
    return elapsed, done.stderr


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "reconciler", *args]


def import_floor(runs: int) -> Figure:
    command = [sys.executable, "-c", "import reconciler.cli"]
    return Figure.of([timed(command)[0] for _ in range(runs)])


@dataclass
class Served:
    base_url: str

    def stats(self, reset: bool = False) -> dict[str, int]:
        root = self.base_url.removesuffix("/client/v4")
        url = f"{root}/__emulator__/" + ("reset" if reset else "stats")
        request = urllib.request.Request(url, method="POST" if reset else "GET")
        with urllib.request.urlopen(request, timeout=30) as answer:
            stats: dict[str, int] = json.loads(answer.read())
        return stats


@contextmanager
def emulator_process(state: Path, latency_ms: int, rate_limit: str) -> Iterator[Served]:
    """``spectrum-reconciler emulator`` in its own process, serving ``state``."""
    args = ["emulator", "--port", "0", "--state", str(state), "--latency-ms", str(latency_ms)]
    process = subprocess.Popen(
        cli(*args, "--rate-limit", rate_limit),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env(),
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        found = re.search(r"listening on (http://\S+)", first)
        if not found:
            raise RuntimeError(f"the emulator did not start: {first}{process.stdout.read()}")
        yield Served(found.group(1))
    finally:
        process.terminate()
        process.wait(timeout=60)


# --- plan, and its peers ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRace:
    apps: int
    zones: int
    floor: Figure
    critical_path_s: float
    plan: Figure
    plan_requests: int
    sdk_sequential: Figure
    sdk_sequential_requests: int
    sdk_threads: Figure
    sdk_threads_requests: int


def plan_race(apps: int, zones: int, runs: int) -> PlanRace:
    with tempfile.TemporaryDirectory(prefix="bench-whole-") as name:
        root = Path(name)
        desired = write_desired(root / "desired", apps, zones)
        state = write_live_state(root / "live.json", apps, zones)
        floor = import_floor(runs)
        with emulator_process(state, LATENCY_MS, UNLIMITED) as served:
            base = ["--base-url", served.base_url]
            plan = cli("plan", *base, "--detailed-exitcode", str(desired))
            plan_s, plan_requests = _race(served, plan, runs, EXIT_CHANGES)
            names = [zone_name(z) for z in range(zones)]
            peer = [sys.executable, "-m", "bench.sdk_peer", served.base_url]
            seq_s, seq_requests = _race(served, [*peer, "1", *names], runs, 0)
            par_s, par_requests = _race(served, [*peer, "8", *names], runs, 0)
    critical = critical_path_requests(apps, zones) * LATENCY_MS / 1000
    return PlanRace(apps, zones, floor, critical, plan_s, plan_requests, seq_s, seq_requests,
                    par_s, par_requests)  # fmt: skip


def _race(served: Served, command: list[str], runs: int, expected: int) -> tuple[Figure, int]:
    walls, requests = [], []
    for _ in range(runs):
        served.stats(reset=True)
        walls.append(timed(command, expected)[0])
        requests.append(served.stats()["total"])
    return Figure.of(walls), max(requests)


# --- validate ------------------------------------------------------------------------------


def validate_walls(sizes: Sequence[tuple[int, int]], runs: int) -> dict[int, Figure]:
    """Whole-process ``validate`` of each (apps, zones) size."""
    walls: dict[int, Figure] = {}
    with tempfile.TemporaryDirectory(prefix="bench-validate-") as name:
        for apps, zones in sizes:
            desired = write_desired(Path(name) / f"d{apps}", apps, zones)
            command = cli("validate", str(desired))
            walls[apps] = Figure.of([timed(command)[0] for _ in range(runs)])
    return walls


# --- the emulator's --state ----------------------------------------------------------------


@dataclass(frozen=True)
class StateCost:
    creates: int
    without: Figure
    with_state: Figure


def state_cost(creates: int, runs: int) -> StateCost:
    without, with_state = [], []
    for _ in range(runs):  # interleaved, so a busy moment of the machine hits both
        with tempfile.TemporaryDirectory(prefix="bench-state-") as name:
            without.append(_creates(creates, None))
            with_state.append(_creates(creates, Path(name) / "state.json"))
    return StateCost(creates, Figure.of(without), Figure.of(with_state))


def _creates(count: int, state: Path | None) -> float:
    zones = [zone_name(z) for z in range(max(1, count // 100))]
    config = EmulatorConfig(zones=zones, rate_limit=(10**9, 1.0), state_file=state)
    with Emulator(config) as emulator:
        ids = [emulator.ensure_zone(zone)["id"] for zone in zones]
        headers = {"Authorization": "Bearer " + TOKEN}
        transport = emulator.transport()
        with httpx.Client(transport=transport, base_url=SANDBOX_BASE_URL, headers=headers) as http:
            started = time.perf_counter()
            for i in range(count):
                zone = zones[i % len(zones)]
                body = {
                    "dns": {"type": "CNAME", "name": f"app{i:06}.{zone}"},
                    "protocol": f"tcp/{1000 + i // len(zones)}",
                    "origin_direct": [f"tcp://192.0.2.{i % 250 + 1}:{1000 + i // len(zones)}"],
                }
                http.post(f"/zones/{ids[i % len(zones)]}/spectrum/apps", json=body)
            elapsed = time.perf_counter() - started
        stored = sum(len(emulator.apps(zone_id)) for zone_id in ids)
    if stored != count:
        raise RuntimeError(f"{stored} apps stored of {count} created")
    return elapsed


# --- a paced plan ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Paced:
    apps: int
    zones: int
    limit: tuple[int, float]
    requests: int
    rate_limited: int
    wall_s: float
    fraction: float  # requests per second achieved / the limit's
    progress_lines: int


def paced_plan(apps: int, zones: int, limit: tuple[int, float]) -> Paced:
    text = f"{limit[0]}/{limit[1]:g}"
    with tempfile.TemporaryDirectory(prefix="bench-paced-") as name:
        root = Path(name)
        desired = write_desired(root / "desired", apps, zones)
        state = write_live_state(root / "live.json", apps, zones)
        with emulator_process(state, 0, text) as served:
            plan = cli("plan", "--base-url", served.base_url, "--rate-limit", text)
            served.stats(reset=True)
            wall, stderr = timed([*plan, "--detailed-exitcode", str(desired)], EXIT_CHANGES)
            stats = served.stats()
    progress = [line for line in stderr.splitlines() if line.startswith("reading:")]
    requests = stats["total"]
    # A sliding window lets the first ``limit`` requests go at once; the rest are paced.
    paced_rate = max(requests - limit[0], 1) / wall
    return Paced(apps, zones, limit, requests, stats["rate_limited"], wall,
                 paced_rate / (limit[0] / limit[1]), len(progress))  # fmt: skip
