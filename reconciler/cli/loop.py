"""``reconcile``: plan (and with --self-heal apply) once for a CronJob, or in a loop."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence

import click

from reconciler.applying.executor import DEFAULT_PARALLELISM
from reconciler.applying.verifying import VerifyOptions
from reconciler.cli.options import api, duration, guarded, stdout
from reconciler.live.accounts import Accounts
from reconciler.live.connect import Connection
from reconciler.logs import say
from reconciler.running import reconcile as loop
from reconciler.running.metrics import Health, Metrics
from reconciler.running.notify import Notifier, webhook_secret

# A cycle can wait out a whole 5-minute rate-limit window; the probe allows for two of them.
HEALTH_GRACE_SECONDS = 600.0


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--once", is_flag=True, help="Run one cycle and exit (the default; for a CronJob).")
@click.option(
    "--every",
    callback=duration,
    metavar="DURATION",
    help="Loop: a cycle, then sleep DURATION (30s, 5m, 1h); SIGTERM stops after the cycle.",
)
@click.option("--self-heal", is_flag=True, help="Apply the plan (safety gate and guardrails hold).")
@click.option(
    "--verify/--no-verify",
    default=True,
    show_default=True,
    help="After a --self-heal apply, check each written app serves (exit 5 when degraded).",
)
@click.option(
    "--verify-timeout",
    callback=duration,
    default="5m",
    show_default=True,
    metavar="DURATION",
    help="How long to wait for traffic to resume on a recreated app.",
)
@click.option(
    "--parallelism", type=click.IntRange(1, 32), default=DEFAULT_PARALLELISM, show_default=True
)
@click.option(
    "--traffic-window",
    default="24h",
    show_default=True,
    callback=duration,
    help="With --self-heal: how far back a delete looks for traffic (live_delete guardrail).",
)
@click.option(
    "--metrics-file",
    type=click.Path(dir_okay=False),
    help="Write Prometheus metrics here after every cycle, atomically (textfile collector).",
)
@click.option(
    "--metrics-port", type=click.IntRange(0, 65535), help="Serve /metrics and /healthz here."
)
@click.option(
    "--notify-webhook",
    envvar="SPECTRUM_RECONCILER_NOTIFY_WEBHOOK",
    help="POST drift and failure events here (Slack-compatible JSON); or set the variable "
    "SPECTRUM_RECONCILER_NOTIFY_WEBHOOK. Signed (HMAC-SHA256) when "
    "SPECTRUM_RECONCILER_WEBHOOK_SECRET is set.",
)
@click.option(
    "--notify-state",
    type=click.Path(dir_okay=False),
    help="Remember what was announced here [default: beside --metrics-file].",
)
@click.option("--notify-show-origins", is_flag=True, help="Do not redact origins in notifications.")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="One line per cycle on stdout; json: that line and every stderr line (logs, errors) "
    "as one JSON object each, for log pipelines.",
)
@api
@guarded
def reconcile(
    paths: Sequence[str],
    once: bool,
    every: float | None,
    self_heal: bool,
    verify: bool,
    verify_timeout: float,
    parallelism: int,
    traffic_window: float,
    metrics_file: str | None,
    metrics_port: int | None,
    notify_webhook: str | None,
    notify_state: str | None,
    notify_show_origins: bool,
    log_format: str,
    connection: Connection,
) -> int:
    """Keep live state in line with the files: report drift, or with --self-heal repair it.

    \b
    Exit codes (--once): 0 in sync, 2 drift; with --self-heal 0 healed, 3 refused,
    4 partly applied, 5 healed but an app degraded; 1 when the cycle failed (bad files, API
    errors). --every exits 0 when stopped by SIGTERM.

    \b
    Examples:
      spectrum-reconciler reconcile --once apps/ --metrics-file /textfile/spectrum.prom
      spectrum-reconciler reconcile --every 5m --self-heal apps/ --metrics-port 9464
    """
    if once and every is not None:
        raise click.UsageError("give --once or --every DURATION, not both")
    settings = loop.Settings(
        tuple(paths),
        self_heal=self_heal,
        parallelism=parallelism,
        verify=VerifyOptions(timeout=verify_timeout) if verify else None,
        traffic_window_s=traffic_window,
    )
    metrics = Metrics(interval=every)
    if metrics_file:
        metrics.continue_from(metrics_file)
        metrics.write(metrics_file)  # a path that cannot be written fails now, not every cycle
    health = Health(2 * (every or 0.0) + HEALTH_GRACE_SECONDS)
    stop = threading.Event()
    with (
        Accounts(connection, observer=metrics.observe_request) as accounts,
        _notifier(notify_webhook, notify_state, metrics_file, notify_show_origins) as notifier,
        _serving(metrics, metrics_port, health),
        loop.stop_on_sigterm(stop),
    ):
        reporter = loop.Reporter(
            metrics, stdout(), log_format, metrics_file, notifier=notifier, health=health
        )
        return loop.run(settings, accounts, reporter, every=every, stop=stop)


@contextlib.contextmanager
def _notifier(
    url: str | None, state: str | None, metrics_file: str | None, show_origins: bool
) -> Iterator[Notifier | None]:
    if not url:
        yield None
        return
    if state is None and metrics_file:
        state = os.path.join(os.path.dirname(metrics_file), ".spectrum-reconciler-notified.json")
    secret = webhook_secret()
    notifier = Notifier(url, state_path=state, show_origins=show_origins, secret=secret)
    try:
        yield notifier
    finally:
        notifier.close()


@contextlib.contextmanager
def _serving(metrics: Metrics, port: int | None, health: Health) -> Iterator[None]:
    if port is None:
        yield
        return
    server = metrics.serve(port, health)
    say(f"metrics: serving /metrics and /healthz on port {server.port}")
    try:
        yield
    finally:
        server.close()
