"""What commands print: plans, drift, annotations, apply summaries, saved plan files."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TextIO

from reconciler import render
from reconciler.applying.report import ApplyReport, Status, outcome_line
from reconciler.checks import guardrails
from reconciler.errors import AddressRefusedError, PlanFileError
from reconciler.files import read_capped_text
from reconciler.logs import register_secret, scrub
from reconciler.plan import Action, Plan
from reconciler.planning.planner import Drift
from reconciler.render.plan_document import plan_from_document, plan_to_document

MAX_PLAN_FILE_BYTES = 64 * 1024 * 1024


def show_plan(
    plan: Plan,
    fmt: str,
    stream: TextIO,
    *,
    color: bool,
    redact: bool,
    overrides: guardrails.Overrides | None = None,
) -> None:
    """The plan in ``fmt``; ``overrides`` (an apply's --force, --break-glass) are said lifted."""
    if fmt == "json":
        render.render_json(plan, stream, redact_origins=redact)
    elif fmt == "markdown":
        render.render_markdown(plan, stream, redact_origins=redact, overrides=overrides)
    else:
        render.render_text(plan, stream, color=color, redact_origins=redact, overrides=overrides)


@contextlib.contextmanager
def shown_if_refused(show: Callable[[Plan], None]) -> Iterator[None]:
    """Inside, an address refusal shows the plan it refused, then goes on up (its findings are
    the error lines): the plan first, then the refusals, as for a preflight refusal."""
    try:
        yield
    except AddressRefusedError as refused:
        if isinstance(refused.plan, Plan):
            show(refused.plan)
        raise


def show_drift(drift: Drift, fmt: str, stream: TextIO, *, color: bool, redact: bool) -> None:
    if fmt == "json":
        render.render_drift_json(drift, stream, redact_origins=redact)
    elif fmt == "markdown":
        render.render_drift_markdown(drift, stream, redact_origins=redact)
    else:
        render.render_drift_text(drift, stream, color=color, redact_origins=redact)


PLAN_KEY_VARIABLE = "SPECTRUM_RECONCILER_PLAN_KEY"


def plan_key() -> bytes | None:
    """The key saved plans are signed and checked with (``SPECTRUM_RECONCILER_PLAN_KEY``), if set;
    it is scrubbed from every line like a token."""
    key = os.environ.get(PLAN_KEY_VARIABLE, "")
    if not key:
        return None
    register_secret(key)
    return key.encode()


def plan_document_text(plan: Plan) -> str:
    """The saved plan: the JSON plan document, never redacted (apply needs the origins), signed
    when a plan key is set."""
    return json.dumps(plan_to_document(plan, key=plan_key()), sort_keys=True, indent=2) + "\n"


def read_plan_file(path: str) -> Plan:
    """A saved plan, or PlanFileError saying why it cannot be trusted."""
    text = read_capped_text(
        path,
        MAX_PLAN_FILE_BYTES,
        too_large=PlanFileError(f"{path}: larger than any plan this tool writes — run plan again"),
        unreadable=lambda error: PlanFileError(
            f"{path}: cannot read the plan ({error}) — run plan --out again"
        ),
    )
    return plan_from_document(text, path, key=plan_key())


def apply_summary(
    report: ApplyReport, *, observed: int = 0, held: Sequence[Action] = ()
) -> Iterable[str]:
    """Every action's outcome, then one count line; ``observed`` actions were skipped by
    ``mode: observe`` and ``held`` ones by a guardrail's refusal of their zone."""
    # Details quote Cloudflare's messages and exception text: scrubbed like every error line.
    yield from (scrub(outcome_line(outcome)) for outcome in report.outcomes)
    yield from (f"held    {a.kind.symbol:3} {a.key.zone} {a.key}" for a in held)
    skipped = report.count(Status.SKIPPED) + observed
    counts = (
        f"{report.count(Status.DONE)} done, {report.count(Status.FAILED)} failed, "
        f"{skipped} skipped" + (f" ({observed} by mode: observe)" if observed else "")
    )
    if held:
        counts += f", {len(held)} held by a guardrail"
    yield f"Apply {_verdict(report, bool(held))}: {counts}."


NOTHING_WRITTEN = (
    "nothing was written: Cloudflare refused every write it was sent (each refusal is on its"
    " action's line) — fix what it refused and run apply again"
)


def _verdict(report: ApplyReport, held: bool) -> str:
    if report.interrupted and report.complete:
        return "INTERRUPTED after every action was done — nothing left to do"
    if report.interrupted:
        return "INTERRUPTED — nothing new was started after Ctrl-C; run apply again"
    if report.nothing_written:
        return "wrote NOTHING — Cloudflare refused every write; fix what it refused and run again"
    if not report.complete:
        return "INCOMPLETE — fix what failed and run apply again"
    return "HELD in part — the other zones are complete" if held else "complete"
