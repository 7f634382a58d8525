"""``verify PATHS`` and ``apply``'s ``--verify``: is every app serving? Exit 5 when one is not."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any, TextIO, TypeVar

import click

from reconciler.applying import verifying, workflow
from reconciler.applying.report import ApplyReport
from reconciler.checks.verify import Verification
from reconciler.cli.options import api, duration, format_option, guarded, stdout, zone_option
from reconciler.cli.read import loaded
from reconciler.errors import EXIT_OK
from reconciler.live.cloudflare import CloudflareClient
from reconciler.live.connect import Connection, open_client
from reconciler.plan import Plan

F = TypeVar("F", bound=Callable[..., Any])


_probe = click.option(
    "--probe", is_flag=True, help="Also open a TCP connection to each edge IP and port (3 s)."
)
_timeout_option = click.option(
    "--verify-timeout",
    default="5m",
    show_default=True,
    callback=duration,
    metavar="DURATION",
    help="How long to wait for traffic to resume on a recreated app (30s, 5m).",
)


def verify_options(command: F) -> F:
    """``apply``'s --verify, --verify-timeout and --probe, handed on as one ``verify``
    (``VerifyOptions``, or None when --verify is off)."""

    @functools.wraps(command)
    def wrapper(*args: Any, verify: bool, verify_timeout: float, probe: bool, **kw: Any) -> Any:
        if probe and not verify:
            raise click.UsageError("--probe is part of --verify: add --verify")
        chosen = verifying.VerifyOptions(timeout=verify_timeout, probe=probe) if verify else None
        return command(*args, verify=chosen, **kw)

    flag = click.option(
        "--verify", is_flag=True, help="After the writes, check each written app serves (exit 5)."
    )
    return flag(_timeout_option(_probe(wrapper)))  # type: ignore[return-value]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@zone_option
@_probe
@format_option("text", "json", help="json: one document (apps, notes, summary).")
@api
@guarded
def verify(
    paths: Sequence[str], zones: tuple[str, ...], probe: bool, fmt: str, connection: Connection
) -> int:
    """Check that every declared app serves: exit 0 none degraded, 5 some degraded, 1 error.

    \b
    Each app: read back equal to the files, Spectrum's DNS record on its hostname, static
    edge IPs that can receive traffic, and with --probe a TCP connect to each edge IP and port.

    \b
    Example:
      spectrum-reconciler verify apps/ --probe
    """
    desired = loaded(paths, zones)
    with open_client(connection, desired.zones) as client:
        live = client.fetch_live(desired.zones)
        plan = workflow.plan_against(desired, live)
        targets = verifying.targets_declared(plan, desired)
        options = verifying.VerifyOptions(probe=probe)
        result = verifying.verify(client, targets, options, live=live)  # apps read once
    show(result, fmt, stdout())
    return verified_exit(EXIT_OK, result)


def show(result: Verification, fmt: str, stream: TextIO) -> None:
    if fmt == "json":
        stream.write(json.dumps(result.to_dict(), sort_keys=True) + "\n")
        return
    for line in result.lines():
        stream.write(line + "\n")


def before_apply(
    plan: Plan, client: CloudflareClient, options: verifying.VerifyOptions | None
) -> dict[str, bool | None]:
    """What the recreated apps carried before the writes (read only when verifying)."""
    if options is None:
        return {}
    return verifying.carried_before(plan, verifying.traffic_reader_for(client))


def after_apply(
    plan: Plan,
    report: ApplyReport,
    client: CloudflareClient,
    options: verifying.VerifyOptions | None,
    carried: dict[str, bool | None],
    code: int,
    *,
    err: bool = False,
) -> int:
    """Verify what the apply wrote and print it (to stderr with ``err``); exit 5 replaces a 0
    when any app is degraded (a failed or held apply keeps its own code)."""
    if options is None or report.interrupted:
        return code
    targets = verifying.targets_after(plan, report, carried)
    if not targets:
        return code
    traffic = verifying.traffic_reader_for(client)
    result = verifying.verify(client, targets, options, traffic=traffic)
    stream: TextIO = sys.stderr if err else stdout()
    show(result, "text", stream)
    return verified_exit(code, result)


def verified_exit(code: int, result: Verification) -> int:
    """5 when an app is degraded after a successful apply; any other code stands (a failed
    apply stays 4, a held one 3)."""
    return result.exit_code(code)
