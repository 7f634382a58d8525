"""Pure: part of a desired state — the zones a run is limited to, with their apps.

In: a validated ``DesiredState`` and which zones to keep. Out: the same state holding only those
zones and the apps declared in them. ``--zone NAME`` and ``apply --plan`` (only the zones a saved
plan covers) both narrow the whole configuration this way, after it was loaded whole, so a zone's
guardrails always come from every file that declares it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

from reconciler.model import DesiredState, ZoneSpec


def names_zone(spec: ZoneSpec, *, name: str | None, zone_id: str | None) -> bool:
    """Whether ``spec`` declares the zone called ``name`` with id ``zone_id`` (either may be
    unknown): by id when the file gives one, else by name, case-insensitively."""
    if spec.zone_id and zone_id:
        return spec.zone_id.lower() == zone_id.lower()
    return bool(spec.name and name and spec.name.lower() == name.lower())


def select_zones(desired: DesiredState, keep: Callable[[ZoneSpec], bool]) -> DesiredState:
    """``desired`` with only the zones ``keep`` accepts and the apps declared in them."""
    zones = tuple(spec for spec in desired.zones if keep(spec))
    labels = {label.lower() for spec in zones for label in _labels(spec)}
    apps = tuple(app for app in desired.apps if app.key.zone.lower() in labels)
    return dataclasses.replace(desired, zones=zones, apps=apps)


def unknown_zone_names(desired: DesiredState, names: Sequence[str]) -> list[str]:
    """The names in ``names`` (``--zone``) that no file declares, by name or id."""
    labels = {label.lower() for spec in desired.zones for label in _labels(spec)}
    return [name for name in names if name.lower().rstrip(".") not in labels]


def _labels(spec: ZoneSpec) -> tuple[str, ...]:
    return tuple(label for label in (spec.name, spec.zone_id) if label)
