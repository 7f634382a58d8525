"""``adopt``: write live drift into the desired-state files, all files or none.

Thin: read the files, read their zones live, let ``interop.adopt`` compute and check every
edit, then print the diff (``--dry-run``) or write every changed file at once.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

import click

from reconciler.cli.options import api, guarded, stdout, zone_names
from reconciler.desired.loading import YAML_SUFFIXES, desired_state_from_texts, read_files
from reconciler.errors import EXIT_OK, AdoptError
from reconciler.files import write_files_atomically
from reconciler.interop.adopt import Adoption, Selection, parse_app
from reconciler.interop.adopt import adopt as adopt_drift
from reconciler.live.connect import Connection, open_client
from reconciler.wording import count


def _apps(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(parse_app(value) for value in values)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option(
    "--app",
    "apps",
    multiple=True,
    callback=_apps,
    metavar="HOST:PROTOCOL",
    help="Adopt only this app (repeatable).",
)
@click.option(
    "--zone",
    "zones",
    multiple=True,
    callback=zone_names,
    help="Adopt only this zone's drift (repeatable).",
)
@click.option(
    "--into",
    type=click.Path(dir_okay=False),
    help="Append undeclared apps here: a file of their zone, or a new file.",
)
@click.option("--remove-missing", is_flag=True, help="Remove the blocks of declared apps not live.")
@click.option("--dry-run", is_flag=True, help="Print a unified diff; write nothing.")
@api
@guarded
def adopt(
    paths: Sequence[str],
    apps: tuple[tuple[str, str], ...],
    zones: tuple[str, ...],
    into: str | None,
    remove_missing: bool,
    dry_run: bool,
    connection: Connection,
) -> int:
    """Write live changes into the files: the next plan is empty. Comments and layout kept.

    Changed fields are edited where they are declared; live apps no file declares are
    appended to a file of their zone (or --into); declared apps missing live are removed
    only with --remove-missing. Every file is written, or none.

    Example: spectrum-reconciler adopt apps/ --app ssh.example.com:tcp/22 --dry-run
    """
    items = read_files(paths)
    desired = desired_state_from_texts(items)
    texts = {name: content.decode("utf-8") for name, content in items}
    selection = Selection(apps, tuple(z.lower() for z in zones), remove_missing)
    target = _into(into, paths, texts) if into else None
    with open_client(connection, desired.zones) as client:
        live = client.fetch_live(desired.zones)
    adoption = adopt_drift(texts, desired, live, selection, into=target)
    _report(adoption)
    if dry_run:
        stdout().writelines(_diff(adoption))
    elif adoption.files:
        write_files_atomically({Path(n): new for n, (_, new) in adoption.files.items()})
        shown = count(len(adoption.files), "file")
        click.echo(f"adopt: wrote {shown}: {', '.join(adoption.files)}", err=True)
    return EXIT_OK


def _into(into: str, paths: Sequence[str], texts: dict[str, str]) -> str:
    """``--into`` as the loader names it: a loaded file, or a new one under a given directory."""
    wanted = Path(into).resolve()
    for name in texts:
        if Path(name).resolve() == wanted:
            return name
    if Path(into).exists():
        raise AdoptError(f"--into {into}: not one of the desired-state files given — name one")
    inside = [
        Path(p) for p in paths if Path(p).is_dir() and wanted.is_relative_to(Path(p).resolve())
    ]
    if not inside or wanted.suffix not in YAML_SUFFIXES:
        raise AdoptError(
            f"--into {into}: a new file must be a *.yaml under one of the directories given, "
            "so that the next plan reads it"
        )
    return str(inside[0] / wanted.relative_to(inside[0].resolve()))


def _report(adoption: Adoption) -> None:
    for line in adoption.adopted:
        click.echo(f"adopted: {line}", err=True)
    for line in adoption.left:
        click.echo(f"left: {line}", err=True)
    if not adoption.adopted:
        click.echo("adopt: nothing to adopt", err=True)


def _diff(adoption: Adoption) -> list[str]:
    lines: list[str] = []
    for name, (old, new) in adoption.files.items():
        before = "/dev/null" if old is None else f"a/{name}"
        lines += difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=before,
            tofile=f"b/{name}",
        )
    return lines
