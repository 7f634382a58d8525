"""``addresses``: the BYOIP address plane of the accounts a config touches, and who uses it."""

from __future__ import annotations

import json
from collections.abc import Sequence

import click

from reconciler.applying import workflow
from reconciler.cli.options import api, format_option, guarded, stdout
from reconciler.errors import EXIT_OK
from reconciler.interop.addresses import address_view, report_lines
from reconciler.live.connect import Connection, open_client


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@format_option("text", "json")
@api
@guarded
def addresses(paths: Sequence[str], fmt: str, connection: Connection) -> int:
    """Show each BYOIP prefix of the accounts the files' zones belong to: approval,
    advertisement, service bindings, which apps (live and declared) use which IPs, and how
    many addresses are free. Needs the token permission Account > IP Prefixes > Read.

    Example: spectrum-reconciler addresses examples/ --format json
    """
    desired = workflow.load(paths)
    with open_client(connection, desired.zones) as client:
        document = address_view(desired, client)
    stream = stdout()
    if fmt == "json":
        stream.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    else:
        stream.write("\n".join(report_lines(document)).rstrip() + "\n")
    return EXIT_OK
