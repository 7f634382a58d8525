"""Command-line manners: help with an example everywhere, --version, and shell completion.

All through real processes, both ways the tool is started: the installed console script
(``reconciler.cli:main``) and ``python -m reconciler``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest

from reconciler import __version__
from reconciler.cli import cli

COMMANDS = sorted(cli.list_commands(click.Context(cli)))
SCRIPT = Path(sys.executable).parent / "spectrum-reconciler"
ENTRY_POINTS = {"console script": [str(SCRIPT)], "python -m": [sys.executable, "-m", "reconciler"]}


def run(argv: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("_SPECTRUM")}
    return subprocess.run(
        argv, capture_output=True, text=True, check=False, timeout=60, env=clean | env
    )


def test_the_commands_are_the_documented_ones() -> None:
    assert COMMANDS == [
        "addresses",
        "adopt",
        "apply",
        "diff",
        "drift",
        "emulator",
        "export",
        "import-terraform",
        "plan",
        "reconcile",
        "validate",
        "verify",
    ]


def test_the_console_script_is_installed() -> None:
    assert SCRIPT.is_file(), "pip install -e . provides the spectrum-reconciler script"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    done = run([*ENTRY_POINTS["python -m"], command, "--help"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: spectrum-reconciler {command} ")
    lines = done.stdout.splitlines()
    (first,) = [i for i, line in enumerate(lines) if line.lstrip().startswith("Example")][:1]
    # The example itself: on the Example line or the next one, a full command line.
    assert f"spectrum-reconciler {command} " in " ".join(lines[first : first + 2])
    assert run([*ENTRY_POINTS["python -m"], command, "-h"]).stdout == done.stdout


@pytest.mark.parametrize("way", ENTRY_POINTS)
def test_top_level_help_lists_every_command(way: str) -> None:
    done = run([*ENTRY_POINTS[way], "--help"])
    assert done.returncode == 0, done.stderr
    listed = {
        line.split()[0] for line in done.stdout.split("Commands:")[1].splitlines() if line.strip()
    }
    assert listed == set(COMMANDS)


@pytest.mark.parametrize("way", ENTRY_POINTS)
def test_version(way: str) -> None:
    done = run([*ENTRY_POINTS[way], "--version"])
    assert done.returncode == 0
    assert done.stdout.strip() == f"spectrum-reconciler, version {__version__}"


class TestShellCompletion:
    """Click's completion, keyed on the program name the entry point passes: spectrum-reconciler."""

    @pytest.mark.parametrize("way", ENTRY_POINTS)
    @pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
    def test_the_completion_script(self, way: str, shell: str) -> None:
        done = run(ENTRY_POINTS[way], _SPECTRUM_RECONCILER_COMPLETE=f"{shell}_source")
        assert done.returncode == 0, done.stderr
        assert "_SPECTRUM_RECONCILER_COMPLETE" in done.stdout
        assert "spectrum-reconciler" in done.stdout
        if shell == "bash":
            assert "complete -o nosort -F _spectrum_reconciler_completion spectrum-reconciler" in (
                done.stdout
            )

    def complete(self, way: str, words: str) -> list[str]:
        done = run(
            ENTRY_POINTS[way],
            _SPECTRUM_RECONCILER_COMPLETE="bash_complete",
            COMP_WORDS=words,
            COMP_CWORD=str(len(words.split()) - (0 if words.endswith(" ") else 1)),
        )
        assert done.returncode == 0, done.stderr
        return sorted(line.split(",", 1)[1] for line in done.stdout.splitlines())

    @pytest.mark.parametrize("way", ENTRY_POINTS)
    def test_commands_complete(self, way: str) -> None:
        assert self.complete(way, "spectrum-reconciler d") == ["diff", "drift"]

    @pytest.mark.parametrize("way", ENTRY_POINTS)
    def test_options_and_choices_complete(self, way: str) -> None:
        assert self.complete(way, "spectrum-reconciler plan --redact") == ["--redact-origins"]
        assert self.complete(way, "spectrum-reconciler plan --format ") == [
            "json",
            "markdown",
            "text",
        ]
