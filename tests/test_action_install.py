"""The Action installs reproducibly: every dependency from the pinned constraints file shipped
beside it (action/constraints.txt, made by ``uv pip compile --universal``), pip's downloads
cached by that file's hash; and its ``command`` input accepts every command of the CLI."""

from __future__ import annotations

import re
import sys
from importlib import metadata

import click
import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from reconciler.cli import cli
from tests.conftest import ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CONSTRAINTS = ROOT / "action" / "constraints.txt"
ACTION = ROOT / "action.yml"
COMPILE = (
    "uv pip compile pyproject.toml --universal --python-version 3.10 -o action/constraints.txt"
)
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
CLAIMED = [
    c.rsplit(" ", 1)[1]
    for c in PYPROJECT["project"]["classifiers"]
    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
]


def pins() -> list[tuple[str, Version, Marker | None]]:
    """(name, version, marker) of every ``name==version[ ; marker]`` line."""
    found = []
    for line in CONSTRAINTS.read_text().splitlines():
        if not line or line.startswith((" ", "#")):
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        found.append(
            (canonicalize_name(requirement.name), Version(specifier.version), requirement.marker)
        )
    return found


def environment(python: str) -> dict[str, str]:
    return {"python_version": python, "python_full_version": f"{python}.0", "extra": ""}


def pinned_for(python: str) -> dict[str, Version]:
    chosen: dict[str, Version] = {}
    for name, version, marker in pins():
        if marker is None or marker.evaluate(environment(python)):
            assert name not in chosen, f"{name} pinned twice for Python {python}"
            chosen[name] = version
    return chosen


def test_the_file_says_how_it_was_made_and_the_docs_say_it_too() -> None:
    assert f"#    {COMPILE}\n" in CONSTRAINTS.read_text()
    assert COMPILE in (ROOT / "docs" / "ci.md").read_text()


@pytest.mark.parametrize("python", CLAIMED)
def test_every_dependency_is_pinned_within_its_specifier_on_every_claimed_python(
    python: str,
) -> None:
    pinned = pinned_for(python)
    for text in PYPROJECT["project"]["dependencies"]:
        wanted = Requirement(text)
        if wanted.marker is not None and not wanted.marker.evaluate(environment(python)):
            continue
        name = canonicalize_name(wanted.name)
        assert name in pinned, f"{name} is not pinned for Python {python}: regenerate ({COMPILE})"
        assert wanted.specifier.contains(pinned[name], prereleases=True), (name, pinned[name])


def closure(distribution: str) -> set[str]:
    """The distributions ``distribution`` needs here (this Python), by installed metadata."""
    python = THIS_PYTHON
    seen: set[str] = set()
    todo = [distribution]
    while todo:
        for text in metadata.requires(todo.pop()) or []:
            needed = Requirement(text)
            if needed.marker and not needed.marker.evaluate(environment(python)):
                continue
            name = canonicalize_name(needed.name)
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_the_pins_for_this_python_are_exactly_what_the_package_needs() -> None:
    python = THIS_PYTHON
    assert set(pinned_for(python)) == closure("spectrum-reconciler")


def action_steps() -> list[dict[str, object]]:
    return list(yaml.safe_load(ACTION.read_text())["runs"]["steps"])


def test_the_action_installs_with_the_constraints_and_caches_pip_by_them() -> None:
    (install,) = [s for s in action_steps() if str(s.get("name", "")).startswith("Install")]
    assert '--constraint "$ACTION_PATH/action/constraints.txt"' in str(install["run"])
    (cache,) = [s for s in action_steps() if str(s.get("uses", "")).startswith("actions/cache@")]
    assert "steps.pip-cache.outputs.key" in str(cache["with"])  # type: ignore[index]
    keyed = next(s for s in action_steps() if s.get("id") == "pip-cache")
    assert "action/constraints.txt" in str(keyed["run"])


def cli_commands() -> list[str]:
    assert isinstance(cli, click.Group)
    with click.Context(cli) as ctx:
        return sorted(cli.list_commands(ctx))


def test_the_command_input_accepts_every_command_of_the_cli() -> None:
    (run,) = [s for s in action_steps() if s.get("id") == "run"]
    script = str(run["run"])
    cases = re.findall(r"^\s*([a-z][a-z| -]*)\)$", script, flags=re.MULTILINE)
    accepted = sorted(c.strip() for case in cases for c in case.split("|"))
    assert accepted == cli_commands()
    described = yaml.safe_load(ACTION.read_text())["inputs"]["command"]["description"]
    # The message is escaped for the annotation; the list of commands follows it.
    unknown = re.search(r"unknown command '\$\{COMMAND\}'\"\)\s*\(([^)]*)\)", script)
    assert unknown and unknown[1].split(", ") == cli_commands()
    assert all(command in described for command in cli_commands())
