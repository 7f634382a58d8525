"""Pure: a live zone (or imported apps) -> the text of a desired-state file that plans to nothing.

Only fields that differ from the API's defaults are written, in the field table's order, apps
sorted by hostname and protocol, with the schema modeline so editors check the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler.model import LiveZone
from reconciler.normalize import minimal_config, normalize_app

SCHEMA_IN_REPO = Path("schemas") / "desired-state.schema.json"


def export_document(zone: LiveZone, *, out_path: str | None) -> str:
    """The desired-state YAML for every live app of ``zone``."""
    return desired_state_text(
        {"zone": zone.name}, (app.config for app in zone.apps), out_path=out_path
    )


def desired_state_text(
    header: Mapping[str, Any], configs: Iterable[Mapping[str, Any]], *, out_path: str | None
) -> str:
    """A desired-state file: ``header`` (the zone keys), then the apps normalized and sorted.

    ``configs`` are app objects in the API's field names (a live response, or what
    ``import-terraform`` read from a Terraform state).
    """
    apps = sorted(
        (minimal_config(normalize_app(config)) for config in configs),
        key=lambda app: (app["dns"].get("name", ""), app.get("protocol", "")),
    )
    document: dict[str, Any] = {**header, "apps": apps}
    body = yaml.dump(
        document,
        Dumper=_LiteralDumper,
        sort_keys=False,
        default_flow_style=False,
        allow_unicode=True,
    )
    return f"{modeline(out_path)}\n{body}"


class _LiteralDumper(yaml.SafeDumper):
    """Writes every value out in full: desired-state files refuse anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def modeline(out_path: str | None) -> str:
    """The yaml-language-server modeline, pointing at the schema relative to the output file."""
    base = Path(out_path).resolve().parent if out_path else Path.cwd()
    schema = Path.cwd() / SCHEMA_IN_REPO
    if not schema.exists():
        schema = Path(__file__).parent / "schemas" / "desired-state.schema.json"
    return f"# yaml-language-server: $schema={os.path.relpath(schema, base)}"
