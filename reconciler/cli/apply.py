"""``apply``: from desired-state files (plan, show, ask, apply) or from a reviewed saved plan."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

import click

from reconciler.applying import saved as saved_plans
from reconciler.applying import workflow
from reconciler.applying.executor import DEFAULT_PARALLELISM, Executor
from reconciler.applying.journal import Journal
from reconciler.applying.report import ActionOutcome, ApplyReport, Status, Tally
from reconciler.checks import guardrails
from reconciler.checks.static_ips import DEFAULT_CHECKS, AddressChecks
from reconciler.cli import output
from reconciler.cli.options import address_checks, api, guarded, stdout, use_color, zone_option
from reconciler.cli.read import loaded
from reconciler.errors import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_REFUSED,
    PlanFileError,
    ReconcilerError,
)
from reconciler.live.cloudflare import CloudflareClient
from reconciler.live.connect import Connection, one_token_env, open_client
from reconciler.plan import OFFLINE, Plan


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@zone_option
@click.option(
    "--plan", "plan_file", type=click.Path(dir_okay=False), help="Apply exactly this saved plan."
)
@click.option("--auto-approve", is_flag=True, help="Do not ask before applying.")
@click.option(
    "--force", is_flag=True, help="Override the safety gate on deletions (never protect:)."
)
@click.option(
    "--break-glass",
    metavar="WHY",
    help="Apply to a frozen zone anyway; WHY, your name and the time go in the journal.",
)
@click.option(
    "--allow-live-delete",
    metavar="HOST:PROTOCOL",
    multiple=True,
    callback=lambda _c, _p, v: _app_names(v),
    help="Delete this app although it carried traffic (repeatable); journalled with your name.",
)
@click.option(
    "--parallelism",
    type=click.IntRange(1, 32),
    default=DEFAULT_PARALLELISM,
    show_default=True,
    help="Concurrent writes (they share one rate limit).",
)
@click.option("--journal", type=click.Path(dir_okay=False), help="Append every attempt as JSON.")
@address_checks
@api
@guarded
def apply(
    paths: Sequence[str],
    zones: tuple[str, ...],
    plan_file: str | None,
    auto_approve: bool,
    force: bool,
    break_glass: str | None,
    allow_live_delete: tuple[str, ...],
    parallelism: int,
    journal: str | None,
    connection: Connection,
    checks: AddressChecks,
) -> int:
    """Make live match the files (or a saved plan): exit 0 applied, 3 refused, 4 partly applied.

    \b
    Examples:
      spectrum-reconciler apply examples/                 # plan, show, ask, apply
      spectrum-reconciler apply --plan plan.json          # the plan reviewed in the PR
    """
    if bool(paths or zones) == bool(plan_file):
        raise click.UsageError(
            "give desired-state PATHs (or --zone) or --plan FILE (one of the two)"
        )
    if break_glass is not None and not break_glass.strip():
        raise click.UsageError('--break-glass needs a reason: --break-glass "why"')
    run = _Settings(force, parallelism, journal, break_glass, checks, allow_live_delete)
    if plan_file:
        return _apply_saved(output.read_plan_file(plan_file), connection, run)
    return _apply_paths(paths, zones, connection, run, auto_approve=auto_approve)


@dataclass(frozen=True)
class _Settings:
    """How to run the writes, whichever way the plan came in."""

    force: bool
    parallelism: int
    journal: str | None
    break_glass: str | None = None
    checks: AddressChecks = DEFAULT_CHECKS
    allow_live_delete: tuple[str, ...] = ()

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


def _app_names(values: Sequence[str]) -> tuple[str, ...]:
    """``--allow-live-delete`` values: each ``HOST:PROTOCOL`` (``ssh.example.com:tcp/22``)."""
    for value in values:
        host, _, protocol = value.rpartition(":")
        if not host or not protocol or "/" in host:
            raise click.BadParameter(
                f"{value!r} is not HOST:PROTOCOL, e.g. ssh.example.com:tcp/22",
                param_hint="--allow-live-delete",
            )
    return tuple(values)


def _apply_saved(saved: Plan, conn: Connection, run: _Settings) -> int:
    """Run what the files and the live state give now, once the saved plan is found to say
    exactly that (``applying.saved``): the document itself decides nothing."""
    if saved.address_checks == OFFLINE:
        raise PlanFileError(
            "this document is an offline review (diff), made with no live state — apply a plan "
            "made by `spectrum-reconciler plan PATH... --out FILE`"
        )
    desired = saved_plans.declared_part(saved, workflow.check_policies_unchanged(saved))
    token_env = one_token_env(desired.zones)  # the token the plan was made with
    with open_client(conn, desired.zones, token_env=token_env) as client:
        the_plan = saved_plans.replan(
            saved, desired, client, checks=run.checks, overrides=run.overrides()
        )
        output.show_plan(the_plan, "text", sys.stderr, color=use_color(sys.stderr), redact=False)
        workflow.raise_if_refused(the_plan)
        _say_overridden(the_plan, run, err=True)
        verdict = run.guard(the_plan)
        return _execute(verdict, client, run)


def _apply_paths(
    paths: Sequence[str],
    zones: Sequence[str],
    conn: Connection,
    run: _Settings,
    *,
    auto_approve: bool,
) -> int:
    desired = loaded(paths, zones)
    with open_client(conn, desired.zones) as client:
        sources = workflow.sources_of(paths, desired)
        the_plan = workflow.plan_for(
            desired, client, sources=sources, checks=run.checks, overrides=run.overrides()
        )
        stream = stdout()
        output.show_plan(the_plan, "text", stream, color=use_color(stream), redact=False)
        workflow.raise_if_refused(the_plan)
        if not the_plan.has_changes:
            return EXIT_OK
        _say_overridden(the_plan, run, err=False)
        verdict = run.guard(the_plan)
        if verdict.plan.has_changes and not auto_approve and not _confirmed():
            click.echo("Apply cancelled; nothing was changed.", err=True)
            return EXIT_ERROR
        return _execute(verdict, client, run)


def _say_overridden(plan: Plan, run: _Settings, *, err: bool) -> None:
    """Under the plan's "apply will refuse this without --force": that --force lifted it."""
    if not run.force:
        return
    for refusal in workflow.verdict_on(plan, None).refusals:
        if refusal.override == "--force":
            click.echo(f"! overridden by --force: {refusal.message}", err=err)


