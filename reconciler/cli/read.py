"""The commands that only read the API: plan and drift (validate, offline: ``offline``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from reconciler.applying import workflow
from reconciler.applying.early_reads import early_reads
from reconciler.checks.static_ips import AddressChecks
from reconciler.cli import output
from reconciler.cli.options import (
    address_checks,
    api,
    format_option,
    guarded,
    stdout,
    use_color,
    zone_option,
)
from reconciler.desired.document import Document
from reconciler.errors import EXIT_CHANGES, EXIT_OK
from reconciler.files import write_atomically
from reconciler.live.connect import Connection
from reconciler.model import DesiredState, ZoneSpec
from reconciler.plan import Plan

if TYPE_CHECKING:
    from reconciler.live.accounts import Accounts
    from reconciler.planning.planner import Drift

# plan and drift: PATHs, or --zone alone (the zones from the whole configuration)
some_paths_argument = click.argument("paths", nargs=-1, type=click.Path())


@click.command()
@some_paths_argument
@zone_option
@format_option()
@click.option("--out", type=click.Path(dir_okay=False), help="Save the JSON plan for apply --plan.")
@click.option("--detailed-exitcode", is_flag=True, help="Exit 2 when anything would change.")
@click.option("--redact-origins", is_flag=True, help="Show origins as short stable hashes.")
@address_checks
@api
@guarded
def plan(
    paths: Sequence[str],
    zones: tuple[str, ...],
    fmt: str,
    out: str | None,
    detailed_exitcode: bool,
    redact_origins: bool,
    connection: Connection,
    checks: AddressChecks,
) -> int:
    """Show what apply would change (exit 2 with --detailed-exitcode when it would).

    Example: spectrum-reconciler plan examples/ --format markdown --out plan.json
    """
    stream = stdout()

    def show(plan: Plan) -> None:
        output.show_plan(plan, fmt, stream, color=use_color(stream), redact=redact_origins)

    # The zones are read while the files are validated (early_reads), each token's zones with
    # its own client (Accounts).
    with early_reads(connection, _accounts) as reads:
        desired = loaded(paths, zones, on_parsed=None if zones else reads.start)
        with reads.client_for(desired) as (accounts, live), output.shown_if_refused(show):
            sources = workflow.sources_of(paths, desired)
            the_plan = workflow.plan_for(
                desired, accounts, sources=sources, checks=checks, live=live
            )
    if out:
        write_atomically(out, output.plan_document_text(the_plan))
    show(the_plan)
    workflow.raise_if_refused(the_plan)  # after the plan: it is shown, then refused
    return EXIT_CHANGES if detailed_exitcode and the_plan.has_changes else EXIT_OK


@click.command()
@some_paths_argument
@zone_option
@format_option()
@click.option("--redact-origins", is_flag=True, help="Show origins as short stable hashes.")
@address_checks
@api
@guarded
def drift(
    paths: Sequence[str],
    zones: tuple[str, ...],
    fmt: str,
    redact_origins: bool,
    connection: Connection,
    checks: AddressChecks,
) -> int:
    """Compare live apps with git and sort every difference; exit 2 when there is any.

    Example: spectrum-reconciler drift examples/ --format markdown
    """
    from reconciler.live.accounts import Accounts

    stream = stdout()

    def show(found: Drift) -> None:
        output.show_drift(found, fmt, stream, color=use_color(stream), redact=redact_origins)

    desired = loaded(paths, zones)
    # An address refusal shows the drift report first, then its findings, as plan does.
    refused = output.shown_if_refused(lambda plan: show(workflow.drift_of(plan)))
    with Accounts(connection) as accounts, refused:
        found = workflow.drift_for(desired, accounts, checks)
    show(found)
    return EXIT_CHANGES if found.has_drift else EXIT_OK


def loaded(
    paths: Sequence[str],
    zones: Sequence[str],
    on_parsed: Callable[[Sequence[Document]], None] | None = None,
) -> DesiredState:
    """The configuration a planning command runs on; each file loaded beyond the given paths
    (it declares one of their zones) is said on stderr."""
    if not paths and not zones:
        raise click.UsageError("give desired-state PATHs, or --zone NAME")
    desired = workflow.load(paths, zones=zones, on_parsed=on_parsed)
    for note in desired.notes:
        click.echo(f"note: {note}", err=True)
    return desired


def _accounts(connection: Connection, _zones: Sequence[ZoneSpec]) -> Accounts:
    """The plan's reader: one client per token the files name (opened as the zones are read)."""
    from reconciler.live.accounts import Accounts  # brings httpx, which validate never needs

    return Accounts(connection)
