"""A suite run that writes its own figures into the docs: ``FIGURES_WRITE_DOCS=1``.

With it, a run that passes writes, each under one stamp (bench/stamp.py: the command, the
commit it ran on, date, machine, tests passed and seconds):

- the ``suite`` block of README.md (tests passed and seconds), when the whole suite ran (no
  paths, ``-m`` or ``-k``);
- the ``reliability`` block of docs/reliability.md, when the reliability tests ran at CI size (tests/reliability/conftest.py calls
  ``write_reliability``).

A run with a failure or an error writes nothing.
"""

from __future__ import annotations

import os
import time

import pytest

from bench.stamp import ROOT, commit, machine, stamp, write_block

ENV = "FIGURES_WRITE_DOCS"
SESSION: dict[str, object] = {}


def wanted() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


def pytest_sessionstart(session: pytest.Session) -> None:
    SESSION.update(started=time.monotonic(), ran_on=commit() if wanted() else "")


def _command(config: pytest.Config) -> str:
    scale = os.environ.get("RELIABILITY_SCALE", "")
    env = f"{ENV}=1" + (f" RELIABILITY_SCALE={scale}" if scale else "")
    return " ".join([env, "python -m pytest", *config.invocation_params.args])


def session_stamp(terminalreporter) -> str:  # type: ignore[no-untyped-def]
    """This run's stamp line; every block the run writes carries the same one."""
    if "stamp" not in SESSION:
        stats = terminalreporter.stats
        seconds = time.monotonic() - float(SESSION["started"])  # type: ignore[arg-type]
        details = (
            f"{machine()}; {len(stats.get('passed', [])):,} tests passed, "
            f"{len(stats.get('skipped', []))} skipped, in {seconds:.0f} s"
        )
        SESSION["stamp"] = stamp(_command(terminalreporter.config), str(SESSION["ran_on"]), details)
    return str(SESSION["stamp"])


def passed(terminalreporter) -> bool:  # type: ignore[no-untyped-def]
    stats = terminalreporter.stats
    return not (stats.get("failed") or stats.get("error")) and bool(stats.get("passed"))


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    config = terminalreporter.config
    whole = config.args_source is pytest.Config.ArgsSource.TESTPATHS and not (
        config.option.markexpr or config.option.keyword
    )
    if wanted() and whole and passed(terminalreporter):
        write_block(ROOT / "README.md", "suite", session_stamp(terminalreporter))
        terminalreporter.write_line(f"{ENV}: wrote the suite block of README.md")


def write_reliability(terminalreporter, table: str, full: bool) -> None:  # type: ignore[no-untyped-def]
    """The reliability table, stamped, into docs/reliability.md."""
    if not (wanted() and passed(terminalreporter)):
        return
    if full:  # the docs show the CI size, the size every run of the suite measures
        terminalreporter.write_line(f"{ENV}: RELIABILITY_SCALE=full tables are not written")
        return
    name = "reliability"
    body = session_stamp(terminalreporter) + "\n\n" + table
    write_block(ROOT / "docs" / "reliability.md", name, body)
    terminalreporter.write_line(f"{ENV}: wrote the {name} block of docs/reliability.md")
