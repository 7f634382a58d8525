"""The suite on every Python the package claims: ``nox`` (all), ``nox -s tests-3.10`` (one).

Each session installs the project with its test extra in a fresh environment and runs the
README's test command (``python -m pytest``); arguments after ``--`` go to pytest, e.g.
``nox -s tests-3.12 -- -m "not reliability"``. nox finds ``python3.10`` ... ``python3.13`` on
PATH (with pyenv: ``pyenv global 3.11.7 3.10.13 3.12.1 3.13.0``); a missing one is skipped with
a message, never counted as passed. ``nox -s constraints`` regenerates the Action's pinned
dependencies (action/constraints.txt; needs uv and the package index); plain ``nox`` runs only
the tests.
"""

from __future__ import annotations

import nox

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]  # keep in step with pyproject's classifiers

nox.options.error_on_missing_interpreters = False
nox.options.sessions = ["tests"]
COMPILE = (
    "uv pip compile pyproject.toml --universal --python-version 3.10 -o action/constraints.txt"
)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=False)
def constraints(session: nox.Session) -> None:
    """Pin every dependency of the Action's install, for every claimed Python at once."""
    session.run(*COMPILE.split(), external=True)
