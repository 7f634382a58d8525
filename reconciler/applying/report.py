"""What an apply did: one ``ActionOutcome`` per action, gathered in an ``ApplyReport``.

Pure values, made by the executor; read by ``apply``'s output and exit code, the reconcile
loop and its notifications. ``outcome_line`` is the one line an outcome prints as; a ``Tally``
is how far a run is, which ``Progress`` hears as each outcome is recorded.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Protocol

from reconciler.plan import Action, ActionKind


class Status(enum.Enum):
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    STALE = "stale"  # not written: its live app changed since the plan (another apply?)


@dataclass(frozen=True)
class ActionOutcome:
    """What became of one action."""

    action: Action
    status: Status
    detail: str = ""
    new_app_id: str | None = None
    codes: tuple[int, ...] = ()
    started_at: float | None = None  # epoch seconds its writes began (None: it sent nothing)
    seconds: float | None = None  # how long its writes (and any undo) took
    refused: bool = False  # failed, and Cloudflare's answer says none of its writes happened


@dataclass(frozen=True)
class ApplyReport:
    outcomes: tuple[ActionOutcome, ...]
    interrupted: bool = False  # Ctrl-C stopped it: the actions not yet started are skipped
    started_at: float | None = None  # epoch seconds the apply began
    seconds: float | None = None  # how long the whole apply took

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status is status)

    @property
    def complete(self) -> bool:
        return all(o.status is Status.DONE for o in self.outcomes)

    @property
    def wrote(self) -> bool:
        """Whether any action may have changed live state: done, or failed other than by a
        refusal that certainly wrote nothing."""
        return any(
            o.status is Status.DONE or (o.status is Status.FAILED and not o.refused)
            for o in self.outcomes
        )

    @property
    def nothing_written(self) -> bool:
        """Failed without any write: Cloudflare refused every write it was sent."""
        return self.count(Status.FAILED) > 0 and not self.wrote


@dataclass(frozen=True)
class Tally:
    """How many actions are done, failed, skipped and stale so far, of ``total``."""

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0
    stale: int = 0  # not written: changed live since the plan

    @property
    def recorded(self) -> int:
        return self.done + self.failed + self.skipped + self.stale

    def adding(self, status: Status) -> Tally:
        return dataclasses.replace(self, **{status.value: getattr(self, status.value) + 1})

    def line(self) -> str:
        stale = f", {self.stale} stale" if self.stale else ""
        return (
            f"{self.done} done, {self.failed} failed, {self.skipped} skipped{stale} of {self.total}"
        )


class Progress(Protocol):
    """Hears how an apply goes, from the executor's threads, one call at a time and in order."""

    def recorded(self, outcome: ActionOutcome, tally: Tally) -> None:
        """One more outcome; ``tally`` counts it (tallies only ever grow)."""

    def interrupted(self) -> None:
        """Ctrl-C: no new action starts; those that have written finish."""


def outcome_line(outcome: ActionOutcome) -> str:
    """One line for one action's outcome: status, symbol, identity, new id, detail."""
    action = outcome.action
    line = f"{outcome.status.value:7} {action.kind.symbol:3} {action.key.zone} {action.key}"
    if outcome.new_app_id and action.kind is not ActionKind.DELETE:
        line += f" (id {outcome.new_app_id})"
    if outcome.detail:
        line += f": {outcome.detail}"
    return line
