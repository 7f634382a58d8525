"""The documentation site (mkdocs.yml, docs/) builds strictly: every page in the nav exists, every
internal link and anchor resolves, and the generated references say what the code says.

The reference pages are made at build time (mkdocs_hooks/): the command reference from each
command's ``--help``, the file format from ``schemas/*.schema.json``; links out of ``docs/`` to
the repository's files are pointed at the repository. Needs the docs extra (the test extra
includes it); with ``CI`` set a skip fails the run (tests/tool_skips.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install -e '.[docs]'")
pytest.importorskip("material", reason="the docs extra is not installed: pip install -e '.[docs]'")

from mkdocs_hooks.links import repository_links
from mkdocs_hooks.reference import (
    commands_page,
    help_text,
    linked_across_schemas,
    schema_pages,
    without_boolean_subschemas,
)
from reconciler.cli import cli
from tests.test_readme import setup_commands

REPO = "https://github.com/OWNER/spectrum-reconciler"


@pytest.mark.slow
def test_the_site_builds_strictly(tmp_path: Path) -> None:
    site = tmp_path / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    assert (site / "index.html").is_file()
    commands = (site / "reference" / "commands" / "index.html").read_text(encoding="utf-8")
    assert "spectrum-reconciler reconcile" in commands
    assert not (ROOT / "docs" / "reference").exists(), "generated pages stay out of docs/"


def test_getting_started_shows_the_readmes_two_commands_exactly() -> None:
    """The page repeats the README's set-up commands; tests/test_readme.py runs those."""
    page = (ROOT / "docs" / "getting-started.md").read_text(encoding="utf-8")
    assert re.findall(r"^```sh\n(.*?)\n```$", page, re.S | re.M)[:2] == setup_commands()


def test_every_command_has_its_help_in_the_reference() -> None:
    page = commands_page(cli)
    names = cli.list_commands(None)  # type: ignore[arg-type]
    assert len(names) >= 11
    for name in names:
        assert f"## `spectrum-reconciler {name}`" in page
        assert help_text(cli, [name]).rstrip() in page  # exactly what --help prints


def test_the_reference_is_what_help_prints_not_a_copy() -> None:
    text = help_text(cli, ["plan"])
    assert text.startswith("Usage: spectrum-reconciler plan")
    assert "--detailed-exitcode" in text


def test_a_help_that_fails_stops_the_build() -> None:
    with pytest.raises(SystemExit, match="no-such-command --help exited 2"):
        help_text(cli, ["no-such-command"])


def test_every_schema_gets_a_page_and_the_index_lists_it() -> None:
    pages = schema_pages(ROOT / "schemas")
    schemas = sorted((ROOT / "schemas").glob("*.schema.json"))
    assert {"desired-state.schema.json", "plan.schema.json"} <= {p.name for p in schemas}
    index = pages["reference/schemas/index.md"]
    for schema in schemas:
        stem = schema.name.removesuffix(".schema.json")
        assert f"({stem}.md)" in index
        assert f"schemas/{schema.name}" in pages[f"reference/schemas/{stem}.md"]
    desired = pages["reference/schemas/desired-state.md"]
    for field in ("zone", "protect", "freeze", "break_glass", "origin_direct", "edge_ips"):
        assert f"**`{field}`**" in desired


def test_boolean_subschemas_are_spelled_as_objects_but_additional_properties_stays() -> None:
    schema = {
        "properties": {"before": True, "never": False},
        "items": True,
        "additionalProperties": False,
    }
    assert without_boolean_subschemas(schema) == {
        "properties": {"before": {}, "never": {"not": {}}},
        "items": {},
        "additionalProperties": False,
    }


@pytest.mark.parametrize(
    ("link", "page", "expected"),
    [
        ("[a](../action.yml)", "ci.md", f"[a]({REPO}/blob/main/action.yml)"),
        ("[k](../deploy/kubernetes/)", "running.md", f"[k]({REPO}/tree/main/deploy/kubernetes)"),
        ("[g](ci/github/)", "ci.md", f"[g]({REPO}/tree/main/docs/ci/github)"),
        (
            "[s](../../schemas/plan.schema.json#x)",
            "reference/x.md",
            f"[s]({REPO}/blob/main/schemas/plan.schema.json#x)",
        ),
        ("[page](guardrails.md#protect)", "concepts.md", "[page](guardrails.md#protect)"),
        ("[yml](ci/github/plan.yml)", "ci.md", "[yml](ci/github/plan.yml)"),
        ("[gone](../no-such-file)", "ci.md", "[gone](../no-such-file)"),
        ("[web](https://example.com/x)", "ci.md", "[web](https://example.com/x)"),
    ],
)
def test_links_out_of_docs_point_at_the_repository(link: str, page: str, expected: str) -> None:
    assert repository_links(link, page, ROOT, REPO) == expected


def test_a_reference_into_another_schema_links_to_that_schemas_page() -> None:
    rendered = "- [action](:///plan.schema.json#/%24defs/action) and [key](#/%24defs/key)"
    assert linked_across_schemas(rendered) == ("- [action](plan.md) and [key](#/%24defs/key)")
