"""``export``: a zone's live apps as a desired-state file that plans to nothing."""

from __future__ import annotations

import os

import click

from reconciler.cli.options import api, guarded, stdout, zone_name
from reconciler.errors import EXIT_OK, ReconcilerError
from reconciler.files import write_atomically
from reconciler.live.connect import Connection, open_client
from reconciler.model import ZoneSpec
from reconciler.wording import count


@click.command()
@click.option(
    "--zone", "zone", required=True, callback=zone_name, help="The zone (domain name) to export."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option(
    "--schema-ref",
    metavar="URL|PATH",
    help="Written as the file's $schema modeline (default: a schemas/desired-state.schema.json"
    " found beside --out or above it, else none).",
)
@click.option("--force", is_flag=True, help="Replace --out if it exists (else refused).")
@api
@guarded
def export(
    zone: str,
    out: str | None,
    schema_ref: str | None,
    force: bool,
    connection: Connection,
) -> int:
    """Write a zone's live apps as a desired-state file that plans to nothing.

    Example: spectrum-reconciler export --zone example.com --out apps/example.com.yaml
    """
    from reconciler.interop.export import export_document

    if out and not force and os.path.lexists(out):  # checked before the API is asked anything
        raise ReconcilerError(
            f"{out} already exists — nothing was written; pass --force to replace it, or choose"
            " another --out"
        )
    spec = ZoneSpec(name=zone, zone_id=None)
    with open_client(connection, [spec]) as client:
        (live,) = client.fetch_live([spec])
    text = export_document(live, out_path=out, schema_ref=schema_ref)
    if out:
        write_atomically(out, text)
        click.echo(f"exported {count(len(live.apps), 'app')} of {live.name} to {out}", err=True)
    else:
        stdout().write(text)
    return EXIT_OK
