"""Applies a Plan through a CloudflareClient: in what order, how many at once, and the report.

In: a Plan and a client. Out: an ``ApplyReport`` with one ``ActionOutcome`` per action (done,
failed with Cloudflare's codes, or skipped), every attempt journalled as a JSON line when asked.

Order within a zone: creates, updates, recreates and replaces (a delete that frees a hostname
and port, run together with the create that needs it), then the other deletes (a new app is up
before an old one goes). The writes of each action or replace unit, and their undo, are
``steps``. After a failure no new action starts in that zone, and after Ctrl-C none starts at
all: an action still waiting for its first rate-limit slot is dropped at once (it sent nothing),
one that has written finishes. The run always ends with a full report.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reconciler.applying.failure import StepFailed
from reconciler.applying.journal import Journal
from reconciler.applying.report import ActionOutcome, ApplyReport, Progress, Status, Tally
from reconciler.applying.steps import Steps, describe
from reconciler.errors import OutputFileError
from reconciler.live.ratelimit import NotSent
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.replace import Replace, replace_units

if TYPE_CHECKING:  # the client (and httpx) only when something is applied
    from reconciler.live.cloudflare import CloudflareClient

log = logging.getLogger(__name__)

DEFAULT_PARALLELISM = 4

Work = Action | Replace
_INTERRUPTED = "not started: apply was interrupted (Ctrl-C)"
_STOPS_THE_ZONE = {
    Status.FAILED: "an earlier action in this zone failed",
    Status.STALE: "an earlier action in this zone found its app changed since the plan",
}


@dataclass
class _Run:
    """Mutable bookkeeping of one apply, shared by the worker threads under one lock."""

    tally: Tally
    progress: Progress | None
    stopping: threading.Event
    failed_zones: dict[str, str] = field(default_factory=dict)  # zone -> why it stopped
    outcomes: dict[int, ActionOutcome] = field(default_factory=dict)  # by id() of the action
    lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, zone: str) -> str | None:
        """Why no new action may start in ``zone`` now (None: it may)."""
        if self.stopping.is_set():
            return _INTERRUPTED
        with self.lock:
            return self.failed_zones.get(zone)

    def record(self, outcome: ActionOutcome) -> None:
        with self.lock:  # progress is told under the lock too: its counts arrive in order
            if id(outcome.action) in self.outcomes:
                return
            self.outcomes[id(outcome.action)] = outcome
            if outcome.status in _STOPS_THE_ZONE:
                why = _STOPS_THE_ZONE[outcome.status]
                self.failed_zones.setdefault(outcome.action.key.zone, why)
            self.tally = self.tally.adding(outcome.status)
            if self.progress:
                self.progress.recorded(outcome, self.tally)


def phases(actions: Sequence[Action]) -> list[list[Work]]:
    """Work in the order it may run; the work of one phase may run in parallel.

    First every create, update, recreate and replace unit (a delete that frees a port with the
    creates that need it), then the other deletes: a new app is up before an old one goes.
    """
    units, rest = replace_units(actions)
    order = {id(action): i for i, action in enumerate(actions)}
    first: list[Work] = [*units, *(a for a in rest if a.kind is not ActionKind.DELETE)]
    first.sort(key=lambda work: order[id(_actions_of(work)[0])])
    later: list[Work] = [a for a in rest if a.kind is ActionKind.DELETE]
    return [phase for phase in (first, later) if phase]


@contextlib.contextmanager
def _ctrl_c_stops(stop: Callable[..., None]) -> Iterator[None]:
    """While applying, Ctrl-C calls ``stop`` instead of raising KeyboardInterrupt.

    An exception raised at an arbitrary point of the main thread could land inside the thread
    pool's own bookkeeping and leave a running action unawaited; a flag cannot. Only the main
    thread may install a handler; elsewhere Ctrl-C never reaches the apply anyway.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _actions_of(work: Work) -> tuple[Action, ...]:
    return work.actions if isinstance(work, Replace) else (work,)


