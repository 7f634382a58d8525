"""Shell: the reconciler's Prometheus metrics; the only module that knows Prometheus.

In: cycle results (``reconciler.running.cycle``) and the API client's request observations. Out: a
``prometheus_client`` registry, written atomically to a file for node-exporter's textfile
collector (``--metrics-file``, the CronJob case) or served on ``/metrics`` (``--metrics-port``,
the loop case, with ``/healthz`` for a liveness probe). Every name of ours starts
``spectrum_reconciler_``; the cycle duration is a histogram (``histogram``, beside this module).
``/metrics`` adds prometheus-client's process, platform and GC collectors (``process_*``,
``python_*``); the textfile does not, as node-exporter, which serves it, exports its own
``process_*`` series and would refuse a second copy of them.

A textfile run continues the counters, the histogram and the last success time of the file it
replaces, so a CronJob's counters only ever grow and a failed run does not erase when the last
good one was; ``apps{health}`` (the last verification) carries on too, until a run verifies.
"""

from __future__ import annotations

import logging
import math
import platform
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    disable_created_metrics,
    generate_latest,
    make_wsgi_app,
)
from prometheus_client.parser import text_string_to_metric_families

import reconciler
from reconciler.checks.verify.values import STATES as HEALTH_STATES
from reconciler.errors import ReconcilerError
from reconciler.files import write_atomically
from reconciler.running.cycle import CycleResult
from reconciler.running.histogram import ContinuedHistogram

log = logging.getLogger(__name__)
_BUILD = ("version", "python")

PREFIX = "spectrum_reconciler_"
_LAST_SUCCESS = PREFIX + "last_success_timestamp_seconds"
_APPS = PREFIX + "apps"  # apps per health state: the last verification's
StartResponse = Callable[..., Any]
# A cycle takes from well under a second (a few zones) to past a 5-minute rate-limit window
# (a big shard, or a paced retry); the bounds are chosen to tell those apart, in seconds.
DURATION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)

# A ``_created`` series per counter tells a textfile reader nothing but when this process
# started; this process is the only user of prometheus_client, so the switch is ours to set.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped upstream


