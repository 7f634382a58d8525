"""Row 4: how close an apply runs to the rate limit without meeting a 429.

In: a limit (requests, seconds), shared by the emulator and the client, and a number of creates.
Out: ``Pacing``. Each run writes the apps as YAML, loads them, plans against an empty zone and
applies with the real ``Executor``. A transport wrapper stamps every request as it leaves
(reads, creates and any 429 alike).

How the rate is measured: a sliding-window limit of Q requests per W seconds is met exactly when
request k+Q leaves W seconds after request k. So the achieved rate is Q / (median over k of
t[k+Q] - t[k]), and its ratio to Q/W says how much of the limit the client used (1.0 = all).
This ignores the free burst of the first window, which a plain requests/elapsed would count.
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.scenario import Figure, client_for, write_desired
from reconciler.applying.executor import Executor
from reconciler.applying.workflow import load, plan_for
from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.live.ratelimit import RateLimit
from reconciler.model import DesiredState


@dataclass(frozen=True)
class Pacing:
    limit: RateLimit
    creates: int
    ratio: Figure  # achieved rate / limit, steady state (see the module docstring)
    naive_ratio: Figure  # (requests - 1) / (last - first request) / limit, for reference
    requests: Figure
    seconds: Figure
    rate_limited: int


class StampingTransport(httpx.BaseTransport):
    """Delegates to another transport, noting when each request was sent."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.sent: list[float] = []
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.sent.append(time.monotonic())
        return self.inner.handle_request(request)


def measure(limit: RateLimit, creates: int, runs: int) -> Pacing:
    with tempfile.TemporaryDirectory(prefix="bench-pacing-") as root:
        desired = load([str(write_desired(Path(root), creates, 1))])
        results = [_run_once(desired, limit, creates) for _ in range(runs)]
    return Pacing(
        limit,
        creates,
        Figure.of([r[0] for r in results]),
        Figure.of([r[1] for r in results]),
        Figure.of([r[2] for r in results]),
        Figure.of([r[3] for r in results]),
        sum(int(r[4]) for r in results),
    )


def _run_once(desired: DesiredState, limit: RateLimit, creates: int) -> tuple[float, ...]:
    emulator = Emulator(
        EmulatorConfig(zones=("zone000.example.com",), rate_limit=(limit.requests, limit.seconds))
    )
    stamps = StampingTransport(emulator.transport())
    with client_for(emulator, rate_limit=limit, transport=stamps) as client:
        plan = plan_for(desired, client)
        report = Executor(client).apply(plan)
    if not report.complete or len(report.outcomes) != creates:
        raise RuntimeError(f"apply did not create all {creates} apps: {plan.summary}")
    sent = stamps.sent
    quota, window = limit.requests, limit.seconds
    if len(sent) <= quota:
        raise RuntimeError(f"{len(sent)} requests never exceed one window of {quota}")
    gaps = [sent[k + quota] - sent[k] for k in range(len(sent) - quota)]
    ratio = (quota / statistics.median(gaps)) / (quota / window)
    elapsed = sent[-1] - sent[0]
    naive = ((len(sent) - 1) / elapsed) / (quota / window)
    return ratio, naive, float(len(sent)), elapsed, float(emulator.stats()["rate_limited"])
