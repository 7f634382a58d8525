"""Every Python the package claims is one that is tested: pyproject, nox and CI agree."""

from __future__ import annotations

import ast
import re

from tests.conftest import ROOT


def claimed() -> list[str]:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    return re.findall(r'"Programming Language :: Python :: (3\.\d+)"', text)


def test_the_oldest_claimed_python_is_the_one_required() -> None:
    text = (ROOT / "pyproject.toml").read_text("utf-8")
    assert f'requires-python = ">={claimed()[0]}"' in text


def test_nox_has_a_session_for_every_claimed_python() -> None:
    tree = ast.parse((ROOT / "noxfile.py").read_text("utf-8"))
    (pythons,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "PYTHONS"
    ]
    assert pythons == claimed() == ["3.10", "3.11", "3.12", "3.13"]


def test_ci_runs_the_suite_on_the_claimed_pythons_it_finds() -> None:
    run = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "grep -o 'Python :: 3\\.[0-9]*\"' pyproject.toml" in run  # the list CI walks
    assert ".ci/other-pythons" in run and (ROOT / ".ci" / "other-pythons").exists()
