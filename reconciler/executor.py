"""The only module that writes to the API: applies a Plan through a CloudflareClient.

In: a Plan and a client. Out: an ``ApplyReport`` with one ``Outcome`` per action (done, failed
with Cloudflare's codes, or skipped), every attempt journalled as a JSON line when asked.

Order within a zone: deletes that free a hostname and port a create needs, then creates, updates
and recreates, then the other deletes (a new app is up before an old one goes). A recreate is a
delete then a create; the old app is kept in memory and in the journal until the new one exists,
and if the create fails the old app is created again from the plan's ``before``. After a failure
no new action starts in that zone; actions already running finish.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from reconciler.cloudflare import CloudflareClient
from reconciler.errors import ApiError
from reconciler.journal import Journal
from reconciler.model import Action, ActionKind, AppKey, Plan
from reconciler.normalize import minimal_config
from reconciler.ports import protocol_ports

log = logging.getLogger(__name__)

DEFAULT_PARALLELISM = 4


class Status(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Outcome:
    """What became of one action."""

    action: Action
    status: Status
    detail: str = ""
    new_app_id: str | None = None
    codes: tuple[int, ...] = ()


@dataclass(frozen=True)
class ApplyReport:
    outcomes: tuple[Outcome, ...]

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def complete(self) -> bool:
        return all(o.status is Status.DONE for o in self.outcomes)


Progress = Callable[[Outcome, int, int], None]


@dataclass
class _Run:
    """Mutable bookkeeping of one apply, shared by the worker threads under one lock."""

    total: int
    progress: Progress | None
    failed_zones: set[str] = field(default_factory=set)
    outcomes: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def zone_failed(self, zone: str) -> bool:
        with self.lock:
            return zone in self.failed_zones

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)
            if outcome.status is Status.FAILED:
                self.failed_zones.add(outcome.action.key.zone)
            done = len(self.outcomes)
        if self.progress:
            self.progress(outcome, done, self.total)


def phases(actions: Sequence[Action]) -> list[list[Action]]:
    """Actions grouped in the order they may run; actions within a phase may run in parallel."""
    creates_by_host: dict[tuple[str, str], list[AppKey]] = {}
    for action in actions:
        if action.kind is ActionKind.CREATE:
            host = (action.key.zone, action.key.dns_name)
            creates_by_host.setdefault(host, []).append(action.key)
    freeing: list[Action] = []
    later: list[Action] = []
    rest: list[Action] = []
    for action in actions:
        if action.kind is not ActionKind.DELETE:
            rest.append(action)
            continue
        needed = creates_by_host.get((action.key.zone, action.key.dns_name), ())
        (freeing if any(_collides(action.key, key) for key in needed) else later).append(action)
    return [phase for phase in (freeing, rest, later) if phase]


def _collides(a: AppKey, b: AppKey) -> bool:
    """Same zone and hostname, same transport, overlapping edge ports."""
    if a.zone != b.zone or a.dns_name != b.dns_name:
        return False
    (ta, ports_a), (tb, ports_b) = protocol_ports(a.protocol), protocol_ports(b.protocol)
    if ports_a is None or ports_b is None:  # a protocol we cannot read collides only with itself
        return a.protocol == b.protocol
    return ta == tb and ports_a.overlaps(ports_b)


class Executor:
    """Applies plans; holds the client, the journal and the degree of parallelism."""

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

    def apply(self, plan: Plan) -> ApplyReport:
        run = _Run(total=len(plan.actions), progress=self.progress)
        self.journal.write("apply-start", summary=plan.summary)
        with ThreadPoolExecutor(self.parallelism, thread_name_prefix="apply") as pool:
            for phase in phases(plan.actions):
                list(pool.map(lambda action: self._run_one(action, run), phase))
        order = {id(a): i for i, a in enumerate(plan.actions)}
        outcomes = tuple(sorted(run.outcomes, key=lambda o: order[id(o.action)]))
        report = ApplyReport(outcomes)
        self.journal.write(
            "apply-end", **{s.value: report.count(s) for s in Status}, complete=report.complete
        )
        return report

    def _run_one(self, action: Action, run: _Run) -> None:
        if run.zone_failed(action.key.zone):
            outcome = Outcome(action, Status.SKIPPED, "an earlier action in this zone failed")
            self.journal.write("skipped", **_describe(action))
        else:
            outcome = self._attempt(action)
        run.record(outcome)

    def _attempt(self, action: Action) -> Outcome:
        self.journal.write("attempt", **_describe(action), body=action.body)
        try:
            outcome = self._dispatch(action)
        except ApiError as error:
            outcome = Outcome(action, Status.FAILED, str(error), codes=error.codes)
        self.journal.write(
            outcome.status.value,
            **_describe(action),
            detail=outcome.detail,
            new_app_id=outcome.new_app_id,
            codes=list(outcome.codes),
        )
        log.info("apply: %s %s %s", outcome.status.value, action.kind.value, action.key)
        return outcome

    def _dispatch(self, action: Action) -> Outcome:
        zone_id, app_id = action.zone_id, action.app_id
        if action.kind is ActionKind.CREATE:
            created = self.client.create_app(zone_id, action.key, _body(action.body))
            return Outcome(action, Status.DONE, new_app_id=str(created.get("id")))
        assert app_id is not None, f"{action.kind.value} carries the live app id"
        if action.kind is ActionKind.UPDATE:
            self.client.update_app(zone_id, app_id, _body(action.body))
            return Outcome(action, Status.DONE, new_app_id=app_id)
        if action.kind is ActionKind.DELETE:
            self.client.delete_app(zone_id, app_id)
            return Outcome(action, Status.DONE)
        return self._recreate(action)

    def _recreate(self, action: Action) -> Outcome:
        """Delete, create; if the create fails, bring the old app back from ``before``."""
        assert action.app_id is not None and action.before is not None
        self.journal.write("recreate-old-kept", **_describe(action), before=action.before)
        self.client.delete_app(action.zone_id, action.app_id)
        try:
            created = self.client.create_app(action.zone_id, action.key, _body(action.body))
        except ApiError as error:
            return self._restore(action, error)
        return Outcome(action, Status.DONE, new_app_id=str(created.get("id")))

    def _restore(self, action: Action, error: ApiError) -> Outcome:
        assert action.before is not None
        old = minimal_config(action.before)
        try:
            restored = self.client.create_app(action.zone_id, action.key, old)
        except ApiError as second:
            self.journal.write("restore-failed", **_describe(action), before=action.before)
            detail = (
                f"create failed ({error}); restoring the old app ALSO failed ({second}). "
                f"Its configuration is in the plan's 'before' and the journal: create it by hand"
            )
            return Outcome(action, Status.FAILED, detail, codes=error.codes)
        new_id = str(restored.get("id"))
        self.journal.write("restored", **_describe(action), new_app_id=new_id)
        detail = f"create failed ({error}); the old app was restored unchanged as id {new_id}"
        return Outcome(action, Status.FAILED, detail, new_app_id=new_id, codes=error.codes)


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


def outcome_line(outcome: Outcome) -> str:
    """One line for one action's outcome: status, symbol, identity, new id, detail."""
    action = outcome.action
    line = f"{outcome.status.value:7} {action.kind.symbol:3} {action.key.zone} {action.key}"
    if outcome.new_app_id and action.kind is not ActionKind.DELETE:
        line += f" (id {outcome.new_app_id})"
    if outcome.detail:
        line += f": {outcome.detail}"
    return line
