"""Pure: what an apply did, as the JSON result document ``apply --format json`` prints.

In: the ``ApplyReport`` (one outcome per action run, with its timings), the actions a guardrail
held or ``mode: observe`` skipped, the refusals and broken freezes, and the exit code. Out: a
JSON-shaped dict ``{"format_version", "result", "actions": [...], "summary": {...}, ...}``
described by ``schemas/apply-result.schema.json``. It carries what the text summary says, one
field per fact: every action's outcome, the held and observed ones, and the count line.
Details quote Cloudflare's messages and exception text, so they are scrubbed like every line.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

from reconciler.applying.report import ActionOutcome, ApplyReport, Status
from reconciler.checks.guardrails import BrokenFreeze, Refusal
from reconciler.logs import scrub
from reconciler.plan import Action

FORMAT_VERSION = 1
HELD = "held"  # a guardrail's refusal held the action's zone: nothing was sent
OBSERVED = "observed"  # mode: observe: the action is reported, never written


def apply_result(
    report: ApplyReport,
    *,
    exit_code: int,
    observed: Sequence[Action] = (),
    held: Sequence[Action] = (),
    refusals: Sequence[Refusal] = (),
    broken_freezes: Sequence[BrokenFreeze] = (),
) -> dict[str, Any]:
    """The result document of one apply (``report`` empty when there was nothing to do)."""
    actions = [
        *(_outcome(o) for o in report.outcomes),
        *(_unrun(a, HELD) for a in held),
        *(_unrun(a, OBSERVED) for a in observed),
    ]
    return {
        "format_version": FORMAT_VERSION,
        "result": result_word(report, held=bool(held)),
        "actions": actions,
        "summary": _summary(report, exit_code, observed=len(observed), held=len(held)),
        "refusals": [r.to_dict() for r in refusals],
        "broken_freezes": [b.to_dict() for b in broken_freezes],
    }


def result_word(report: ApplyReport, *, held: bool) -> str:
    """One word for the run: ``no-changes``, ``complete``, ``held`` (other zones complete),
    ``incomplete``, ``nothing-written`` (Cloudflare refused every write) or ``interrupted`` — as
    the text summary's "Apply complete." line."""
    if report.interrupted:
        return "interrupted"
    if report.nothing_written:
        return "nothing-written"
    if not report.complete:
        return "incomplete"
    if held:
        return "held"
    return "complete" if report.outcomes else "no-changes"


def _outcome(outcome: ActionOutcome) -> dict[str, Any]:
    document = _identity(outcome.action)
    document.update(
        outcome=outcome.status.value,
        detail=scrub(outcome.detail) or None,
        new_app_id=outcome.new_app_id,
        codes=list(outcome.codes),
        started=_instant(outcome.started_at),
        duration_seconds=_seconds(outcome.seconds),
    )
    return document


def _unrun(action: Action, outcome: str) -> dict[str, Any]:
    document = _identity(action)
    document.update(
        outcome=outcome,
        detail=None,
        new_app_id=None,
        codes=[],
        started=None,
        duration_seconds=None,
    )
    return document


def _identity(action: Action) -> dict[str, Any]:
    return {
        "action": action.kind.value,
        "zone": action.key.zone,
        "key": action.key.to_dict(),
        "app_id": action.app_id,
    }


def _summary(report: ApplyReport, exit_code: int, *, observed: int, held: int) -> dict[str, Any]:
    counts = {status.value: report.count(status) for status in Status}
    return {
        **counts,
        HELD: held,
        OBSERVED: observed,
        "total": len(report.outcomes) + held + observed,
        "complete": report.complete,
        "interrupted": report.interrupted,
        "exit_code": exit_code,
        "started": _instant(report.started_at),
        "duration_seconds": _seconds(report.seconds),
    }


def _instant(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")


def _seconds(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)
