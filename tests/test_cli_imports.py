"""Start-up cost: the command line imports a command's heavy libraries only when it runs.

Checked in a fresh interpreter (``sys.modules``), never by timing.
"""

from __future__ import annotations

import subprocess
import sys

import click

from reconciler.cli import cli

HEAVY = ("prometheus_client", "deepdiff", "jsonschema", "reconciler.emulator")


def modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(done.stdout.split())


def heavy_in(modules: set[str]) -> list[str]:
    return [name for name in HEAVY if any(m == name or m.startswith(f"{name}.") for m in modules)]


def test_importing_the_command_line_imports_no_heavy_library() -> None:
    assert heavy_in(modules_after("import reconciler.cli")) == []


def test_the_read_commands_import_no_heavy_library() -> None:
    # validate, plan and drift: deepdiff only for a nested change, jsonschema only to explain
    # an invalid file or read a saved plan, metrics and the emulator never.
    modules = modules_after("import reconciler.cli.read")
    assert heavy_in(modules) == []
    assert "httpx" not in modules  # the client comes with plan's connection, validate sends none


def test_validate_imports_the_loader_and_not_the_planning_stages() -> None:
    # Its time is import floor + loading: plan's planner, renderers and apply stage are not its.
    modules = modules_after("import reconciler.cli.offline")
    assert "reconciler.desired.loading" in modules
    later = ("reconciler.planning.planner", "reconciler.render", "reconciler.applying")
    assert [m for m in modules if m.startswith(later)] == []


def test_every_listed_command_loads_under_its_own_name() -> None:
    ctx = click.Context(cli)
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        assert command is not None and command.name == name
