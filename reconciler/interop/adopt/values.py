"""Pure: the values adopting writes, spelled as close to the file's own as their meaning allows.

In: an app as a file declares it (or nothing, for an app no file declares) and the app as the
plan recorded it live. Out: per top-level field, the value to write (or ``REMOVE``), chosen so
that the field table (``normalize``) reads it exactly as it reads the live app.

Only fields of the field table are ever written: a live field this tool does not know (a
future ``dns.ttl``) is kept by Cloudflare and carried into every update already, so it never
enters a file. A value the file already spells another way that means the same
(``TCP://…``, ``2001:DB8::1``, a key left to its default) keeps the file's spelling.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from reconciler.planning.normalize import FIELDS, Field, minimal_config, normalize_app

REMOVE: Final = "<remove>"  # an edit that deletes the field from the file
_MANAGED = tuple(spec for spec in FIELDS if not spec.server_set)


def field_edits(declared: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of ``declared`` to change so that it means what ``live`` holds, in table
    order: each maps to the value to write, or ``REMOVE`` when the live app has none."""
    want, have = normalize_app(live), normalize_app(declared)
    edits: dict[str, Any] = {}
    for spec in _MANAGED:
        if want.get(spec.name) == have.get(spec.name):
            continue
        if spec.name not in want:  # no default and absent live: only a declared field gets here
            edits[spec.name] = REMOVE
        else:
            edits[spec.name] = spelled(spec, declared.get(spec.name), want[spec.name])
    return edits


def new_app(live: Mapping[str, Any]) -> dict[str, Any]:
    """A live app no file declares, as a file would: known fields off their defaults only."""
    return minimal_config(normalize_app(live))


def spelled(spec: Field, old: Any, target: Any) -> Any:
    """``target`` (canonical) written with as much of ``old``'s spelling as keeps its meaning."""
    if isinstance(old, Mapping) and isinstance(target, Mapping):
        return _mapping(spec, old, target)
    if isinstance(old, list) and isinstance(target, list):
        return _sequence(spec, old, target)
    return target


def _means(spec: Field, value: Any, target: Any) -> bool:
    return bool(spec.canonicalize(value) == target)


def _mapping(spec: Field, old: Mapping[str, Any], target: Mapping[str, Any]) -> dict[str, Any]:
    """Start from the file's keys in the file's order, then keep each of its spellings and
    drop each key it did not write, one at a time, whenever the meaning stays the target's."""
    value = {k: target[k] for k in old if k in target}
    value.update({k: v for k, v in target.items() if k not in value})
    if not _means(spec, value, target):
        return dict(target)
    for key in [k for k in value if k in old and old[k] != value[k]]:
        trial = {**value, key: old[key]}
        if _means(spec, trial, target):
            value = trial
    for key in [k for k in value if k not in old]:
        trial = {k: v for k, v in value.items() if k != key}
        if _means(spec, trial, target):
            value = trial
    return value


def _sequence(spec: Field, old: list[Any], target: list[Any]) -> list[Any]:
    """Entries the file has and the target keeps stay where they are; new ones go after."""
    kept = [entry for entry in old if _single(spec, entry) in target]
    spelled_kept = [_single(spec, entry) for entry in kept]
    value = kept + [entry for entry in target if entry not in spelled_kept]
    return value if _means(spec, value, target) else list(target)


def _single(spec: Field, entry: Any) -> Any:
    canonical = spec.canonicalize([entry])
    return canonical[0] if isinstance(canonical, list) and len(canonical) == 1 else None
