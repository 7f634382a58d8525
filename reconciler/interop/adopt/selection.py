"""Pure: which differences of a drift report to adopt, and a note for each one left.

In: the ``Drift`` that ``drift`` reports (changed, unmanaged, missing), the declared zones,
and a ``Selection`` (``--app``, ``--zone``, ``--remove-missing``). Out: ``Chosen``: the
actions to adopt by kind, and one line for each difference left as it is, saying why.

Nothing the planner ignores reaches a drift report, so an ``ignore``d app is never adopted;
naming one with ``--app`` is refused with the pattern that covers it. ``protect`` does not
matter here: adopting writes the live app into git, it never deletes a live app.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.desired.patterns import matches
from reconciler.errors import AdoptError
from reconciler.model import AppKey, ZoneSpec
from reconciler.plan import Action
from reconciler.planning.planner import Drift

AppName = tuple[str, str]  # (dns name, protocol), lower case


@dataclass(frozen=True)
class Selection:
    """What to adopt: every difference, or only the named apps and zones."""

    apps: tuple[AppName, ...] = ()
    zones: tuple[str, ...] = ()
    remove_missing: bool = False


@dataclass(frozen=True)
class Chosen:
    """The differences to adopt, by how each is written, and what is left (with why)."""

    changed: tuple[Action, ...] = ()  # fields edited in place
    added: tuple[Action, ...] = ()  # live apps no file declares: appended
    removed: tuple[Action, ...] = ()  # declared apps missing live: their blocks removed
    left: tuple[str, ...] = ()

    @property
    def keys(self) -> frozenset[AppKey]:
        return frozenset(a.key for a in (*self.changed, *self.added, *self.removed))


def parse_app(text: str) -> AppName:
    """``ssh.example.com:tcp/22`` -> ``("ssh.example.com", "tcp/22")``; ValueError if malformed."""
    host, colon, protocol = text.partition(":")
    key = AppKey.of("", host, protocol)
    if not colon or not key.dns_name or not key.protocol:
        raise ValueError(f"{text!r} is not HOST:PROTOCOL — write e.g. ssh.example.com:tcp/22")
    return key.dns_name, key.protocol


def choose(drift: Drift, zones: Sequence[ZoneSpec], selection: Selection) -> Chosen:
    """The drift ``selection`` names; ``AdoptError`` if it names a zone no file declares, an
    ignored app, or an app with no drift (a typo must not pass as "nothing to adopt")."""
    _check_zones(zones, selection)
    _check_apps(drift, zones, selection)

    def picked(actions: Sequence[Action]) -> tuple[Action, ...]:
        return tuple(a for a in actions if _selected(a.key, selection))

    missing = picked(drift.missing)
    removed = missing if selection.remove_missing else ()
    left = tuple(
        f"{a.key} ({a.key.zone}): declared at {a.source} but not live — adopt "
        "--remove-missing removes its block, apply creates it again"
        for a in missing
        if not selection.remove_missing
    )
    unmanaged = picked((*drift.unmanaged, *drift.kept))  # prune: false keeps, adopt may declare
    return Chosen(picked(drift.changed), unmanaged, removed, left)


def _selected(key: AppKey, selection: Selection) -> bool:
    if selection.zones and key.zone.lower() not in selection.zones:
        return False
    return not selection.apps or (key.dns_name, key.protocol) in selection.apps


def _check_zones(zones: Sequence[ZoneSpec], selection: Selection) -> None:
    declared = {z.label.lower() for z in zones} | {(z.name or "").lower() for z in zones}
    for zone in selection.zones:
        if zone not in declared:
            raise AdoptError(f"--zone {zone}: no file declares this zone — check the name")


def _check_apps(drift: Drift, zones: Sequence[ZoneSpec], selection: Selection) -> None:
    drifted = {
        (a.key.dns_name, a.key.protocol)
        for a in (*drift.changed, *drift.unmanaged, *drift.kept, *drift.missing)
        if _selected(a.key, Selection(zones=selection.zones))
    }
    for host, protocol in selection.apps:
        pattern = _ignored_by(host, zones)
        if pattern:
            raise AdoptError(
                f"--app {host}:{protocol}: the zone ignores it ({pattern!r}) and adopt never "
                "adopts an ignored app — remove the pattern first if it should be managed"
            )
        if (host, protocol) not in drifted:
            raise AdoptError(
                f"--app {host}:{protocol}: no drift for this app — run drift to see what differs"
            )


def _ignored_by(host: str, zones: Sequence[ZoneSpec]) -> str | None:
    for zone in zones:
        for pattern in zone.ignore:
            if matches(pattern, host):
                return pattern
    return None
