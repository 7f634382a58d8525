"""``import-terraform``: read a Terraform state file, write desired-state files and removed.tf."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from reconciler.cli.options import guarded_offline
from reconciler.errors import EXIT_OK, OutputFileError, ReconcilerError, TerraformStateError
from reconciler.files import read_capped_text, write_files_atomically
from reconciler.wording import count

if TYPE_CHECKING:
    from reconciler.interop.tfimport import ImportedZone

MAX_STATE_BYTES = 256 * 1024 * 1024


@click.command("import-terraform")
@click.argument("state", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the desired-state files and removed.tf (created if missing; files"
    " already there are replaced only with --force).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the files of the same names already in --out (else refused; other files"
    " there are left alone).",
)
@guarded_offline
def import_terraform(state: str, out_dir: str, force: bool) -> int:
    """Take Spectrum apps over from Terraform without touching them in Cloudflare.

    STATE is `terraform show -json` output or a .tfstate file (provider v4 or v5). Writes one
    desired-state file per zone that plans to nothing, and removed.tf so that terraform apply
    forgets the apps without destroying them.

    \b
    Example (after terraform show -json > state.json):
      spectrum-reconciler import-terraform state.json --out config/
      spectrum-reconciler plan --detailed-exitcode config/   # exit 0: nothing to change
    """
    from reconciler.interop.export import desired_state_text
    from reconciler.interop.tfimport import checked_files, import_state, removed_blocks

    directory = Path(out_dir)

    def render(zone: ImportedZone, name: str) -> str:
        configs = (app.config for app in zone.apps)
        return desired_state_text(zone.header, configs, out_path=str(directory / name))

    try:
        result = import_state(_read_state(state))
        texts = checked_files(result, render)  # every app and file validates, or nothing is written
    except TerraformStateError as error:
        raise TerraformStateError(f"{state}: {error}") from None
    _make_directory(directory)
    files = {directory / name: text for name, text in texts.items()}
    names = [path.name for path in files]
    files[directory / "removed.tf"] = removed_blocks(result, names)
    if not force:
        _refuse_overwriting(files)
    write_files_atomically(files)
    for note in result.notes:
        click.echo(f"not carried over: {note}", err=True)
    click.echo(
        f"imported {count(result.app_count, 'app')} of {count(len(result.zones), 'zone')} into"
        f" {directory}: {', '.join(names)}; removed.tf has"
        f" {count(len(result.removed), 'removed block')}",
        err=True,
    )
    return EXIT_OK


def _read_state(path: str) -> object:
    text = read_capped_text(
        path,
        MAX_STATE_BYTES,
        too_large=TerraformStateError(f"larger than {MAX_STATE_BYTES >> 20} MiB"),
        unreadable=lambda error: TerraformStateError(f"cannot read it ({error})"),
    )
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise TerraformStateError(
            f"line {error.lineno} column {error.colno}: not JSON ({error.msg}) — give"
            " `terraform show -json` output or a .tfstate file"
        ) from None


def _refuse_overwriting(files: Iterable[Path]) -> None:
    """An existing file is never replaced: it may be a zone's desired state holding apps the
    state does not (the next plan would delete them) or a removed.tf of other resources."""
    existing = [str(path) for path in files if os.path.lexists(path)]  # never raises
    if existing:
        raise ReconcilerError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''} — nothing"
            " was written; import into a new directory (--out) and merge by hand, move"
            " them away and run again, or pass --force to replace them"
        )


def _make_directory(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputFileError(directory, error.strerror or error) from None