def _confirmed() -> bool:
    if not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs a terminal to ask for approval — pass --auto-approve in CI"
        )
    return click.confirm("Apply these changes?", default=False)


def _execute(verdict: guardrails.Verdict, client: CloudflareClient, run: _Settings) -> int:
    journal = Journal(run.journal)
    try:
        executor = Executor(
            client, parallelism=run.parallelism, journal=journal, progress=ApplyProgress()
        )
        report = workflow.run_verdict(verdict, executor)
    finally:
        journal.close()
    said = [*verdict.skipped_lines(), *verdict.held_lines()]
    overridden = [b.line() for b in verdict.broken_freezes]
    overridden += [a.line() for a in verdict.allowed_live_deletes]
    for line in [*said, *overridden]:
        click.echo(line)
    for line in output.apply_summary(report, observed=len(verdict.skipped), held=verdict.held):
        click.echo(line)
    return exit_code(report, held=verdict.refused)


def exit_code(report: ApplyReport, *, held: bool = False) -> int:
    """0 all done; 4 partly applied, or interrupted after a write (even when every action got
    done: the run was stopped); 1 when Ctrl-C stopped it before anything was written; 3 when a
    guardrail held a zone (the other zones were applied: not a success in CI), or when nothing
    was written because an app changed since the plan (a stale plan)."""
    if report.interrupted:
        return EXIT_PARTIAL if report.wrote else EXIT_ERROR
    if report.complete:
        return EXIT_REFUSED if held else EXIT_OK
    if report.wrote:
        return EXIT_PARTIAL
    return EXIT_REFUSED if report.count(Status.STALE) else EXIT_PARTIAL


_STEPS_OFF_TERMINAL = 10  # a long apply reports each tenth; a short one only its end


class ApplyProgress:
    """Progress on stderr while applying: done, failed and skipped counts, which only grow.

    The outcome of every action is printed once, in the summary on stdout. On a terminal the
    count is one line rewritten in place; off it (CI logs) a line every tenth of the way.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.on_terminal = self.stream.isatty()

    def recorded(self, outcome: ActionOutcome, tally: Tally) -> None:
        line = f"applying: {tally.line()}"
        last = tally.recorded == tally.total
        if self.on_terminal:
            self._write(f"\r{line}" + ("\n" if last else ""))
            return
        short = tally.total < 2 * _STEPS_OFF_TERMINAL
        step = tally.total if short else tally.total // _STEPS_OFF_TERMINAL
        if last or tally.recorded % step == 0:
            self._write(line + "\n")

    def interrupted(self) -> None:
        start = "\n" if self.on_terminal else ""  # after the ^C the terminal echoed
        self._write(f"{start}{INTERRUPTED_LINE}\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


INTERRUPTED_LINE = "interrupted (Ctrl-C): actions that have written finish, nothing new starts"
