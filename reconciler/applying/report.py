"""What an apply did: one ``ActionOutcome`` per action, gathered in an ``ApplyReport``.

Pure values, made by the executor; read by ``apply``'s output and exit code, the reconcile
loop and its notifications. ``outcome_line`` is the one line an outcome prints as.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

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
        return any(o.status not in (Status.SKIPPED, Status.STALE) for o in self.outcomes)


# Told of each outcome as it is recorded: the outcome, how many are recorded, how many in all.
Progress = Callable[[ActionOutcome, int, int], None]


def outcome_line(outcome: ActionOutcome) -> str:
    """One line for one action's outcome: status, symbol, identity, new id, detail."""
    action = outcome.action
    line = f"{outcome.status.value:7} {action.kind.symbol:3} {action.key.zone} {action.key}"
    if outcome.new_app_id and action.kind is not ActionKind.DELETE:
        line += f" (id {outcome.new_app_id})"
    if outcome.detail:
        line += f": {outcome.detail}"
    return line
