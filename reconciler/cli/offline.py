"""validate: the offline command, in a module of its own so that it imports only the loader.

In: desired-state PATHs. Out: every problem (``file:line:col: message``, or GitHub Actions
annotations) and exit 1, else ``valid: N apps in M zones`` and exit 0. ``plan``'s module imports
the planner, the client's options and the renderers; ``validate`` needs none of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from reconciler.cli.options import format_option, guarded_offline
from reconciler.desired.loading import load_desired_state
from reconciler.errors import EXIT_ERROR, EXIT_OK, ConfigError
from reconciler.model import Problem
from reconciler.wording import count

paths_argument = click.argument("paths", nargs=-1, required=True, type=click.Path())


@click.command()
@paths_argument
@format_option("text", "github", help="github: GitHub Actions annotations on stdout.")
@guarded_offline
def validate(paths: Sequence[str], fmt: str) -> int:
    """Check desired-state files offline: schema and semantic rules; no token needed.

    Every problem of every file, one line each (file:line:col: message) on stderr.

    Example: spectrum-reconciler validate examples/
    """
    try:
        desired = load_desired_state(paths)  # the given files only: a pre-commit hook's view
    except ConfigError as error:
        if fmt != "github":
            raise
        for problem in error.problems:
            click.echo(github_annotation(problem))
        return EXIT_ERROR
    for warning in desired.warnings:
        if fmt == "github":
            click.echo(github_annotation(warning, "warning"))
        else:
            click.echo(f"warning: {warning}", err=True)
    shown = f"{count(len(desired.apps), 'app')} in {count(len(desired.zones), 'zone')}"
    click.echo(f"valid: {shown}", err=True)
    return EXIT_OK


def github_annotation(problem: Problem, level: str = "error") -> str:
    """``::error file=…,line=…,col=…::message`` (or ``::warning``) for GitHub Actions, escaped
    as ``@actions/core`` escapes them (toolkit ``packages/core/src/command.ts``)."""
    message = _escape_data(problem.message)
    if problem.location is None:
        return f"::{level}::{message}"
    where = problem.location
    file = _escape_property(where.file)
    if not where.line:  # the path itself (a directory, a missing file): no line to point at
        return f"::{level} file={file}::{message}"
    return f"::{level} file={file},line={where.line},col={where.col}::{message}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
