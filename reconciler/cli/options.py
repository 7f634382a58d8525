"""Shared pieces of every command: the error guard, common options, connection flags, output."""

from __future__ import annotations

import functools
import logging
import os
import sys
from collections.abc import Callable
from typing import Any, TextIO, TypeVar

import click

from reconciler.checks.static_ips import AddressChecks
from reconciler.desired.times import parse_duration
from reconciler.desired.zonenames import zone_name_problem
from reconciler.errors import EXIT_ERROR, EXIT_OK, ConfigError, ReconcilerError, exit_code_for
from reconciler.live.connect import Connection
from reconciler.live.ratelimit import RateLimit
from reconciler.logs import configure_logging, json_lines, line

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("reconciler.cli")


def format_option(
    *choices: str,
    help: str | None = None,
) -> Callable[[F], F]:
    """``--format CHOICE`` handed on as ``fmt``; text unless asked (plan, drift and diff offer
    text, json and markdown)."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices or ("text", "json", "markdown"))),
        default="text",
        show_default=True,
        help=help,
    )


def guarded(command: F) -> F:
    """-v/--verbose and --debug, logging set from them, and the guard around the command.

    The guard is the one place an error becomes an exit code: every error is one line on
    stderr (a traceback only with --debug). A command that offers ``--log-format`` gets every
    stderr line, log records and errors alike, in that format.
    """
    return _guard(command, debug_help="Log every request; tracebacks on error.")


def guarded_offline(command: F) -> F:
    """``guarded`` for commands that send no request: --debug promises no request log."""
    return _guard(command, debug_help="Tracebacks on error.")


def guarded_server(command: F) -> F:
    """``guarded`` for the emulator: -v and --debug log each request it answers."""
    return _guard(
        command,
        debug_help="As -v; tracebacks on error.",
        verbose_help="Log every request answered.",
    )


def _guard(command: F, *, debug_help: str, verbose_help: str = "Say what is being done.") -> F:
    @functools.wraps(command)
    def wrapper(*args: Any, verbose: bool, debug: bool, **kwargs: Any) -> Any:
        json_lines = kwargs.get("log_format") == "json"
        configure_logging(verbose=verbose, debug=debug, json_lines=json_lines)
        sys.exit(_run(command, debug, args, kwargs))

    with_debug = click.option("--debug", is_flag=True, help=debug_help)(wrapper)
    return click.option("-v", "--verbose", is_flag=True, help=verbose_help)(  # type: ignore[return-value]
        with_debug
    )


def _run(command: Callable[..., Any], debug: bool, args: Any, kwargs: Any) -> int:
    try:
        return int(command(*args, **kwargs) or EXIT_OK)
    except ConfigError as error:
        for problem in error.problems:
            _error(str(problem))
        _error(f"error: {error} — fix them and run again")
        return exit_code_for(error)
    except ReconcilerError as error:
        _traceback(debug)
        _error(f"error: {error}")
        return exit_code_for(error)
    except (KeyboardInterrupt, click.exceptions.Abort):
        say_interrupted()
        return EXIT_ERROR
    except click.ClickException:
        raise
    except Exception as error:  # the last line of defence: never a bare traceback
        _traceback(debug)
        message = f"{type(error).__name__}: {error}"
        _error(f"internal error: {message} (re-run with --debug for details)")
        return EXIT_ERROR


def say_interrupted() -> None:
    """One line for Ctrl-C (text or JSON, ``logs.line``); on a terminal, in text, it starts
    after the ``^C`` the terminal echoed."""
    start = "\n" if sys.stderr.isatty() and not json_lines() else ""
    text = "interrupted (Ctrl-C); nothing more was sent"
    click.echo(start + line(text, level="error", logger="reconciler.cli"), err=True)


def _error(text: str) -> None:
    """One error line on stderr, scrubbed, as text or JSON (``logs.line``)."""
    click.echo(line(text, level="error", logger="reconciler.cli"), err=True)


def _traceback(debug: bool) -> None:
    if debug:
        log.exception("traceback (--debug)")


def _parse_rate_limit(_ctx: click.Context, _param: click.Parameter, value: str) -> RateLimit:
    try:
        return RateLimit.parse(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


rate_limit_option = click.option(
    "--rate-limit",
    default="1200/300",
    show_default=True,
    callback=_parse_rate_limit,
    help="Request budget, N/SECONDS (Cloudflare's is 1200/300).",
)


def api(command: F) -> F:
    """--sandbox, --base-url and --rate-limit, handed to the command as one ``connection``."""

    @functools.wraps(command)
    def wrapper(
        *args: Any, sandbox: bool, base_url: str | None, rate_limit: RateLimit, **kwargs: Any
    ) -> Any:
        if sandbox and base_url:
            raise click.UsageError(
                "--sandbox and --base-url exclude each other (the sandbox answers in-process)"
                " — drop one of them"
            )
        chosen = Connection(sandbox=sandbox, base_url=base_url, rate_limit=rate_limit)
        return command(*args, connection=chosen, **kwargs)

    options = [
        click.option(
            "--sandbox",
            is_flag=True,
            help="Use the built-in emulator (no account); CLOUDFLARE_BASE_URL is then ignored.",
        ),
        click.option(
            "--base-url", help="API base URL (else CLOUDFLARE_BASE_URL, else Cloudflare)."
        ),
        rate_limit_option,
    ]
    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def duration(_ctx: click.Context, _param: click.Parameter, value: str | None) -> float | None:
    """A DURATION option's value (``30s``, ``5m``, ``1h30m``) in seconds, else a usage error;
    an option without a default that is not given stays None."""
    try:
        return None if value is None else parse_duration(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def zone_name(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """A ``--zone`` value that is a zone name (the files' own rule), else a usage error."""
    problem = zone_name_problem(value)
    if problem:
        raise click.BadParameter(problem)
    return value


def zone_names(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """``zone_name`` for a repeatable ``--zone``."""
    return tuple(zone_name(ctx, param, value) for value in values)


zone_option = click.option(
    "--zone",
    "zones",
    multiple=True,
    callback=zone_names,
    metavar="NAME",
    help="Only this zone (repeatable), from the whole configuration; alone, from the root "
    "above the current directory.",
)


def address_checks(command: F) -> F:
    """--strict, --skip-address-checks and the preflight's --account-wide and
    --ipv4-hostname-quota, handed to the command as one ``checks``."""

    @functools.wraps(command)
    def wrapper(
        *args: Any,
        strict: bool,
        skip_address_checks: bool,
        account_wide: bool,
        ipv4_hostname_quota: int,
        traffic_window: float,
        **kwargs: Any,
    ) -> Any:
        if strict and skip_address_checks:  # a green --strict run must mean "checked"
            raise click.UsageError(
                "--strict refuses address warnings and --skip-address-checks skips the checks"
                " that find them: give one of the two"
            )
        checks = AddressChecks(
            strict=strict,
            skip=skip_address_checks,
            account_wide=account_wide,
            ipv4_hostname_quota=ipv4_hostname_quota,
            traffic_window_s=traffic_window,
        )
        return command(*args, checks=checks, **kwargs)

    strict = click.option(
        "--strict",
        is_flag=True,
        help="Refuse (exit 1, nothing written) on any warning (static edge IPs, preflight).",
    )
    account_wide = click.option(
        "--account-wide",
        is_flag=True,
        help="Count the IPv4 hostname quota over the account's undeclared zones too (reads"
        " their apps).",
    )
    quota = click.option(
        "--ipv4-hostname-quota",
        type=click.IntRange(min=0),
        default=10,
        show_default=True,
        help="The account's unique Spectrum hostnames on Cloudflare IPv4 (Cloudflare's is 10;"
        " pass yours if it was raised).",
    )
    skip = click.option(
        "--skip-address-checks",
        is_flag=True,
        help="Do not read the account's address plane (IP Prefixes); the plan says so.",
    )
    window = click.option(
        "--traffic-window",
        default="24h",
        show_default=True,
        callback=duration,
        help="How far back each delete and recreate shows its app's traffic (e.g. 24h, 90m).",
    )
    return strict(skip(account_wide(quota(window(wrapper)))))  # type: ignore[return-value]


def use_color(stream: TextIO) -> bool:
    """ANSI colour on a terminal, or anywhere when asked; never when told not to.

    In order, the first that is set decides: a non-empty ``NO_COLOR`` turns colour off
    (https://no-color.org: "when present and not an empty string", so ``NO_COLOR= cmd`` keeps
    colour); a non-empty ``FORCE_COLOR`` (https://force-color.org) or ``CLICOLOR_FORCE``
    (https://bixense.com/clicolors) turns it on even through a pipe; else colour only on a
    terminal. ``NO_COLOR`` wins over both, as in CPython's own ``_colorize`` and bixense's
    table: refusing colour is the safer mistake. A forcing value of ``0`` forces nothing (the
    terminal decides), as ``CLICOLOR_FORCE=0`` means there and ``FORCE_COLOR=0`` in Node.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if any(os.environ.get(name, "0") not in ("", "0") for name in _FORCING):
        return True
    return stream.isatty()


_FORCING = ("FORCE_COLOR", "CLICOLOR_FORCE")


def stdout() -> TextIO:
    return sys.stdout
