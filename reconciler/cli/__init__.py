"""The command line: parse flags, call the pipeline stages, map errors to exit codes.

Nothing imports this package. Commands live beside it, each module imported only when one of its
commands runs (``offline``: validate; ``read``: plan, drift; ``apply``; ``export``; ``tools``:
diff, emulator; ``adopt``; ...), and share the guard in ``options``. Usage errors exit 1, never
2, so that 2 always means "changes" or "drift" to a CI script.

May import: every floor (it is the top one) and the emulator (``--sandbox``, ``emulator``).
"""

from __future__ import annotations

import importlib
import sys

import click

from reconciler import DISTRIBUTION
from reconciler.cli import defaults
from reconciler.errors import EXIT_ERROR
from reconciler.logs import configure_logging, line

# Command name -> the module that defines it and its function name. A command's module (and
# what it needs: the HTTP client, deepdiff, prometheus_client, the emulator...) is imported
# only when that command runs, so `validate` does not pay for `reconcile`'s imports.
_LAZY_COMMANDS = {
    "validate": ("reconciler.cli.offline", "validate"),
    "plan": ("reconciler.cli.read", "plan"),
    "drift": ("reconciler.cli.read", "drift"),
    "apply": ("reconciler.cli.apply", "apply"),
    "export": ("reconciler.cli.export", "export"),
    "diff": ("reconciler.cli.tools", "diff"),
    "emulator": ("reconciler.cli.tools", "emulator"),
    "import-terraform": ("reconciler.cli.tfimport", "import_terraform"),
    "addresses": ("reconciler.cli.addresses", "addresses"),
    "reconcile": ("reconciler.cli.loop", "reconcile"),
    "adopt": ("reconciler.cli.adopt", "adopt"),
    "verify": ("reconciler.cli.verify", "verify"),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported on first use (help lists them all, sorted)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*_LAZY_COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in _LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = _LAZY_COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        defaults.name_envvars(cmd_name, command)
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """The command, with the defaults of the file at its paths' configuration root (or
        the current directory's) set as the group's ``default_map`` before it parses."""
        name, command, rest = super().resolve_command(ctx, args)
        if _asks_help(ctx, rest):  # help shows the built-in defaults, even beside a bad file
            return name, command, rest
        if command is not None and name is not None and not ctx.resilient_parsing:
            path = defaults.file_for(_paths_in(ctx, name, command, rest) or ["."])
            if path is not None:
                ctx.default_map = defaults.load(path, lambda: self._every_command(ctx))
        return name, command, rest

    def _every_command(self, ctx: click.Context) -> dict[str, click.Command]:
        found = {name: self.get_command(ctx, name) for name in self.list_commands(ctx)}
        return {name: command for name, command in found.items() if command is not None}


def _asks_help(ctx: click.Context, args: list[str]) -> bool:
    words = args[: args.index("--")] if "--" in args else args
    return any(word in ctx.help_option_names for word in words)


def _paths_in(ctx: click.Context, name: str, command: click.Command, args: list[str]) -> list[str]:
    """The PATHs the command was given, read without checking anything else."""
    try:
        probe = command.make_context(name, list(args), parent=ctx, resilient_parsing=True)
    except click.ClickException:
        return []
    return [str(p) for p in probe.params.get("paths") or ()]


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
# click reads the version from the package metadata only when --version is given.
@click.version_option(package_name=DISTRIBUTION, prog_name="spectrum-reconciler")
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


def main() -> None:
    """Console entry point."""
    # A usage error is found while the flags are parsed, before the command's guard sets the
    # line format, so the format asked for is read from the raw arguments for that case.
    configure_logging(verbose=False, debug=False, json_lines=asks_json_lines(sys.argv[1:]))
    try:
        cli.main(prog_name="spectrum-reconciler", standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.UsageError as error:
        # One line, like every other error: what is wrong, and where the help is.
        where = error.ctx.command_path if error.ctx else "spectrum-reconciler"
        _error(f"error: {error.format_message()} (see {where} --help)")
    except click.ClickException as error:
        _error(f"error: {error.format_message()}")
    except click.exceptions.Abort:
        from reconciler.cli.options import say_interrupted

        say_interrupted()
        sys.exit(EXIT_ERROR)


def _error(text: str) -> None:
    click.echo(line(text, level="error", logger="reconciler.cli"), err=True)
    sys.exit(EXIT_ERROR)


def asks_json_lines(args: list[str]) -> bool:
    """Whether the arguments (before any ``--``) ask for ``--log-format json``."""
    words = args[: args.index("--")] if "--" in args else args
    pairs = zip(words, [*words[1:], ""], strict=False)
    return any(w == "--log-format=json" or (w, n) == ("--log-format", "json") for w, n in pairs)
