"""The reliability suite: every test carries the ``reliability`` marker; figures at the end."""

from __future__ import annotations

import json
import os

import pytest
from reliability_helpers import FIGURES, FULL


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/reliability/" in item.nodeid.replace("\\", "/"):
            assert item.get_closest_marker("reliability"), f"{item.nodeid} lacks the marker"


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not FIGURES:
        return
    size = "full" if FULL else "ci"
    terminalreporter.section(f"reliability figures (RELIABILITY_SCALE={size})")
    for name, value in sorted(FIGURES.items()):
        terminalreporter.write_line(f"{name}: {value}")
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        with open(target, "w", encoding="utf-8") as stream:
            json.dump({"scale": size, **dict(sorted(FIGURES.items()))}, stream, indent=2)
    # docs/reliability.md's table, from these figures (see figures_table.py).
    from figures_table import markdown

    table = markdown(FIGURES)
    terminalreporter.section("reliability table (docs/reliability.md)")
    terminalreporter.write(table)
    target = os.environ.get("RELIABILITY_TABLE")
    if target:
        with open(target, "w", encoding="utf-8") as stream:
            stream.write(table)
    from tests.figures_docs import write_reliability  # FIGURES_WRITE_DOCS=1: into the docs

    write_reliability(terminalreporter, table, FULL)


@pytest.fixture
def figures():  # type: ignore[no-untyped-def]
    """``figures(name=count, ...)`` adds to the session's figures."""
    from reliability_helpers import note

    return note
