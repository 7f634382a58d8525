"""tool_skips: every run lists what it skipped; with CI set, a skip not declared optional fails
the run, a missing node fails its tests, and a missing terraform skips them as declared."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

TESTS = """
import pytest
from tests.tool_skips import need

def test_plain_skip():
    if "{case}" == "plain":
        pytest.skip("a reason nobody declared")

def test_needs_a_tool():
    if "{case}" in ("node", "terraform"):
        need("{case}")
"""


def run(case: str, tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess[str]:
    """pytest on two small tests, with this plugin, where PATH holds only this Python."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_small.py").write_text(TESTS.format(case=case))
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PATH"] = str(Path(sys.executable).parent)  # no node, no terraform
    if ci:
        env["CI"] = "true"
    command = [sys.executable, "-m", "pytest", "-p", "tests.tool_skips", "-p", "no:cacheprovider",
               "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path)]  # fmt: skip
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)


def test_a_run_lists_each_skip_with_its_reason(tmp_path: Path) -> None:
    done = run("plain", tmp_path, ci=False)
    assert done.returncode == 0, done.stdout
    assert "skipped: 1" in done.stdout
    assert "test_small.py::test_plain_skip: a reason nobody declared" in done.stdout


def test_in_ci_a_skip_not_declared_optional_fails_the_run(tmp_path: Path) -> None:
    done = run("plain", tmp_path, ci=True)
    assert done.returncode == 1, done.stdout
    assert "1 skipped test(s) were not declared optional" in done.stdout


def test_in_ci_a_missing_terraform_skips_as_declared_optional(tmp_path: Path) -> None:
    done = run("terraform", tmp_path, ci=True)
    assert done.returncode == 0, done.stdout
    assert "test_needs_a_tool: OPTIONAL: terraform is not on PATH" in done.stdout


def test_a_missing_node_skips_on_a_laptop_and_fails_in_ci(tmp_path: Path) -> None:
    laptop = run("node", tmp_path, ci=False)
    assert laptop.returncode == 0 and "test_needs_a_tool: node is not on PATH" in laptop.stdout
    ci = run("node", tmp_path, ci=True)
    assert ci.returncode == 1 and "node is missing and CI is set" in ci.stdout, ci.stdout


def test_with_nothing_skipped_a_run_in_ci_passes_and_lists_nothing(tmp_path: Path) -> None:
    done = run("none", tmp_path, ci=True)
    assert done.returncode == 0, done.stdout
    assert "skipped: " not in done.stdout
