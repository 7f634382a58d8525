"""Pure: a live zone -> the text of a desired-state file that plans to nothing.

Only fields that differ from the API's defaults are written, in the field table's order, apps
sorted by hostname and protocol, with the schema modeline so editors check the file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from reconciler.model import LiveZone
from reconciler.normalize import minimal_config, normalize_app

SCHEMA_IN_REPO = Path("schemas") / "desired-state.schema.json"


def export_document(zone: LiveZone, *, out_path: str | None) -> str:
    """The desired-state YAML for every live app of ``zone``."""
    apps = sorted(
        (minimal_config(normalize_app(app.config)) for app in zone.apps),
        key=lambda app: (app["dns"].get("name", ""), app.get("protocol", "")),
    )
    document: dict[str, Any] = {"zone": zone.name, "apps": apps}
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
