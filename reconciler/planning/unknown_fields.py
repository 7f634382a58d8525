"""Pure: fields of a live app that this tool does not know, kept as Cloudflare has them.

A PUT replaces the whole app, so an update that sent only the fields in the field table would
erase every field Cloudflare added after this tool was written. Such fields are never compared
(they cannot become a diff), but they are carried unchanged into every PUT, recorded in the
plan's ``before`` (so a stale saved plan notices when they move), and sent again when a rollback
re-creates an app.

In: a raw live app (or a ``before`` record). Out: its unknown fields, or a body with them added.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.planning.canonical import OBJECT_KEYS
from reconciler.planning.normalize import FIELD_ORDER, minimal_config, normalize_app

# Legacy response fields the field table reads (spp) or knows to be obsolete (ipv4): not unknown.
_LEGACY = frozenset({"spp", "ipv4"})


def unknown_fields(config: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level fields outside the field table, and keys of ``dns``/``origin_dns`` it does not
    compare (as ``{"dns": {"ttl": 300}}``)."""
    unknown = {
        name: value
        for name, value in config.items()
        if name not in FIELD_ORDER and name not in _LEGACY and value is not None
    }
    for name, known in OBJECT_KEYS.items():
        value = config.get(name)
        if isinstance(value, Mapping):
            extra = {k: v for k, v in value.items() if k not in known and v is not None}
            if extra:
                unknown[name] = extra
    return unknown


def carried(body: Mapping[str, Any], unknown: Mapping[str, Any]) -> dict[str, Any]:
    """``body`` with ``unknown`` added: unknown keys of an object field go inside the body's own
    object (when the body still has that object); the body's values always win."""
    merged = dict(body)
    for name, value in unknown.items():
        if name in OBJECT_KEYS:
            if isinstance(merged.get(name), Mapping):
                merged[name] = {**value, **merged[name]}
        elif name not in merged:
            merged[name] = value
    return merged


def paths(unknown: Mapping[str, Any]) -> list[str]:
    """``{"x": 1, "dns": {"ttl": 300}}`` -> ``["dns.ttl", "x"]``, for a reader."""
    found = []
    for name, value in unknown.items():
        if name in OBJECT_KEYS:
            found += [f"{name}.{key}" for key in value]
        else:
            found.append(name)
    return sorted(found)


def live_record(
    config: Mapping[str, Any], normalized: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A live app as a plan records it: normalized (pass it when known: planning normalizes
    every app once), plus every field this tool does not know."""
    base = normalize_app(config) if normalized is None else normalized
    unknown = unknown_fields(config)
    return carried(base, unknown) if unknown else dict(base)


def restore_body(before: Mapping[str, Any]) -> dict[str, Any]:
    """The create body that brings back the app recorded as ``before`` (see ``live_record``)."""
    return carried(minimal_config(before), unknown_fields(before))
