"""A live zone (or imported apps) -> the text of a desired-state file that plans to nothing.

Only fields that differ from the API's defaults are written, in the field table's order, apps
sorted by hostname and protocol. ``export_document`` also checks that its text validates, so
``export`` never writes a file ``validate`` refuses. The ``$schema`` modeline (for editors with
the YAML language server) points only at a stable place: what ``schema_ref`` says, else a
``schemas/desired-state.schema.json`` beside the output or above it (a checkout of this
repository, or a copy the user keeps in theirs), else there is none — never into the installed
package, whose path changes with every virtualenv.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from reconciler.desired.loading import desired_state_from_texts
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.model import LiveZone
from reconciler.planning.normalize import minimal_config, normalize_app

SCHEMA_IN_REPO = Path("schemas") / "desired-state.schema.json"
_MODELINE = "# yaml-language-server: $schema="


def export_document(zone: LiveZone, *, out_path: str | None, schema_ref: str | None = None) -> str:
    """The desired-state YAML for every live app of ``zone``; raises ``ReconcilerError`` when
    that text would not validate (nothing should be written then)."""
    text = desired_state_text(
        {"zone": zone.name},
        (app.config for app in zone.apps),
        out_path=out_path,
        schema_ref=schema_ref,
    )
    _check_valid(text, out_path or "<stdout>", zone.name)
    return text


def desired_state_text(
    header: Mapping[str, Any],
    configs: Iterable[Mapping[str, Any]],
    *,
    out_path: str | None,
    schema_ref: str | None = None,
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
    line = modeline(out_path, schema_ref)
    return f"{line}\n{body}" if line else body


def _check_valid(text: str, name: str, zone: str) -> None:
    try:
        desired_state_from_texts([(name, text.encode())])
    except ConfigError as error:
        first = error.problems[0] if error.problems else "?"
        raise ReconcilerError(
            f"the export of zone {zone} would not validate ({first}); nothing was written —"
            " report this, with the zone's apps"
        ) from None


class _LiteralDumper(yaml.SafeDumper):
    """Writes every value out in full: desired-state files refuse anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def modeline(out_path: str | None, schema_ref: str | None = None) -> str | None:
    """The yaml-language-server modeline: ``schema_ref`` as given, else a relative path to the
    nearest ``schemas/desired-state.schema.json`` at or above the output's directory."""
    if schema_ref:
        return f"{_MODELINE}{schema_ref}"
    base = Path(out_path).resolve().parent if out_path else Path.cwd()
    for directory in (base, *base.parents):
        schema = directory / SCHEMA_IN_REPO
        if schema.is_file():
            return f"{_MODELINE}{os.path.relpath(schema, base)}"
    return None
