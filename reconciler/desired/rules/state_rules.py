"""Rules across apps, files and zones: identities, hostname port overlaps, zone ids, safety
settings and ignore patterns.

In: a :class:`RuleContext`. Out: located problems naming both places involved. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from reconciler.desired import freezes
from reconciler.desired.patterns import matches
from reconciler.desired.rules.entries import (
    AppEntry,
    IPAddress,
    RuleContext,
    ZoneEntry,
    ip_address_of,
)
from reconciler.model import Problem

# --- across apps, files and zones ----------------------------------------------------------


def identities_are_unique(context: RuleContext) -> Iterator[Problem]:
    """No (zone, dns.name, protocol) twice, in one file or across files."""
    first: dict[tuple[str, str, str], AppEntry] = {}
    for app in context.apps:
        earlier = first.setdefault(app.identity, app)
        if earlier is not app:
            yield app.problem(
                (),
                f"{app.dns_name} {app.protocol} is declared twice in zone {app.zone} "
                f"(also at {earlier.at()}) — remove one of them",
            )


def ports_do_not_overlap_on_a_hostname(context: RuleContext) -> Iterator[Problem]:
    """Two apps on one hostname and transport use disjoint edge ports."""
    seen: dict[tuple[str, str, str], list[AppEntry]] = {}
    for app in context.apps:
        ports = app.edge_ports
        if ports is None:
            continue
        same = seen.setdefault((app.zone, app.dns_name, app.transport), [])
        for earlier in same:
            other = earlier.edge_ports
            if other and earlier.protocol != app.protocol and other.overlaps(ports):
                yield app.problem(
                    ("protocol",),
                    f"{app.protocol} overlaps {earlier.protocol} on {app.dns_name} "
                    f"(at {earlier.at()}) — give each app its own ports",
                )
        same.append(app)


def zone_ids_agree(context: RuleContext) -> Iterator[Problem]:
    """Every file names a zone with the same zone_id, and a zone_id with the same zone."""
    by_name: dict[str, ZoneEntry] = {}
    by_id: dict[str, ZoneEntry] = {}
    for zone in context.zones:
        if not (zone.name and zone.zone_id):
            continue
        earlier = by_name.setdefault(zone.name, zone)
        if earlier.zone_id != zone.zone_id:
            what = f"zone {zone.name} has zone_id {zone.zone_id} here but {earlier.zone_id}"
            yield _zone_id_conflict(zone, what, earlier)
        earlier = by_id.setdefault(zone.zone_id, zone)
        if earlier.name != zone.name:
            what = f"zone_id {zone.zone_id} names zone {zone.name} here but {earlier.name}"
            yield _zone_id_conflict(zone, what, earlier)


def _zone_id_conflict(zone: ZoneEntry, what: str, earlier: ZoneEntry) -> Problem:
    return Problem(
        zone.at("zone_id"),
        f"{what} at {earlier.at('zone_id')} — give one zone one zone_id in every file",
    )


def safety_settings_agree(context: RuleContext) -> Iterator[Problem]:
    """A zone's safety settings, where several files give them, are the same."""
    for label, zones in context.zone_groups().items():
        given = [zone for zone in zones if zone.safety is not None]
        for zone in given[1:]:
            if _safety_key(zone.safety) != _safety_key(given[0].safety):
                yield Problem(
                    zone.at("safety"),
                    f"safety for zone {label} differs from the one at {given[0].at('safety')} "
                    "— set it in one file only",
                )


def token_envs_agree(context: RuleContext) -> Iterator[Problem]:
    """A zone is read with one token: files that name its token_env name the same one."""
    for label, zones in context.zone_groups().items():
        given = [zone for zone in zones if zone.token_env is not None]
        for zone in given[1:]:
            if zone.token_env != given[0].token_env:
                yield Problem(
                    zone.at("token_env"),
                    f"token_env {zone.token_env} for zone {label} differs from "
                    f"{given[0].token_env} at {given[0].at('token_env')} — name one variable",
                )


def _safety_key(safety: Mapping[str, Any] | None) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((safety or {}).items()))


def ignore_patterns_spare_declared_apps(context: RuleContext) -> Iterator[Problem]:
    """An ignore pattern must not cover an app the files declare (it would be both)."""
    apps_by_zone: dict[str, list[AppEntry]] = {}
    for app in context.apps:
        apps_by_zone.setdefault(app.zone, []).append(app)
    for label, zones in context.zone_groups().items():
        for zone in zones:
            for index, pattern in enumerate(zone.ignore):
                for app in apps_by_zone.get(label, []):
                    if matches(pattern, app.dns_name):
                        yield Problem(
                            zone.at("ignore", index),
                            f"ignore pattern {pattern!r} matches the declared app "
                            f"{app.dns_name} {app.protocol} (at {app.at()}) — narrow the "
                            "pattern or remove the app",
                        )


def static_ips_stay_in_one_zone(context: RuleContext) -> Iterator[Problem]:
    """A static edge IP belongs to one zone: Cloudflare refuses it in a second one (11033)."""
    first: dict[IPAddress, AppEntry] = {}
    for app in context.apps:
        for index, text in enumerate(app.static_ips):
            address = ip_address_of(text)
            if address is None:
                continue
            earlier = first.setdefault(address, app)
            if earlier.zone != app.zone:
                yield app.problem(
                    ("edge_ips", "ips", index),
                    f"static edge IP {address} is also declared in zone {earlier.zone} (at "
                    f"{earlier.at()}); Cloudflare refuses an IP used by another zone (11033) — "
                    "use another address in one of the zones",
                )


def freeze_times_are_valid(context: RuleContext) -> Iterator[Problem]:
    """Each freeze window's ``until`` is a real time, its ``cron`` parses and its ``timezone``
    exists (the schema checks only their shapes)."""
    for zone in context.zones:
        declared = (zone.guardrails or {}).get("freeze") or []
        listed = isinstance(declared, list)
        for index, window in enumerate(declared if listed else [declared]):
            prefix: tuple[str | int, ...] = ("freeze", index) if listed else ("freeze",)
            for field, message in freezes.problems(window):
                yield Problem(zone.at(*prefix, field), f"{message} — {_FREEZE_HINTS[field]}")


_FREEZE_HINTS = {
    "until": "write e.g. 2026-12-24T00:00:00Z",
    "cron": 'write five fields, minute hour day month weekday, e.g. "0 18 * * FRI"',
    "timezone": "write an IANA name such as Europe/Berlin or UTC",
    "duration": "write e.g. 64h or 1h30m",
}


STATE_RULES: tuple[Callable[[RuleContext], Iterable[Problem]], ...] = (
    identities_are_unique,
    ports_do_not_overlap_on_a_hostname,
    zone_ids_agree,
    safety_settings_agree,
    token_envs_agree,
    ignore_patterns_spare_declared_apps,
    static_ips_stay_in_one_zone,
    freeze_times_are_valid,
)
