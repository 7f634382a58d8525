"""Shell: reconcile on a schedule — one cycle (``--once``, for a CronJob) or a loop (``--every``).

One cycle = load -> plan -> (apply, with ``--self-heal``, then verify what was written unless
``verify`` is off) -> a ``CycleResult`` value. A separate
step acts on that value: metrics, notifications, one log line (``Reporter``). A file that fails
validation fails the cycle before anything is read, so it can never plan deletions; a refusal by
the safety gate or a guardrail is reported and counted, never forced. The loop runs its cycles
one after another (never two at once), sleeps between them, and on SIGTERM stops after the
cycle that is running. API clients (and so each token's rate limiter) live across cycles.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from reconciler.applying import verifying, workflow
from reconciler.applying.executor import DEFAULT_PARALLELISM, Executor
from reconciler.applying.report import ActionOutcome, ApplyReport
from reconciler.checks import traffic
from reconciler.checks.verify import Verification
from reconciler.desired.times import parse_duration
from reconciler.errors import EXIT_OK, ConfigError, ReconcilerError
from reconciler.live.accounts import Accounts
from reconciler.logs import say, scrub
from reconciler.plan import Action, Plan
from reconciler.running.cycle import CycleResult, exit_code, log_record, summary_line
from reconciler.running.metrics import Health, Metrics
from reconciler.running.notify import Notifier

log = logging.getLogger(__name__)

__all__ = ["parse_duration"]  # --every and the freezes' durations read alike


@dataclass(frozen=True)
class Settings:
    """What every cycle does."""

    paths: tuple[str, ...]
    self_heal: bool = False
    parallelism: int = DEFAULT_PARALLELISM
    verify: verifying.VerifyOptions | None = verifying.DEFAULT_OPTIONS  # None: --no-verify
    traffic_window_s: float = traffic.DEFAULT_WINDOW_S


def run_cycle(number: int, settings: Settings, accounts: Accounts) -> CycleResult:
    """Load, plan and (with self_heal) apply once; every error becomes part of the result."""
    started, clock = time.time(), time.monotonic()
    plan: Plan | None = None  # once planned, a refusal still reports the drift it found
    try:
        desired = workflow.load(settings.paths)
        live = accounts.fetch_live(desired.zones)
        plan = workflow.plan_against(desired, live, sources=settings.paths)
        healed = _heal(plan, accounts, settings) if settings.self_heal else _Healed()
    except ConfigError as error:
        for problem in error.problems:
            log.error("%s", problem)
        first = f" (first: {error.problems[0]})" if error.problems else ""
        return _failed(number, started, clock, accounts, f"{error}{first}", plan)
    except ReconcilerError as error:
        return _failed(number, started, clock, accounts, scrub(str(error)), plan)
    except Exception as error:  # a bug: this cycle fails, the loop and the next cycle go on
        log.debug("cycle %d: unexpected error", number, exc_info=True)
        what = scrub(f"unexpected {type(error).__name__}: {error}")
        return dataclasses.replace(_failed(number, started, clock, accounts, what), unexpected=True)
    return CycleResult(
        number,
        started,
        time.monotonic() - clock,
        zones=tuple(zone.name for zone in plan.zones),
        drift=workflow.drift_of(plan),
        report=healed.report,
        refusal=healed.refusal,
        budget=accounts.budget(),
        self_heal=settings.self_heal,
        verification=healed.verification,
        observed=healed.observed,
    )


def _failed(
    number: int,
    started: float,
    clock: float,
    accounts: Accounts,
    error: str,
    plan: Plan | None = None,
) -> CycleResult:
    """A failed cycle; one refused after planning (an address or preflight refusal) still
    carries the drift its plan found, so the cycle line and gauges report it before the error."""
    duration = time.monotonic() - clock
    failed = CycleResult(number, started, duration, error=error, budget=accounts.budget())
    if plan is None:
        return failed
    zones = tuple(zone.name for zone in plan.zones)
    return dataclasses.replace(failed, zones=zones, drift=workflow.drift_of(plan))


@dataclass(frozen=True)
class _Healed:
    """What self-heal did: its report (None: nothing ran), refusal, verification, and the
    actions of mode: observe zones it left alone."""

    report: ApplyReport | None = None
    refusal: str | None = None
    verification: Verification | None = None
    observed: tuple[Action, ...] = ()


def _heal(plan: Plan, accounts: Accounts, settings: Settings) -> _Healed:
    """Apply the plan as ``apply`` would, never forced (no --force, no --break-glass).

    The guardrails and the safety gate judge the whole plan first: a refusal holds its own
    zone, and is reported. Then the static edge IPs it will write are checked against their
    accounts' address planes (a held or observe zone's findings only warn) and its writes
    against what Cloudflare would refuse (``preflight``), each zone's reads made with its own
    token (``Accounts``' routers); a refusal fails the cycle. What they allow is written, each
    token's part through its own client, and then verified (``verify``).
    """
    if not plan.has_changes:
        return _Healed()
    plan = _with_traffic(plan, accounts, settings.traffic_window_s)
    overrides = workflow.overrides_of(force=False)
    verdict = workflow.verdict_on(plan, overrides)
    # raises AddressRefusedError or PreflightRefusedError; each zone's reads with its token
    workflow.raise_if_refused(workflow.check_addresses(plan, accounts, overrides=overrides))
    refusal = "; ".join(f"{r.message} — {r.unforced_hint()}" for r in verdict.refusals) or None
    outcomes: list[ActionOutcome] = []
    verified: list[Verification] = []
    for part in accounts.split(verdict.plan):
        if part.plan.has_changes:
            executor = Executor(part.client, parallelism=settings.parallelism)
            one_token = dataclasses.replace(verdict, plan=part.plan)
            reads = verifying.traffic_reader_for(part.client)
            carried = verifying.carried_before(part.plan, reads) if settings.verify else {}
            done = workflow.run_verdict(one_token, executor)
            outcomes.extend(done.outcomes)
            if settings.verify is not None:
                targets = verifying.targets_after(part.plan, done, carried)
                verified.append(
                    verifying.verify(part.client, targets, settings.verify, traffic=reads)
                )
    report = ApplyReport(tuple(outcomes)) if outcomes else None
    refused = scrub(refusal) if refusal else None
    return _Healed(report, refused, _joined(verified), verdict.skipped)


def _joined(parts: list[Verification]) -> Verification | None:
    """One verification of every token's part; None when nothing was verified."""
    if not parts:
        return None
    notes = tuple(dict.fromkeys(n for part in parts for n in part.notes))
    return Verification(tuple(a for part in parts for a in part.apps), notes)


def _with_traffic(plan: Plan, accounts: Accounts, window_s: float) -> Plan:
    """The plan with each delete's and recreate's traffic, each zone read through its token's
    client (``live_delete`` holds a zone deleting an app that carries traffic)."""
    read = [
        zone
        for part in accounts.split(plan)
        for zone in traffic.attach(part.plan, part.client.analytics, window_s).traffic
    ]
    return dataclasses.replace(plan, traffic=tuple(read))


@dataclass
class Reporter:
    """The step that acts on a cycle's result: metrics, notifications, one log line."""

    metrics: Metrics
    stream: TextIO
    log_format: str = "text"
    metrics_file: str | None = None
    notifier: Notifier | None = None
    health: Health | None = None

    def __call__(self, result: CycleResult) -> None:
        self.metrics.record(result)
        if self.metrics_file:
            try:
                self.metrics.write(self.metrics_file)
            except ReconcilerError as error:
                log.error("metrics: %s", error)
        if self.notifier is not None:
            self.notifier.notify(result)
        if result.error is not None:
            say(f"error: {result.error}", level="error")
        if self.log_format == "json":
            print(json.dumps(log_record(result), sort_keys=True), file=self.stream, flush=True)
        else:
            print(summary_line(result), file=self.stream, flush=True)
        if self.health is not None:
            self.health.beat()


def run(
    settings: Settings,
    accounts: Accounts,
    report: Reporter,
    *,
    every: float | None,
    stop: threading.Event,
) -> int:
    """Run one cycle (``every`` None) and return its exit code, or loop until ``stop`` is set."""
    number = 0
    while True:
        number += 1
        result = run_cycle(number, settings, accounts)
        try:
            report(result)
        except Exception as error:  # the report of one cycle must not end the loop either
            log.error("cycle %d: reporting failed (%s: %s)", number, type(error).__name__, error)
        if every is None:
            return exit_code(result)
        if stop.is_set() or stop.wait(every):
            say(f"reconcile: stopped after cycle {number}")
            return EXIT_OK


@contextlib.contextmanager
def stop_on_sigterm(stop: threading.Event) -> Iterator[None]:
    """While inside, SIGTERM sets ``stop`` (the running cycle finishes) instead of killing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