class Metrics:
    """The metrics of one process, in a registry of its own."""

    def __init__(self, *, interval: float | None = None) -> None:
        """``interval``: the loop's ``--every``, exported so an alert can say "two intervals"."""
        self.registry = CollectorRegistry()

        def gauge(name: str, doc: str, labels: Iterable[str] = ()) -> Gauge:
            return Gauge(PREFIX + name, doc, list(labels), registry=self.registry)

        def counter(name: str, doc: str, labels: Iterable[str] = ()) -> Counter:
            made = Counter(PREFIX + name, doc, list(labels), registry=self.registry)
            self._counters[PREFIX + name.removesuffix("_total")] = made
            return made

        self._counters: dict[str, Counter] = {}

        self.last_success = gauge(
            "last_success_timestamp_seconds", "When a cycle last saw every zone and did its job."
        )
        self.last_cycle = gauge("last_cycle_timestamp_seconds", "When the last cycle ended.")
        self.last_duration = gauge("last_cycle_duration_seconds", "How long the last cycle took.")
        self.cycle_duration = ContinuedHistogram(
            PREFIX + "cycle_duration_seconds", "How long cycles take.", DURATION_BUCKETS
        )
        self.registry.register(self.cycle_duration)
        build = gauge("build_info", "Always 1: the version running, and its Python.", _BUILD)
        build.labels(reconciler.__version__, platform.python_version()).set(1)
        if interval is not None:
            gauge("cycle_interval_seconds", "The loop's --every: the time between cycles.").set(
                interval
            )
        self.drift = gauge(
            "drift_apps", "Apps differing from git at the end of the last cycle.", ("zone", "kind")
        )
        self.health = gauge(
            "apps",
            "Apps per verdict of the last verification (the apps a --self-heal apply wrote).",
            ("health",),
        )
        for state in HEALTH_STATES:
            self.health.labels(health=state).set(0)
        self.budget = gauge(
            "rate_limit_remaining",
            "Requests left in the token's 5-minute budget after the last cycle.",
            ("token_env",),
        )
        self.cycles = counter("cycles_total", "Cycles run, by outcome.", ("outcome",))
        self.requests = counter(
            "api_requests_total",
            "API requests sent, by method and HTTP status.",
            ("method", "status"),
        )
        self.api_errors = counter(
            "api_errors_total", "Cloudflare error codes received, by code.", ("code",)
        )
        self.actions = counter(
            "apply_actions_total",
            "Actions applied by --self-heal, by outcome.",
            ("action", "outcome"),
        )
        self.refusals = counter(
            "safety_refusals_total", "Cycles whose writes a safety rule or guardrail refused."
        )

    # -- what feeds them ----------------------------------------------------------------------

    def observe_request(self, method: str, status: int, codes: tuple[int, ...]) -> None:
        """One API exchange (status 0: no response came); thread-safe, called by the client."""
        self.requests.labels(method=method, status=str(status)).inc()
        for code in codes:
            self.api_errors.labels(code=str(code)).inc()

    def record(self, result: CycleResult) -> None:
        """Derive every per-cycle metric from the cycle's result."""
        ended = result.started_at + result.duration
        self.last_cycle.set(ended)
        self.last_duration.set(result.duration)
        self.cycle_duration.observe(result.duration)
        self.cycles.labels(outcome=result.outcome.value).inc()
        if result.succeeded:
            self.last_success.set(ended)
        if result.refusal is not None:
            self.refusals.inc()
        for (action, outcome), count in result.applied().items():
            self.actions.labels(action=action, outcome=outcome).inc(count)
        for env, left in result.budget.items():
            self.budget.labels(token_env=env).set(left)
        if result.verification is not None:  # a cycle that wrote nothing keeps the last one
            for state, count in result.verification.counts().items():
                self.health.labels(health=state).set(count)
        if result.drift is not None:  # a failed cycle saw nothing: keep what was last seen
            self.drift.clear()
            for (zone, kind), count in result.drift_counts().items():
                self.drift.labels(zone=zone, kind=kind).set(count)

    # -- where they go -------------------------------------------------------------------------

    def continue_from(self, path: str) -> None:
        """Carry on the counters and last success time of an earlier textfile, if there is one."""
        try:
            with open(path, encoding="utf-8") as stream:
                text = stream.read()
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as error:
            log.warning("metrics: not continuing from %s: %s", path, error)
            return
        try:
            self._restore(text)
        except ValueError as error:
            log.warning("metrics: %s does not parse, starting afresh: %s", path, error)

    def _restore(self, text: str) -> None:
        for family in text_string_to_metric_families(text):
            if family.name == self.cycle_duration.name:
                if family.type == "histogram":  # 0.1.0's gauge: nothing to carry
                    self.cycle_duration.continue_from(family.samples)
                continue
            for sample in family.samples:
                if not (math.isfinite(sample.value) and sample.value >= 0):
                    # an edited file: NaN or Inf would stay so for ever; start that one afresh
                    log.warning(
                        "metrics: %s is %s, not a count; starting it afresh",
                        sample.name,
                        sample.value,
                    )
                    continue
                counter = self._counters.get(family.name)
                if counter is not None and sample.name.endswith("_total"):
                    target = counter.labels(**sample.labels) if sample.labels else counter
                    target.inc(sample.value)
                elif sample.name == _LAST_SUCCESS:
                    self.last_success.set(sample.value)
                elif sample.name == _APPS and sample.labels.get("health") in HEALTH_STATES:
                    self.health.labels(health=sample.labels["health"]).set(sample.value)

    def write(self, path: str) -> None:
        """Replace ``path`` whole (``files.write_atomically``), readable by the textfile
        collector, which runs as another user."""
        write_atomically(path, generate_latest(self.registry).decode("utf-8"), mode=0o644)

    def serve(self, port: int, health: Health, host: str = "0.0.0.0") -> MetricsServer:
        """Serve ``/metrics`` and ``/healthz`` on a background thread until ``close()``."""
        return MetricsServer(self, health, host, port)

    def served(self) -> CollectorRegistry:
        """What ``/metrics`` shows: ours, and the process's memory, CPU, files and GC."""
        registry = CollectorRegistry()
        for collector in (self.registry, PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            registry.register(collector)  # a registry is a collector too
        return registry


class Health:
    """The loop's heartbeat: healthy while a cycle started or ended within ``stale_after``."""

    def __init__(self, stale_after: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.stale_after = stale_after
        self._clock = clock
        self._beat = clock()

    def beat(self) -> None:
        self._beat = self._clock()

    @property
    def healthy(self) -> bool:
        return self._clock() - self._beat <= self.stale_after


class _QuietHandler(WSGIRequestHandler):
    timeout = 30  # seconds: a client that stalls mid-request is dropped, its thread freed

    def log_message(self, format: str, *args: Any) -> None:
        pass  # a scrape every few seconds is not news


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    """One thread per request: a stalled client never holds the liveness probe."""

    daemon_threads = True


class MetricsServer:
    """``/healthz`` (200 while the loop beats, else 503) and Prometheus' app for the rest, each
    request in its own thread."""

    def __init__(self, metrics: Metrics, health: Health, host: str, port: int) -> None:
        self._metrics_app = make_wsgi_app(metrics.served())
        self._health = health
        try:
            self._server: WSGIServer = make_server(
                host, port, self._app, server_class=_ThreadingServer, handler_class=_QuietHandler
            )
        except OSError as error:
            raise ReconcilerError(
                f"cannot serve metrics on port {port}: {error.strerror or error} — choose "
                "another --metrics-port"
            ) from None
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics", daemon=True
        )
        self._thread.start()

    def _app(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != "/healthz":
            return self._metrics_app(environ, start_response)  # type: ignore[no-any-return]
        ok = self._health.healthy
        start_response(
            "200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")]
        )
        return [b"ok\n" if ok else b"no cycle for too long\n"]

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
