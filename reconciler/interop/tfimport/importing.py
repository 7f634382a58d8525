"""Pure: the parsed JSON of a Terraform state -> a ``TerraformImport``, its apps by zone.

In: ``terraform show -json`` output or a raw ``.tfstate``, parsed. Out: per zone the apps in the
API's own field names (``export`` turns them into the desired-state file), the resources and
instance addresses the ``removed`` blocks name, and notes on anything not carried over. Zone names
come from the state's ``cloudflare_zone`` resources and data sources; a zone without one, or whose
name the state gives to another zone too, is written by id. Two instances of one app are refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import TerraformStateError
from reconciler.interop.tfimport.app import Note, decode_instance
from reconciler.interop.tfimport.state import Instance, state_instances
from reconciler.model import AppKey
from reconciler.planning.normalize import app_key

SPECTRUM = "cloudflare_spectrum_application"
_ZONE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


@dataclass(frozen=True)
class ImportedApp:
    address: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class ImportedZone:
    zone_id: str
    name: str | None
    apps: tuple[ImportedApp, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name or self.zone_id}.yaml"

    @property
    def header(self) -> dict[str, str]:
        """The zone keys of its file: the id always (no lookup needed), the name when known."""
        return (
            {"zone": self.name, "zone_id": self.zone_id} if self.name else {"zone_id": self.zone_id}
        )


@dataclass(frozen=True)
class TerraformImport:
    zones: tuple[ImportedZone, ...]
    removed: tuple[tuple[str, tuple[str, ...]], ...]  # (resource, its instance addresses)
    notes: tuple[Note, ...] = field(default=())

    @property
    def app_count(self) -> int:
        return sum(len(zone.apps) for zone in self.zones)


def import_state(document: Any) -> TerraformImport:
    """Every Spectrum app of a Terraform state, by zone, with removed blocks and notes."""
    instances = list(state_instances(document))
    spectrum = [i for i in instances if i.type == SPECTRUM and i.mode == "managed"]
    if not spectrum:
        raise TerraformStateError(
            f"the state holds no {SPECTRUM} resources — nothing to import"
            " (run it on the state of the configuration that manages your Spectrum apps)"
        )
    names = zone_names(instances)
    notes: list[Note] = []
    by_zone: dict[str, list[ImportedApp]] = {}
    for instance in spectrum:
        zone_id, config, found = _decoded(instance)
        notes += found
        by_zone.setdefault(zone_id, []).append(ImportedApp(instance.address, config))
    zones = tuple(
        _zone(zone_id, names.get(zone_id), apps) for zone_id, apps in sorted(by_zone.items())
    )
    zones = _one_file_per_name(zones, notes)
    for zone in zones:
        if zone.zone_id not in names:  # (a shared name has its own note)
            notes.append(
                Note(
                    f"zone {zone.zone_id}",
                    "its name is not in the state: the file declares zone_id only",
                )
            )
    _refuse_duplicates(zones)
    return TerraformImport(zones, _removed(spectrum), tuple(notes))


def _decoded(instance: Instance) -> tuple[str, dict[str, Any], list[Note]]:
    """``decode_instance``, any failure of it (a value of a shape no provider writes) refused
    with the resource address."""
    try:
        return decode_instance(instance)
    except TerraformStateError:
        raise
    except Exception as error:  # a shape the readers did not foresee: say where, never crash
        raise TerraformStateError(
            f"{instance.address}: a value of an unexpected shape ({type(error).__name__}: "
            f"{error}) — check the state, or take the app over by hand"
        ) from None


def _one_file_per_name(
    zones: tuple[ImportedZone, ...], notes: list[Note]
) -> tuple[ImportedZone, ...]:
    """Zones the state gives one name (a zone deleted and added again) would share a file, and
    one would overwrite the other: such zones are written by id, without the name."""
    ids: dict[str, list[str]] = {}
    for zone in zones:
        if zone.name:
            ids.setdefault(zone.name, []).append(zone.zone_id)
    shared = {name for name, found in ids.items() if len(found) > 1}
    for name in sorted(shared):
        notes.append(
            Note(
                f"zone {name}",
                f"the state gives this name to zones {', '.join(ids[name])}: each file"
                " declares its zone_id only",
            )
        )
    return tuple(
        ImportedZone(zone.zone_id, None, zone.apps) if zone.name in shared else zone
        for zone in zones
    )


def _zone(zone_id: str, name: str | None, apps: list[ImportedApp]) -> ImportedZone:
    return ImportedZone(zone_id, name, tuple(sorted(apps, key=lambda a: app_key("", a.config))))


def _refuse_duplicates(zones: Sequence[ImportedZone]) -> None:
    for zone in zones:
        seen: dict[AppKey, str] = {}
        for app in zone.apps:
            key = app_key(zone.zone_id, app.config)
            if key in seen:
                raise TerraformStateError(
                    f"{seen[key]} and {app.address} are the same app ({key}) — keep one in"
                    " Terraform (terraform state rm the other) and import again"
                )
            seen[key] = app.address


def _removed(spectrum: Sequence[Instance]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    grouped: dict[str, list[str]] = {}
    for instance in spectrum:
        grouped.setdefault(instance.resource, []).append(instance.address)
    return tuple((resource, tuple(sorted(found))) for resource, found in sorted(grouped.items()))


def zone_names(instances: Sequence[Instance]) -> dict[str, str]:
    """Zone id -> name, from the ``cloudflare_zone`` resources and data sources of the state."""
    names: dict[str, str] = {}
    for instance in instances:
        if instance.type != "cloudflare_zone":
            continue
        values = instance.values
        zone_id = values.get("id") or values.get("zone_id")
        name = values.get("name") or values.get("zone")  # v5 and data sources; v4 resource
        if isinstance(zone_id, str) and isinstance(name, str) and _ZONE_NAME.fullmatch(name):
            names[zone_id.lower()] = name.lower()
    return names