class Executor:
    """Applies plans; holds the journal, the steps that write and the degree of parallelism.

    Ctrl-C (SIGINT, with ``apply`` in the main thread) sets ``stopping``: no new action starts,
    one still waiting to send its first request is dropped, running ones finish (a recreate or
    replace including its restore), and ``apply`` returns the report with every action not
    started as skipped.
    """

    def __init__(
        self,
        client: CloudflareClient,
        *,
        parallelism: int = DEFAULT_PARALLELISM,
        journal: Journal | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.parallelism = max(1, parallelism)
        self.journal = journal or Journal(None)
        self.steps = Steps(client, self.journal)
        self.limiter = client.limiter
        self.progress = progress
        self.stopping = threading.Event()

    def apply(self, plan: Plan) -> ApplyReport:
        run = _Run(Tally(len(plan.actions)), self.progress, self.stopping)
        started_at, start = time.time(), time.monotonic()
        self.journal.write("apply-start", summary=plan.summary)
        with (
            _ctrl_c_stops(self._interrupt),
            ThreadPoolExecutor(self.parallelism, thread_name_prefix="apply") as pool,
        ):
            for phase in phases(plan.actions):
                wait([pool.submit(self._run_work, work, run) for work in phase])
                if self.stopping.is_set():
                    break
        report = ApplyReport(
            tuple(
                run.outcomes.get(id(a)) or ActionOutcome(a, Status.SKIPPED, _INTERRUPTED)
                for a in plan.actions
            ),
            interrupted=self.stopping.is_set(),
            started_at=started_at,
            seconds=time.monotonic() - start,
        )
        try:
            self.journal.write(
                "apply-end",
                **{s.value: report.count(s) for s in Status},
                complete=report.complete,
                interrupted=report.interrupted,
            )
        except (OutputFileError, OSError) as error:  # after the writes: the report matters more
            log.error("journal: the apply-end line could not be written (%s)", error)
        return report

    def _interrupt(self, *_signal: object) -> None:
        if self.stopping.is_set():
            return
        self.stopping.set()
        if self.progress is not None:
            self.progress.interrupted()
        else:
            log.warning("interrupted: letting running actions finish, starting no new ones")

    def _run_work(self, work: Work, run: _Run) -> None:
        """Run one action or replace unit, or skip all of it when its zone is blocked."""
        actions = _actions_of(work)
        try:
            reason = run.blocked(actions[0].key.zone)
            outcomes = [self._skip(a, reason) for a in actions] if reason else self._timed(work)
            for outcome in outcomes:
                run.record(outcome)
        except Exception as error:  # our own bookkeeping failed (a journal write): still report
            for action in actions:
                run.record(ActionOutcome(action, Status.FAILED, StepFailed.of(error).detail))

    def _timed(self, work: Work) -> list[ActionOutcome]:
        """``_write``, each outcome carrying when the work began and how long it took (the
        actions of a replace unit share theirs); one dropped before it sent anything has none."""
        started_at, start = time.time(), time.monotonic()
        outcomes = self._write(work)
        seconds = time.monotonic() - start
        return [
            o if o.status is Status.SKIPPED else replace(o, started_at=started_at, seconds=seconds)
            for o in outcomes
        ]

    def _write(self, work: Work) -> list[ActionOutcome]:
        """The outcomes of writing ``work``; all skipped if Ctrl-C came before it sent anything."""
        try:
            with self.limiter.droppable(self.stopping):
                if isinstance(work, Replace):
                    return self.steps.replace(work)
                return [self.steps.attempt(work)]
        except NotSent:
            return [self._skip(action, _INTERRUPTED) for action in _actions_of(work)]

    def _skip(self, action: Action, reason: str) -> ActionOutcome:
        self.journal.write("skipped", **describe(action), detail=reason)
        return ActionOutcome(action, Status.SKIPPED, reason)
