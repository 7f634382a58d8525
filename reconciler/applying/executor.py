"""The only module that writes to the API: applies a Plan through a CloudflareClient.

In: a Plan and a client. Out: an ``ApplyReport`` with one ``ActionOutcome`` per action (done, failed
with Cloudflare's codes, or skipped), every attempt journalled as a JSON line when asked.

Order within a zone: creates, updates, recreates and replaces (a delete that frees a hostname
and port, run together with the create that needs it), then the other deletes (a new app is up
before an old one goes). A recreate or replace deletes then creates; the old app is kept in memory
and in the journal until the new one exists, and if the create fails the old app is created again
from the plan's ``before``. A delete answered with an error is settled by reading the zone (its
answer may have been lost after it committed). After a failure no new action starts in that zone,
and after Ctrl-C none starts at all; actions already running finish. Any error of an action, an
``ApiError`` or not, is that action's failure: the run always ends with a full report.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import logging
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reconciler.applying.journal import Journal
from reconciler.errors import ApiError
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.normalize import normalize_app, update_body
from reconciler.planning.replace import Replace, replace_units
from reconciler.planning.unknown_fields import carried, restore_body, unknown_fields

if TYPE_CHECKING:  # the client (and httpx) only when something is applied
    from reconciler.live.cloudflare import CloudflareClient

log = logging.getLogger(__name__)

DEFAULT_PARALLELISM = 4


class Status(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class ActionOutcome:
    """What became of one action."""

    action: Action
    status: Status
    detail: str = ""
    new_app_id: str | None = None
    codes: tuple[int, ...] = ()


@dataclass(frozen=True)
class ApplyReport:
    outcomes: tuple[ActionOutcome, ...]
    interrupted: bool = False  # Ctrl-C stopped it: the actions not yet started are skipped

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def complete(self) -> bool:
        return all(o.status is Status.DONE for o in self.outcomes)

    @property
    def wrote(self) -> bool:
        """Whether any action was attempted (so live state may have changed)."""
        return any(o.status is not Status.SKIPPED for o in self.outcomes)


Progress = Callable[[ActionOutcome, int, int], None]
Work = Action | Replace
_INTERRUPTED = "not started: apply was interrupted (Ctrl-C)"


class _Failed(Exception):
    """An action failed: what to tell the user, with Cloudflare's codes when it gave any."""

    def __init__(self, detail: str, codes: tuple[int, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.codes = codes

    @classmethod
    def of(cls, error: BaseException) -> _Failed:
        """The failure an exception stands for."""
        if isinstance(error, _Failed):
            return error
        if isinstance(error, ApiError):
            return cls(str(error), error.codes)
        # Not the API refusing: a bug or a malformed answer. Still one action's failure, after
        # which the run goes on to report every action (exit 4), never an "internal error".
        return cls(f"unexpected {type(error).__name__}: {error}")


class _Unsettled(_Failed):
    """The app was created, but the PUT that corrects what the API filled in failed."""

    def __init__(self, app_id: str, detail: str, codes: tuple[int, ...] = ()) -> None:
        super().__init__(detail, codes)
        self.app_id = app_id


@dataclass
class _Run:
    """Mutable bookkeeping of one apply, shared by the worker threads under one lock."""

    total: int
    progress: Progress | None
    stopping: threading.Event
    failed_zones: set[str] = field(default_factory=set)
    outcomes: dict[int, ActionOutcome] = field(default_factory=dict)  # by id() of the action
    lock: threading.Lock = field(default_factory=threading.Lock)

    def blocked(self, zone: str) -> str | None:
        """Why no new action may start in ``zone`` now (None: it may)."""
        if self.stopping.is_set():
            return _INTERRUPTED
        with self.lock:
            failed = zone in self.failed_zones
        return "an earlier action in this zone failed" if failed else None

    def record(self, outcome: ActionOutcome) -> None:
        with self.lock:
            if id(outcome.action) in self.outcomes:
                return
            self.outcomes[id(outcome.action)] = outcome
            if outcome.status is Status.FAILED:
                self.failed_zones.add(outcome.action.key.zone)
            done = len(self.outcomes)
        if self.progress:
            self.progress(outcome, done, self.total)


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
    """Applies plans; holds the client, the journal and the degree of parallelism.

    Ctrl-C (SIGINT, with ``apply`` in the main thread) sets ``stopping``: no new action starts,
    running ones finish (a recreate or replace including its restore), and ``apply`` returns the
    report with every action not started as skipped.
    """

    def __init__(
        self,
        client: CloudflareClient,
        *,
        parallelism: int = DEFAULT_PARALLELISM,
        journal: Journal | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.client = client
        self.parallelism = max(1, parallelism)
        self.journal = journal or Journal(None)
        self.progress = progress
        self.stopping = threading.Event()

    def apply(self, plan: Plan) -> ApplyReport:
        run = _Run(total=len(plan.actions), progress=self.progress, stopping=self.stopping)
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
        )
        try:
            self.journal.write(
                "apply-end",
                **{s.value: report.count(s) for s in Status},
                complete=report.complete,
                interrupted=report.interrupted,
            )
        except OSError as error:  # after the writes: the report matters more than this line
            log.error("journal: the apply-end line could not be written (%s)", error)
        return report

    def _interrupt(self, *_signal: object) -> None:
        if not self.stopping.is_set():
            log.warning("interrupted: letting running actions finish, starting no new ones")
            self.stopping.set()

    def _run_work(self, work: Work, run: _Run) -> None:
        try:
            if isinstance(work, Replace):
                self._run_replace(work, run)
            else:
                self._run_one(work, run)
        except Exception as error:  # our own bookkeeping failed (a journal write): still report
            for action in _actions_of(work):
                run.record(ActionOutcome(action, Status.FAILED, _Failed.of(error).detail))

    def _run_one(self, action: Action, run: _Run) -> None:
        reason = run.blocked(action.key.zone)
        if reason:
            outcome = ActionOutcome(action, Status.SKIPPED, reason)
            self.journal.write("skipped", **_describe(action), detail=reason)
        else:
            outcome = self._attempt(action)
        run.record(outcome)

    def _attempt(self, action: Action) -> ActionOutcome:
        self.journal.write("attempt", **_describe(action), body=action.body)
        try:
            outcome = self._dispatch(action)
        except Exception as error:
            failed = _Failed.of(error)
            app_id = error.app_id if isinstance(error, _Unsettled) else None
            outcome = ActionOutcome(action, Status.FAILED, failed.detail, app_id, failed.codes)
        self._journal_outcome(outcome)
        return outcome

    def _journal_outcome(self, outcome: ActionOutcome) -> None:
        action = outcome.action
        self.journal.write(
            outcome.status.value,
            **_describe(action),
            detail=outcome.detail,
            new_app_id=outcome.new_app_id,
            codes=list(outcome.codes),
        )
        log.info("apply: %s %s %s", outcome.status.value, action.kind.value, action.key)

    def _dispatch(self, action: Action) -> ActionOutcome:
        zone_id, app_id = action.zone_id, action.app_id
        if action.kind is ActionKind.CREATE:
            created = self._create(action, _body(action.body))
            return ActionOutcome(action, Status.DONE, new_app_id=str(created.get("id")))
        assert app_id is not None, f"{action.kind.value} carries the live app id"
        if action.kind is ActionKind.UPDATE:
            self.client.update_app(zone_id, app_id, _body(action.body))
            return ActionOutcome(action, Status.DONE, new_app_id=app_id)
        if action.kind is ActionKind.DELETE:
            self._delete(action)
            return ActionOutcome(action, Status.DONE)
        return self._recreate(action)

    def _delete(self, action: Action) -> None:
        """Delete; after an error, read the zone: an app that is gone was deleted after all (an
        earlier attempt committed and its answer was lost)."""
        assert action.app_id is not None
        try:
            self.client.delete_app(action.zone_id, action.app_id)
        except Exception as error:
            failed = _Failed.of(error)
            try:
                live = self.client.list_apps(action.zone_id)
                present = any(app.app_id == action.app_id for app in live)
            except Exception as read_error:
                state = (
                    "whether the app is still there is unknown: reading the zone failed too "
                    f"({_Failed.of(read_error).detail}); its configuration is in the journal"
                )
                self.journal.write("delete-unknown", **_describe(action), before=action.before)
                raise _Failed(f"{failed.detail}; {state}", failed.codes) from None
            if present:
                intact = f"{failed.detail}; the app is still there, intact"
                raise _Failed(intact, failed.codes) from None
            log.info("delete: %s is gone after an error: it was deleted", action.key)
            self.journal.write("delete-settled", **_describe(action), detail=failed.detail)

    def _create(self, action: Action, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Create, then make the app exactly ``body``: where the API filled a default other than
        the one this tool assumes (``ip_firewall``'s is undocumented), one PUT corrects it."""
        created = self.client.create_app(action.zone_id, action.key, body)
        if normalize_app(created) == normalize_app(body):
            return created
        app_id = str(created.get("id"))
        fix = carried(update_body(body, created), unknown_fields(created))
        log.info("create: %s came back with other defaults; setting them", action.key)
        try:
            return self.client.update_app(action.zone_id, app_id, fix)
        except Exception as error:
            failed = _Failed.of(error)
            detail = (
                f"created as id {app_id}, but correcting the defaults the API filled in failed "
                f"({failed.detail}); run apply again"
            )
            raise _Unsettled(app_id, detail, failed.codes) from None

    def _recreate(self, action: Action) -> ActionOutcome:
        """Delete, create; if the create fails, bring the old app back from ``before``."""
        assert action.app_id is not None and action.before is not None
        self.journal.write("recreate-old-kept", **_describe(action), before=action.before)
        self._delete(action)
        try:
            created = self._create(action, _body(action.body))
        except _Unsettled as unsettled:  # the new app exists: nothing to restore
            return ActionOutcome(
                action, Status.FAILED, unsettled.detail, unsettled.app_id, unsettled.codes
            )
        except Exception as error:
            failed = _Failed.of(error)
            restored, note = self._restore(action)
            return ActionOutcome(
                action,
                Status.FAILED,
                f"create failed ({failed.detail}); {note}",
                new_app_id=restored,
                codes=failed.codes,
            )
        return ActionOutcome(action, Status.DONE, new_app_id=str(created.get("id")))

    def _restore(self, action: Action) -> tuple[str | None, str]:
        """Create the old app of ``action`` again from ``before``: (its new id, what happened)."""
        assert action.before is not None
        try:
            restored = self._create(action, restore_body(action.before))
        except _Unsettled as unsettled:
            restored_as = f"the old app was restored as id {unsettled.app_id}"
            return unsettled.app_id, f"{restored_as}: {unsettled.detail}"
        except Exception as second:
            self.journal.write("restore-failed", **_describe(action), before=action.before)
            return None, (
                f"restoring the old app ALSO failed ({_Failed.of(second).detail}). "
                "Its configuration is in the plan's 'before' and the journal: create it by hand"
            )
        new_id = str(restored.get("id"))
        self.journal.write("restored", **_describe(action), new_app_id=new_id)
        return new_id, f"the old app was restored unchanged as id {new_id}"

    def _run_replace(self, unit: Replace, run: _Run) -> None:
        """Deletes, then the creates they free ports for; if any step fails, undo the rest."""
        reason = run.blocked(unit.deletes[0].key.zone)
        if reason:
            for action in unit.actions:
                run.record(ActionOutcome(action, Status.SKIPPED, reason))
            return
        for action in unit.deletes:
            self.journal.write("replace-old-kept", **_describe(action), before=action.before)
        outcomes: dict[int, ActionOutcome] = {}
        failed: Action | None = None
        for action in unit.actions:
            if failed is not None:
                detail = f"not started: the replace failed at {failed.key}"
                outcomes[id(action)] = ActionOutcome(action, Status.SKIPPED, detail)
                continue
            outcomes[id(action)] = self._attempt(action)
            if outcomes[id(action)].status is Status.FAILED:
                failed = action
        if failed is not None:
            self._undo(unit, outcomes, failed)
        for action in unit.actions:
            run.record(outcomes[id(action)])

    def _undo(self, unit: Replace, outcomes: dict[int, ActionOutcome], failed: Action) -> None:
        """Put a failed replace back: remove its new apps, create its deleted apps again."""
        why = f"undone because {failed.key} failed"
        for action in unit.creates:
            outcome = outcomes[id(action)]
            if outcome.new_app_id:  # created (and perhaps left unsettled): remove it again
                new = dataclasses.replace(action, app_id=outcome.new_app_id)
                try:
                    self._delete(new)
                    outcomes[id(action)] = ActionOutcome(
                        action, Status.FAILED, f"{why}: removed again"
                    )
                except _Failed as error:
                    detail = f"{why}, but removing it failed ({error.detail})"
                    outcomes[id(action)] = dataclasses.replace(outcome, detail=detail)
        notes = []
        for action in unit.deletes:
            if outcomes[id(action)].status is not Status.DONE:
                continue
            new_id, note = self._restore(action)
            notes.append(f"{action.key}: {note}")
            outcomes[id(action)] = ActionOutcome(
                action, Status.FAILED, f"{why}: {note}", new_app_id=new_id
            )
            self._journal_outcome(outcomes[id(action)])
        if notes:
            first = outcomes[id(failed)]
            detail = f"{first.detail}; " + "; ".join(notes)
            outcomes[id(failed)] = dataclasses.replace(first, detail=detail)


def _body(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    assert body is not None, "creates and updates carry a request body"
    return body


def _describe(action: Action) -> dict[str, Any]:
    return {
        "action": action.kind.value,
        "zone": action.key.zone,
        "zone_id": action.zone_id,
        "app_id": action.app_id,
        "dns_name": action.key.dns_name,
        "protocol": action.key.protocol,
    }


def outcome_line(outcome: ActionOutcome) -> str:
    """One line for one action's outcome: status, symbol, identity, new id, detail."""
    action = outcome.action
    line = f"{outcome.status.value:7} {action.kind.symbol:3} {action.key.zone} {action.key}"
    if outcome.new_app_id and action.kind is not ActionKind.DELETE:
        line += f" (id {outcome.new_app_id})"
    if outcome.detail:
        line += f": {outcome.detail}"
    return line
