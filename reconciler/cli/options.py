"""Shared pieces of every command: the error guard, common options, connection flags, output."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import click

from reconciler.connect import Connection
from reconciler.errors import EXIT_ERROR, EXIT_OK, ConfigError, ReconcilerError, exit_code_for
from reconciler.logs import configure_logging, scrub
from reconciler.ratelimit import RateLimit

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = click.Choice(["text", "json", "markdown"])
log = logging.getLogger("reconciler.cli")


def guarded(command: F) -> F:
    """Run a command; turn every error into one line on stderr (a traceback only with --debug).

    This is the one place an error becomes an exit code.
    """

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        configure_logging(verbose=bool(kwargs.get("verbose")), debug=bool(kwargs.get("debug")))
        sys.exit(_run(command, bool(kwargs.get("debug")), args, kwargs))

    return wrapper  # type: ignore[return-value]


def _run(command: Callable[..., Any], debug: bool, args: Any, kwargs: Any) -> int:
    try:
        return int(command(*args, **kwargs) or EXIT_OK)
    except ConfigError as error:
        for problem in error.problems:
            click.echo(scrub(str(problem)), err=True)
        click.echo(f"error: {error} — fix them and run again", err=True)
        return exit_code_for(error)
    except ReconcilerError as error:
        _traceback(debug)
        click.echo(f"error: {scrub(str(error))}", err=True)
        return exit_code_for(error)
    except (KeyboardInterrupt, click.exceptions.Abort):
        click.echo("interrupted", err=True)
        return EXIT_ERROR
    except click.ClickException:
        raise
    except Exception as error:  # the last line of defence: never a bare traceback
        _traceback(debug)
        message = scrub(f"{type(error).__name__}: {error}")
        click.echo(f"internal error: {message} (re-run with --debug for details)", err=True)
        return EXIT_ERROR


def _traceback(debug: bool) -> None:
    if debug:
        log.exception("traceback (--debug)")


def common(command: F) -> F:
    """-v/--verbose and --debug, accepted after every command's name."""
    command = click.option("-v", "--verbose", is_flag=True, help="Say what is being done.")(command)
    return click.option("--debug", is_flag=True, help="Log every request; tracebacks on error.")(
        command
    )


def api(command: F) -> F:
    """The options of every command that talks to the API."""
    options = [
        click.option("--sandbox", is_flag=True, help="Use the built-in emulator (no account)."),
        click.option(
            "--base-url", help="API base URL (else CLOUDFLARE_BASE_URL, else Cloudflare)."
        ),
        click.option(
            "--rate-limit",
            default="1200/300",
            show_default=True,
            help="Client-side request budget, N/SECONDS (Cloudflare's is 1200/300).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def connection(sandbox: bool, base_url: str | None, rate_limit: str) -> Connection:
    """The Connection the API flags describe."""
    try:
        limit = RateLimit.parse(rate_limit)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--rate-limit") from None
    return Connection(sandbox=sandbox, base_url=base_url, rate_limit=limit)


def use_color(stream: TextIO) -> bool:
    """ANSI colour only on a terminal, and never with NO_COLOR set."""
    return stream.isatty() and "NO_COLOR" not in os.environ


def stdout() -> TextIO:
    return sys.stdout
