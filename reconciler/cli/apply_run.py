"""How ``apply`` runs a guarded plan, whichever way it came in: its settings, each token's
part written through that token's client, the verification of what was written, and the JSON
result document. In: a verdict, the ``Accounts`` and the settings. Out: the apply report and
the exit code after verifying.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.applying.journal import Journal
from reconciler.applying.report import ActionOutcome, ApplyReport, Status
from reconciler.applying.result import apply_result
from reconciler.applying.verifying import VerifyOptions
from reconciler.checks import guardrails
from reconciler.checks.static_ips import DEFAULT_CHECKS, AddressChecks
from reconciler.cli.options import stdout
from reconciler.cli.progress import ApplyProgress
from reconciler.cli.verify import after_apply
from reconciler.live.accounts import Accounts, PlanPart
from reconciler.plan import Plan


@dataclass(frozen=True)
class Settings:
    """How to run the writes, whichever way the plan came in."""

    force: bool
    parallelism: int
    journal: str | None
    break_glass: str | None = None
    checks: AddressChecks = DEFAULT_CHECKS
    allow_live_delete: tuple[str, ...] = ()
    verify: VerifyOptions | None = None  # --verify
    as_json: bool = False  # the result document on stdout, every other line on stderr

    def overrides(self) -> guardrails.Overrides:
        return workflow.overrides_of(
            force=self.force,
            break_glass=self.break_glass,
            allow_live_delete=self.allow_live_delete,
            strict=self.checks.strict,
        )

    def guard(self, plan: Plan) -> guardrails.Verdict:
        return workflow.guard(
            plan,
            force=self.force,
            break_glass=self.break_glass,
            allow_live_delete=self.allow_live_delete,
            strict=self.checks.strict,
        )


def written_parts(plan: Plan, accounts: Accounts) -> list[PlanPart]:
    """Each token's part of the plan that has something to write."""
    return [part for part in accounts.split(plan) if part.plan.actions]


def verify_parts(
    parts: Sequence[PlanPart],
    report: ApplyReport,
    run: Settings,
    carried: dict[str, bool | None],
    code: int,
    *,
    err: bool = False,
) -> int:
    """``--verify``: each token's written apps through its own client; 5 when any is degraded
    after a successful apply."""
    for part in parts:
        zones = {action.zone_id for action in part.plan.actions}
        mine = ApplyReport(
            tuple(o for o in report.outcomes if o.action.zone_id in zones),
            interrupted=report.interrupted,
        )
        code = after_apply(part.plan, mine, part.client, run.verify, carried, code, err=err)
    return code


def say_result(
    run: Settings, report: ApplyReport, code: int, verdict: guardrails.Verdict | None = None
) -> None:
    """With ``--format json``: the result document, alone on stdout."""
    if not run.as_json:
        return
    document = apply_result(
        report,
        exit_code=code,
        observed=verdict.skipped if verdict else (),
        held=verdict.held if verdict else (),
        refusals=verdict.refusals if verdict else (),
        broken_freezes=verdict.broken_freezes if verdict else (),
    )
    stdout().write(json.dumps(document, sort_keys=True, indent=2) + "\n")


def run_parts(
    verdict: guardrails.Verdict, accounts: Accounts, run: Settings, journal: Journal
) -> ApplyReport:
    """Each token's part through its own client (and rate limiter), one after another, as
    ``reconcile --self-heal`` does; a Ctrl-C in one part leaves the later ones not started.
    The first part journals the verdict's break-glass and observe skips (once for the run)."""
    every = accounts.split(verdict.plan)
    parts = [part for part in every if part.plan.actions] or every[:1]
    outcomes: list[ActionOutcome] = []
    interrupted = False
    started_at, start = time.time(), time.monotonic()  # the whole apply, over every part
    for number, part in enumerate(parts):
        if interrupted:
            outcomes += [ActionOutcome(a, Status.SKIPPED, STOPPED) for a in part.plan.actions]
            continue
        said = {} if number == 0 else {"skipped": (), "broken_freezes": ()}
        one = dataclasses.replace(verdict, plan=part.plan, **said)
        executor = Executor(
            part.client, parallelism=run.parallelism, journal=journal, progress=ApplyProgress()
        )
        report = workflow.run_verdict(one, executor)
        outcomes += report.outcomes
        interrupted = report.interrupted
    return ApplyReport(
        tuple(outcomes),
        interrupted=interrupted,
        started_at=started_at,
        seconds=time.monotonic() - start,
    )


STOPPED = "not started: the apply was interrupted (Ctrl-C)"
