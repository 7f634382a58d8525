"""``apply``: from desired-state files (plan, show, ask, apply) or from a reviewed saved plan."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

import click

from reconciler.applying import saved as saved_plans
from reconciler.applying import workflow
from reconciler.applying.executor import DEFAULT_PARALLELISM
from reconciler.applying.journal import Journal
from reconciler.applying.report import ApplyReport, Status
from reconciler.applying.verifying import VerifyOptions
from reconciler.checks import guardrails
from reconciler.checks.static_ips import AddressChecks
from reconciler.cli import output
from reconciler.cli.apply_run import Settings, run_parts, say_result, verify_parts, written_parts
from reconciler.cli.options import (
    address_checks,
    api,
    format_option,
    guarded,
    stdout,
    use_color,
    zone_option,
)
from reconciler.cli.read import loaded
from reconciler.cli.verify import before_apply, verify_options
from reconciler.errors import (
    EXIT_ERROR,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_REFUSED,
    PlanFileError,
    ReconcilerError,
)
from reconciler.live.accounts import Accounts
from reconciler.live.connect import Connection
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
@format_option(
    "text", "json", help="json: the result document on stdout (the plan and progress go to stderr)."
)
@address_checks
@verify_options
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
    fmt: str,
    connection: Connection,
    checks: AddressChecks,
    verify: VerifyOptions | None,
) -> int:
    """Make live match the files (or a saved plan): exit 0 applied, 3 refused, 4 partly applied
    (1: nothing written, as when Cloudflare refused every write);
    with --verify, 5 when a written app is degraded.

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
    run = Settings(
        force,
        parallelism,
        journal,
        break_glass,
        checks,
        allow_live_delete,
        verify,
        as_json=fmt == "json",
    )
    if plan_file:
        return _apply_saved(output.read_plan_file(plan_file), connection, run)
    return _apply_paths(paths, zones, connection, run, auto_approve=auto_approve)


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


def _apply_saved(saved: Plan, conn: Connection, run: Settings) -> int:
    """Run what the files and the live state give now, once the saved plan is found to say
    exactly that (``applying.saved``): the document itself decides nothing."""
    if saved.address_checks == OFFLINE:
        raise PlanFileError(
            "this document is an offline review (diff), made with no live state — apply a plan "
            "made by `spectrum-reconciler plan PATH... --out FILE`"
        )
    desired = saved_plans.declared_part(saved, workflow.check_policies_unchanged(saved))
    with Accounts(conn) as accounts:  # each zone's token as the files name it
        with output.shown_if_refused(lambda refused: _show(refused, sys.stderr, run)):
            the_plan = saved_plans.replan(
                saved, desired, accounts, checks=run.checks, overrides=run.overrides()
            )
        _show(the_plan, sys.stderr, run)
        workflow.raise_if_refused(the_plan)
        verdict = run.guard(the_plan)
        return _execute(verdict, accounts, run)


def _apply_paths(
    paths: Sequence[str],
    zones: Sequence[str],
    conn: Connection,
    run: Settings,
    *,
    auto_approve: bool,
) -> int:
    desired = loaded(paths, zones)
    stream = sys.stderr if run.as_json else stdout()
    with Accounts(conn) as accounts:
        sources = workflow.sources_of(paths, desired)
        with output.shown_if_refused(lambda refused: _show(refused, stream, run)):
            the_plan = workflow.plan_for(
                desired, accounts, sources=sources, checks=run.checks, overrides=run.overrides()
            )
        _show(the_plan, stream, run)
        workflow.raise_if_refused(the_plan)
        if not the_plan.has_changes:
            say_result(run, ApplyReport(()), EXIT_OK)
            return EXIT_OK
        verdict = run.guard(the_plan)
        if verdict.plan.has_changes and not auto_approve and not _confirmed(err=run.as_json):
            click.echo("Apply cancelled; nothing was changed.", err=True)
            return EXIT_ERROR
        return _execute(verdict, accounts, run)


def _show(plan: Plan, stream: TextIO, run: Settings) -> None:
    """The plan as apply shows it: text, with what --force / --break-glass lift said so."""
    color = use_color(stream)
    output.show_plan(plan, "text", stream, color=color, redact=False, overrides=run.overrides())


def _confirmed(*, err: bool) -> bool:
    if not sys.stdin.isatty():
        raise ReconcilerError(
            "apply needs a terminal to ask for approval — pass --auto-approve in CI"
        )
    return click.confirm("Apply these changes?", default=False, err=err)


def _execute(verdict: guardrails.Verdict, accounts: Accounts, run: Settings) -> int:
    parts = written_parts(verdict.plan, accounts)
    carried: dict[str, bool | None] = {}
    for part in parts:
        carried |= before_apply(part.plan, part.client, run.verify)
    journal = Journal(run.journal)
    try:
        report = run_parts(verdict, accounts, run, journal)
    finally:
        journal.close()
    said = [*verdict.skipped_lines(), *verdict.held_lines()]
    overridden = [b.line() for b in verdict.broken_freezes]
    overridden += [a.line() for a in verdict.allowed_live_deletes]
    for line in [*said, *overridden]:
        click.echo(line, err=run.as_json)
    code = exit_code(report, held=verdict.refused)
    if run.as_json:
        # The verification's lines go to stderr: stdout holds the result document alone.
        code = verify_parts(parts, report, run, carried, code, err=True)
        say_result(run, report, code, verdict)
    else:
        for line in output.apply_summary(report, observed=len(verdict.skipped), held=verdict.held):
            click.echo(line)
        code = verify_parts(parts, report, run, carried, code)
    if report.nothing_written:  # exit 1: the last line says why, as every exit 1's does
        click.echo(f"error: {output.NOTHING_WRITTEN}", err=True)
    return code


def exit_code(report: ApplyReport, *, held: bool = False) -> int:
    """0 all done; 4 partly applied, or interrupted after a write (even when every action got
    done: the run was stopped); 1 when Ctrl-C stopped it before anything was written, or when
    Cloudflare refused every write it was sent (nothing written, held zones or not); 3 when a
    guardrail held a zone (the other zones were applied: not a success in CI), or when nothing
    was written because an app changed since the plan (a stale plan)."""
    if report.interrupted:
        return EXIT_PARTIAL if report.wrote else EXIT_ERROR
    if report.complete:
        return EXIT_REFUSED if held else EXIT_OK
    if report.wrote:
        return EXIT_PARTIAL
    if report.nothing_written:
        return EXIT_ERROR
    return EXIT_REFUSED if report.count(Status.STALE) else EXIT_PARTIAL
