"""The stamp every generated figure block in README.md and docs/ carries, and the block writer.

A block sits between ``<!-- NAME:begin -->`` and ``<!-- NAME:end -->``; its first line says the
command that produced it and the commit it ran on (``with uncommitted changes`` when the tree
differed), so a figure older than the code is visibly older. ``python -m bench --write-docs``
writes the ``bench`` block; a test-suite run with ``FIGURES_WRITE_DOCS=1`` writes the ``suite``
and ``reliability`` blocks (tests/figures_docs.py). tests/test_figures.py checks every block.
"""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIRTY = " with uncommitted changes"
STAMP = re.compile(
    r"^Measured by `(?P<command>[^`]+)` on commit (?P<commit>[0-9a-f]{7,40})"
    rf"(?P<dirty>{DIRTY})? — (?P<details>.+)$"
)


def _git(*args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def commit() -> str:
    """HEAD's short hash, plus ``with uncommitted changes`` if tracked files differ from it."""
    head = _git("rev-parse", "--short=10", "HEAD") or "0000000"
    dirty = _git("status", "--porcelain", "--untracked-files=no")
    return head + (DIRTY if dirty else "")


def machine() -> str:
    """When and where: the date, the cores and the load when the run ended, Python, the OS."""
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cores, load = os.cpu_count(), os.getloadavg()[0]
    return (
        f"{now}; {cores} cores, load {load:.1f} at the end; Python {platform.python_version()}; "
        f"{platform.platform()}"
    )


def stamp(command: str, ran_on: str, details: str) -> str:
    """The block's first line; ``ran_on`` is ``commit()`` taken before the run began."""
    return f"Measured by `{command}` on commit {ran_on} — {details}."


def write_block(path: Path, name: str, body: str) -> None:
    """Replace the text between ``name``'s markers in ``path`` with ``body``."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = path.read_text(encoding="utf-8")
    start, stop = text.find(begin), text.find(end)
    if start < 0 or stop < start:
        raise SystemExit(f"{path}: no {begin} ... {end} block to write into")
    block = f"{begin}\n{body.rstrip()}\n{end}"
    path.write_text(text[:start] + block + text[stop + len(end) :], encoding="utf-8")
