"""The command line: parse flags, call the pipeline stages, map errors to exit codes.

Nothing imports this package. Commands live beside it (``read``: validate, plan, drift;
``apply``; ``tools``: export, diff, emulator) and share the guard in ``options``. Usage errors
exit 1, never 2, so that 2 always means "changes" or "drift" to a CI script.
"""

from __future__ import annotations

import sys

import click

from reconciler import __version__
from reconciler.cli.addresses import addresses
from reconciler.cli.apply import apply
from reconciler.cli.loop import reconcile
from reconciler.cli.read import drift, plan, validate
from reconciler.cli.tfimport import import_terraform
from reconciler.cli.tools import diff, emulator, export
from reconciler.errors import EXIT_ERROR


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="spectrum-reconciler")
def cli() -> None:
    """Keep Cloudflare Spectrum apps in git: validate, plan, apply, detect drift.

    \b
    Quick start, against the built-in sandbox (no account, no token):
      spectrum-reconciler apply --sandbox --auto-approve examples/
      spectrum-reconciler plan --sandbox examples/

    Exit codes: 0 ok, 1 error, 2 changes or drift (plan --detailed-exitcode,
    diff --detailed-exitcode, drift), 3 refused by a safety rule or a stale plan,
    4 partly applied.
    """


_COMMANDS = (validate, plan, drift, apply, export, diff, emulator, import_terraform, addresses)
for _command in (*_COMMANDS, reconcile):
    cli.add_command(_command)


def main() -> None:
    """Console entry point."""
    try:
        cli.main(prog_name="spectrum-reconciler", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:
        # One line, like every other error: what is wrong, and where the help is.
        where = error.ctx.command_path if error.ctx else "spectrum-reconciler"
        click.echo(f"error: {error.format_message()} (see {where} --help)", err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as error:
        error.show()
        sys.exit(EXIT_ERROR)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_ERROR)
