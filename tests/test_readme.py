"""README.md's "Set-up: two commands" work as written, on a fresh copy of the repository.

The first command (the main job) runs for real: a new virtual environment, ``pip install .``
from PyPI, apply to the sandbox, then an empty plan. That takes about a minute, once. The
second command runs this very suite, so it is checked as text only.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT

NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "*.egg-info",
    "build",
    "dist",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".spectrum-sandbox.json",
    ".spectrum-sandbox.json.journal",
)


def setup_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## Set-up: two commands\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Set-up: two commands' section"
    return re.findall(r"^```sh\n(.*?)\n```$", section.group(1), re.S | re.M)


def test_the_section_has_exactly_two_one_line_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)


CI_RUN = (ROOT / ".ci" / "run").read_text()


def test_the_test_command_is_what_ci_runs() -> None:
    """.ci/run runs the README's test command as written: a line of its own, not a variant."""
    _, tests = setup_commands()
    assert (
        tests
        == "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/python -m pytest"
    )
    assert tests in CI_RUN.splitlines()
    assert "set -euo pipefail" in CI_RUN.splitlines()  # so its failure fails the run


def test_ci_sets_ci_so_a_skip_not_declared_optional_fails_the_run() -> None:
    lines = CI_RUN.splitlines()
    _, tests = setup_commands()
    exported = lines.index('export CI="${CI:-true}"')
    assert exported < lines.index(tests)
    assert not any(line.startswith("unset CI") for line in lines)


@pytest.mark.slow
def test_the_main_job_runs_on_a_fresh_copy(tmp_path: Path) -> None:
    main_job, _ = setup_commands()
    copy = tmp_path / "spectrum-reconciler"
    shutil.copytree(ROOT, copy, ignore=NOT_COPIED, symlinks=True)
    assert not (copy / ".venv").exists() and not (copy / ".spectrum-sandbox.json").exists()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"CLOUDFLARE_API_TOKEN", "CLOUDFLARE_BASE_URL", "VIRTUAL_ENV", "PYTHONPATH"}
    }
    done = subprocess.run(
        ["bash", "-c", main_job],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Apply complete" in done.stdout
    # The plan after the apply is the last thing printed, and it is empty.
    assert done.stdout.splitlines()[-1].startswith("No changes.")
    assert (copy / ".spectrum-sandbox.json").is_file()


def _shipped_text_files() -> list[Path]:
    roots = [ROOT / "reconciler", ROOT / "docs", ROOT / "schemas", ROOT / "examples"]
    files = [ROOT / "README.md"]
    for root in roots:
        files += [
            p for p in root.rglob("*") if p.suffix in {".py", ".md", ".json", ".yaml", ".yml"}
        ]
    return files


def test_nothing_users_get_cites_notes_they_do_not_have() -> None:
    """Docstrings and docs cite public sources, never the developers' private API notes."""
    citing = [
        str(p.relative_to(ROOT))
        for p in _shipped_text_files()
        if "spectrum-api.md" in p.read_text()
    ]
    assert citing == []


README = (ROOT / "README.md").read_text()


def _flat(text: str) -> str:
    return " ".join(text.split())


def page(name: str) -> str:
    """A docs page, flattened: the README's set-up section links there for the rest."""
    return _flat((ROOT / "docs" / name).read_text(encoding="utf-8"))


def test_not_reliability_leaves_out_exactly_the_fault_and_hostile_input_suite() -> None:
    """The documented fast part (docs/getting-started.md), ``-m "not reliability"``, is everything but tests/reliability:
    every test there carries the marker (tests/reliability/conftest.py checks it at collection)
    and no test elsewhere does. How long the whole suite takes: tests/test_figures.py."""
    assert '.venv/bin/python -m pytest -q -m "not reliability"' in page("getting-started.md")
    assert '"reliability:' in (ROOT / "pyproject.toml").read_text()  # the marker exists
    outside = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("test_*.py")
        if path.parent.name != "reliability" and "pytest.mark.reliability\n" in path.read_text()
    ]
    assert outside == []


def test_getting_started_says_to_activate_the_environment_for_later_examples() -> None:
    text = page("getting-started.md")
    assert ". .venv/bin/activate" in text and ".venv/bin/spectrum-reconciler" in text


def test_getting_started_tells_users_to_ignore_the_sandbox_file() -> None:
    text = page("getting-started.md")
    assert "add `.spectrum-sandbox.json*` to `.gitignore`" in text  # the state and its journal
    assert ".spectrum-sandbox.json" in (ROOT / ".gitignore").read_text()


def test_nothing_users_get_points_outside_the_repository() -> None:
    pointing = [
        str(p.relative_to(ROOT)) for p in _shipped_text_files() if "../shared" in p.read_text()
    ]
    assert pointing == []


def _rev_lines() -> list[tuple[str, str]]:
    files = [
        ROOT / "README.md",
        *sorted((ROOT / "docs").glob("*.md")),
        ROOT / ".pre-commit-hooks.yaml",
    ]
    found = []
    for path in files:
        for match in re.finditer(r"^\s*#?\s*rev:\s*(\S.*)$", path.read_text(), re.M):
            found.append((path.name, match.group(1)))
    return found


def test_pre_commit_examples_name_a_revision_that_exists() -> None:
    """No release is tagged: an example naming a tag (v0.1.0) fails for whoever copies it."""
    tags = subprocess.run(
        ["git", "-C", str(ROOT), "tag"], capture_output=True, text=True, check=False
    ).stdout.split()
    revs = _rev_lines()
    assert revs, "the pre-commit example shows a rev:"
    for where, rev in revs:
        value = rev.split("#")[0].strip()
        assert value.startswith("<") or re.fullmatch(r"[0-9a-f]{40}", value) or value in tags, (
            where,
            rev,
        )


def test_the_commands_page_states_which_wins_sandbox_or_base_url() -> None:
    text = page("commands.md")
    assert "`--sandbox` and `--base-url` together are a usage error" in text
    assert "`--sandbox` wins over `CLOUDFLARE_BASE_URL`" in text


def test_the_file_format_page_documents_where_export_points_the_schema() -> None:
    text = page("file-format.md")
    assert "--schema-ref URL|PATH" in text and "else no modeline" in text


def test_the_readme_and_the_home_page_link_every_page_of_using_it() -> None:
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    (using,) = [entry["Using it"] for entry in nav if "Using it" in entry]
    pages = [page for entry in using for page in entry.values()]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    assert [p for p in pages if f"](docs/{p})" not in readme] == []
    assert [p for p in pages if f"]({p})" not in home] == []


def test_the_json_output_page_lists_every_output_schema() -> None:
    page = (ROOT / "docs" / "json-output.md").read_text(encoding="utf-8")
    outputs = sorted(p.name for p in (ROOT / "schemas").glob("*.schema.json"))
    inputs = ["desired-state.schema.json"]  # the files, not an output
    assert [n for n in outputs if n not in inputs and f"(../schemas/{n})" not in page] == []
