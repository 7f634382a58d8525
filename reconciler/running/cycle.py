"""Pure: what one reconcile cycle found and did, as a value — and what follows from it.

In: the drift a cycle's plan showed, the apply report (with ``--self-heal``) and the
verification of what it wrote, a refusal or an error, timings and request budgets. Out:
``CycleResult`` and the facts derived from it — the outcome, the exit code, the drift still
standing per zone and kind, one JSON log record.
The loop computes this value first; metrics, notifications and logs are each derived from it by
a separate step (the observe/act split of Kubernetes controllers and Argo CD).
"""

from __future__ import annotations

import enum
import functools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from reconciler.applying.report import ApplyReport, Status
from reconciler.checks.verify import Verification
from reconciler.errors import (
    EXIT_CHANGES,
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_REFUSED,
)
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind
from reconciler.planning.planner import Drift

DRIFT_KINDS = ("changed", "unmanaged", "missing")
_KIND_OF = {
    ActionKind.UPDATE: "changed",
    ActionKind.RECREATE: "changed",
    ActionKind.DELETE: "unmanaged",
    ActionKind.CREATE: "missing",
}


class Outcome(enum.Enum):
    """How a cycle ended, from the best to the worst."""

    IN_SYNC = "in_sync"  # nothing differs
    DRIFT = "drift"  # differences found and reported (not healed)
    HEALED = "healed"  # differences found and every one applied
    HELD = "held"  # self-heal on, nothing fixed, drift kept: observe, or prune: false
    REFUSED = "refused"  # a safety rule or guardrail held a zone's writes (the others ran)
    PARTIAL = "partial"  # some writes failed
    FAILED = "failed"  # the cycle could not plan: bad files, API errors; nothing written
    ERROR = "error"  # an exception nobody foresaw (a bug): reported, and the next cycle runs


@dataclass(frozen=True, order=True)
class DriftEntry:
    """One app that differs from git: its zone, kind of drift, identity and changed fields."""

    zone: str
    kind: str
    dns_name: str
    protocol: str
    fields: tuple[str, ...] = ()
    action: Action | None = field(default=None, compare=False, repr=False)

    @property
    def ident(self) -> str:
        """A stable name for this piece of drift (what notifications deduplicate on)."""
        name = f"{self.zone} {self.kind} {self.dns_name} {self.protocol}"
        return f"{name} {','.join(self.fields)}" if self.fields else name


def drift_entries(actions: tuple[Action, ...]) -> tuple[DriftEntry, ...]:
    """The drift a plan's actions describe, sorted."""
    return tuple(
        sorted(
            DriftEntry(
                a.key.zone,
                _KIND_OF[a.kind],
                a.key.dns_name,
                a.key.protocol,
                tuple(c.path for c in a.changes),
                a,
            )
            for a in actions
        )
    )


