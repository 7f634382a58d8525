"""The site's reference pages, generated at build time so they cannot drift from the code.

In: the click command tree (``reconciler.cli``) and the JSON Schemas in ``schemas/``.
Out: Markdown pages added to the build (never written into ``docs/``):

- ``reference/commands.md``: ``spectrum-reconciler --help`` and every command's ``--help``,
  exactly as the installed version prints them (click's own test runner runs each);
- ``reference/schemas/<name>.md``: one page per ``schemas/*.schema.json``, rendered by
  jsonschema2md, and ``reference/schemas/index.md`` listing them, so a schema added later gets
  its page without an edit here.

MkDocs runs ``on_files`` (mkdocs.yml: ``hooks: [mkdocs_hooks/reference.py]``); the functions
before it are pure and tested in tests/test_docs_site.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import jsonschema2md
from click.testing import CliRunner
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

PROG = "spectrum-reconciler"
WIDTH = 100  # columns the help is wrapped at: the same on every machine, not the terminal's


def help_text(group: click.Group, args: list[str]) -> str:
    """What ``spectrum-reconciler ARGS --help`` prints; an error if it does not exit 0."""
    result = CliRunner().invoke(
        group, [*args, "--help"], prog_name=PROG, terminal_width=WIDTH, max_content_width=WIDTH
    )
    if result.exit_code != 0:
        command = " ".join([PROG, *args, "--help"])
        raise SystemExit(f"{command} exited {result.exit_code}: {result.exception!r}")
    return result.output.rstrip() + "\n"


def commands_page(group: click.Group) -> str:
    """The command reference: the top-level help, then one section per command, sorted."""
    names = group.list_commands(click.Context(group, info_name=PROG))
    lines = [
        "# Command reference",
        "",
        f"Generated when this site was built, from `{PROG} --help` and each command's `--help`: "
        "what the code prints, not a copy of it. [Commands and exit codes](../commands.md) "
        "explains how they fit together.",
        "",
        *_help_section(PROG, help_text(group, [])),
    ]
    for name in names:
        lines += _help_section(f"{PROG} {name}", help_text(group, [name]))
    return "\n".join(lines)


def _help_section(title: str, text: str) -> list[str]:
    return [f"## `{title}`", "", "```text", text.rstrip("\n"), "```", ""]


def schema_page(path: Path) -> str:
    """One schema as Markdown (jsonschema2md), under a line naming the file it came from."""
    schema = json.loads(path.read_text(encoding="utf-8"))
    parser = jsonschema2md.Parser(show_examples="all")
    title, *rest = parser.parse_schema(without_boolean_subschemas(schema))
    source = (
        f"Generated when this site was built, by jsonschema2md, from "
        f"[`schemas/{path.name}`]({_repository_file(path.name)}) "
        f"(JSON Schema {_draft(schema)}): the schema `validate` and editors check against.\n\n"
    )
    return linked_across_schemas("".join([title, "\n", source, *rest]))


# jsonschema2md renders a ``$ref`` into another schema file as a link to ``:///NAME.schema.json``.
_OTHER_SCHEMA = re.compile(r"\(:///([\w.-]+)\.schema\.json#[^)]*\)")


def linked_across_schemas(page: str) -> str:
    """Links into another schema file point at that schema's page (the drift schema borrows the
    plan document's ``action``, for one)."""
    return _OTHER_SCHEMA.sub(lambda found: f"({found[1]}.md)", page)


# Keywords whose values are maps of name -> subschema; `items` holds one subschema.
_SCHEMA_MAPS = {"properties", "patternProperties", "$defs", "definitions"}


def without_boolean_subschemas(node: object) -> object:
    """The same schema with ``true``/``false`` subschemas spelled ``{}``/``{"not": {}}``.

    JSON Schema allows both spellings; jsonschema2md reads only the object one (it stops at
    the plan document's ``before: true``). ``additionalProperties: false`` keeps its spelling,
    which jsonschema2md renders as "Cannot contain additional properties".
    """
    if isinstance(node, list):
        return [without_boolean_subschemas(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, object] = {}
    for key, value in node.items():
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            value = {name: _as_object(sub) for name, sub in value.items()}
        elif key == "items":
            value = _as_object(value)
        out[key] = without_boolean_subschemas(value)
    return out


def _as_object(subschema: object) -> object:
    if isinstance(subschema, bool):
        return {} if subschema else {"not": {}}
    return subschema


def _repository_file(name: str) -> str:
    return f"https://github.com/OWNER/spectrum-reconciler/blob/main/schemas/{name}"


def _draft(schema: dict[str, object]) -> str:
    declared = str(schema.get("$schema", ""))
    return "2020-12" if "2020-12" in declared else declared or "(no $schema)"


def schema_pages(folder: Path) -> dict[str, str]:
    """Site path -> page, for every ``*.schema.json`` in folder, and an index of them."""
    paths = sorted(folder.glob("*.schema.json"))
    pages = {f"reference/schemas/{_stem(p)}.md": schema_page(p) for p in paths}
    index = ["# Schemas", "", "Every JSON Schema the tool ships, each rendered as a page:", ""]
    for path in paths:
        title = json.loads(path.read_text(encoding="utf-8")).get("title", _stem(path))
        index.append(f"- [{title}]({_stem(path)}.md) — `schemas/{path.name}`")
    pages["reference/schemas/index.md"] = "\n".join(index) + "\n"
    return pages


def _stem(path: Path) -> str:
    return path.name.removesuffix(".schema.json")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """MkDocs hook: add the generated pages to the build."""
    from reconciler.cli import cli  # imported at build time: the installed code is documented

    root = Path(config.config_file_path).parent
    pages = {"reference/commands.md": commands_page(cli), **schema_pages(root / "schemas")}
    for uri, content in pages.items():
        files.append(File.generated(config, uri, content=content))
    return files