@dataclass(frozen=True)
class CycleResult:
    """Everything one cycle found and did; ``drift`` is None when it failed before planning.

    ``found``, ``standing`` and ``outcome`` are derived once and cached: metrics, notifications
    and the log line each ask for them several times per cycle, and the value never changes.
    """

    number: int
    started_at: float  # Unix time
    duration: float  # seconds
    zones: tuple[str, ...] = ()
    drift: Drift | None = None
    report: ApplyReport | None = None
    refusal: str | None = None
    error: str | None = None
    budget: Mapping[str, int] = field(default_factory=dict)  # requests left, per token_env
    unexpected: bool = False  # ``error`` is an exception nobody foresaw, not a known failure
    self_heal: bool = False
    verification: Verification | None = None  # of the apps this cycle wrote (None: none)
    observed: tuple[Action, ...] = ()  # the actions of mode: observe zones (never written)

    @functools.cached_property
    def found(self) -> tuple[DriftEntry, ...]:
        """The drift the cycle found, before any healing."""
        if self.drift is None:
            return ()
        d = self.drift
        return drift_entries((*d.changed, *d.unmanaged, *d.kept, *d.missing))

    @functools.cached_property
    def standing(self) -> tuple[DriftEntry, ...]:
        """The drift still there when the cycle ended: found, less what was applied."""
        done = self.report.outcomes if self.report is not None else ()
        healed = {(o.action.key, o.action.kind) for o in done if o.status is Status.DONE}
        return tuple(e for e in self.found if e.action is None or _ident(e.action) not in healed)

    @functools.cached_property
    def outcome(self) -> Outcome:
        if self.unexpected:
            return Outcome.ERROR
        if self.error is not None or self.drift is None:
            return Outcome.FAILED
        if self.report is not None and not self.report.complete:
            return Outcome.PARTIAL  # worse than a held zone: exit 4 wins over 3, as in apply
        if self.refusal is not None:
            return Outcome.REFUSED
        if not self.found:
            return Outcome.IN_SYNC
        if not self.standing or (self.report is not None and not self._unhealed):
            # A fix was applied; what prune: false keeps and what observe zones show is
            # reported, never a fix held back. With nothing fixed, it stays held.
            return Outcome.HEALED
        return Outcome.HELD if self.self_heal else Outcome.DRIFT

    @property
    def _unhealed(self) -> tuple[DriftEntry, ...]:
        """The standing drift besides the apps prune: false keeps (self-heal never deletes)
        and the actions of mode: observe zones (self-heal never writes them)."""
        kept = {_ident(a) for a in self.drift.kept} if self.drift is not None else set()
        kept |= {_ident(a) for a in self.observed}
        return tuple(e for e in self.standing if e.action is None or _ident(e.action) not in kept)

    @property
    def succeeded(self) -> bool:
        """Whether the cycle saw live state whole and did all it set out to do."""
        return self.outcome in (Outcome.IN_SYNC, Outcome.DRIFT, Outcome.HEALED, Outcome.HELD)

    def drift_counts(self) -> dict[tuple[str, str], int]:
        """Standing drift by (zone, kind), with a 0 for every zone and kind that has none."""
        counts: Counter[tuple[str, str]] = Counter((e.zone, e.kind) for e in self.standing)
        return {(z, k): counts[(z, k)] for z in self.zones for k in DRIFT_KINDS} | dict(counts)

    def applied(self) -> dict[tuple[str, str], int]:
        """Apply outcomes by (action, outcome)."""
        if self.report is None:
            return {}
        return dict(Counter((o.action.kind.value, o.status.value) for o in self.report.outcomes))


def _ident(action: Action) -> tuple[AppKey, ActionKind]:
    return action.key, action.kind


_EXIT_CODES = {
    Outcome.IN_SYNC: EXIT_OK,
    Outcome.DRIFT: EXIT_CHANGES,
    Outcome.HEALED: EXIT_OK,
    Outcome.HELD: EXIT_OK,
    Outcome.REFUSED: EXIT_REFUSED,
    Outcome.PARTIAL: EXIT_PARTIAL,
    Outcome.FAILED: EXIT_ERROR,
    Outcome.ERROR: EXIT_ERROR,
}


def exit_code(result: CycleResult) -> int:
    """As ``drift`` (0 none, 2 drift) or, with --self-heal, as ``apply --verify`` (0, 3, 4, and
    5 when the writes succeeded but a written app is degraded); 1 on error."""
    code = _EXIT_CODES[result.outcome]
    return code if result.verification is None else result.verification.exit_code(code)


def log_record(result: CycleResult) -> dict[str, Any]:
    """The cycle as one JSON log record (no origins, no token: identities and counts only)."""
    found = Counter(e.kind for e in result.found)
    return {
        "event": "cycle",
        "cycle": result.number,
        "started": datetime.fromtimestamp(result.started_at, timezone.utc).isoformat(),
        "duration_seconds": round(result.duration, 3),
        "outcome": result.outcome.value,
        "zones": len(result.zones),
        "drift": {kind: found[kind] for kind in DRIFT_KINDS},
        "standing_drift": len(result.standing),
        "applied": {f"{a}:{o}": n for (a, o), n in sorted(result.applied().items())},
        "refusal": result.refusal,
        "error": result.error,
        "rate_limit_remaining": dict(result.budget),
        "health": None if result.verification is None else result.verification.counts(),
    }


def summary_line(result: CycleResult) -> str:
    """The cycle as one greppable line of text."""
    record = log_record(result)
    drift = ", ".join(f"{n} {kind}" for kind, n in record["drift"].items())
    line = f"cycle {result.number}: {result.outcome.value} ({drift}) in {result.duration:.2f}s"
    if result.report is not None:
        line += f"; applied {result.report.count(Status.DONE)}/{len(result.report.outcomes)}"
    if result.verification is not None:
        line += "; " + result.verification.summary_line()
    reason = result.refusal or result.error
    return f"{line}: {reason}" if reason else line
