"""Pure: (desired state, live zones) -> Plan, plus the safety gate and drift classification.

In: a validated ``DesiredState`` and one ``LiveZone`` per declared zone (extra live zones are
left alone: only declared zones are managed). Out: a ``Plan`` whose actions are sorted and whose
zone snapshots let ``apply --plan`` notice that live state moved since planning.

Both sides go through ``normalize_app`` once; equal apps are settled by ``==`` and never reach
the differ. A change that Cloudflare refuses in place (``replace_reasons``) becomes a recreate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.desired.patterns import matches
from reconciler.errors import PlanError
from reconciler.model import (
    DEFAULT_TOKEN_ENV,
    AppKey,
    DesiredApp,
    DesiredState,
    LiveApp,
    LiveZone,
    ZoneSpec,
)
from reconciler.plan import Action, ActionKind, LiveAppStamp, Plan, PlanWarning, ZoneSnapshot
from reconciler.planning.diff import diff_apps
from reconciler.planning.normalize import (
    app_key,
    fingerprint,
    normalize_app,
    replace_reasons,
    request_body,
    update_body,
)
from reconciler.planning.replace import note_downtime
from reconciler.planning.unknown_fields import carried, live_record, paths, unknown_fields

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _LiveIndex:
    """A live zone's apps normalized once, by identity (dns.name, protocol)."""

    zone: LiveZone
    spec: ZoneSpec
    apps: Mapping[AppKey, tuple[LiveApp, dict[str, Any]]]


def _find_live_zone(spec: ZoneSpec, live: Sequence[LiveZone]) -> LiveZone:
    for zone in live:
        if spec.zone_id and zone.zone_id == spec.zone_id:
            return zone
        if not spec.zone_id and spec.name and zone.name.lower() == spec.name.lower():
            return zone
    raise PlanError(
        f"zone {spec.label} is declared but was not among the live zones; "
        "check the zone name or id and the token's access to it"
    )


def _index_zone(spec: ZoneSpec, zone: LiveZone) -> _LiveIndex:
    apps: dict[AppKey, tuple[LiveApp, dict[str, Any]]] = {}
    for app in zone.apps:
        key = app_key(zone.name, app.config)
        if key in apps:
            raise PlanError(
                f"zone {zone.name}: live apps {apps[key][0].app_id} and {app.app_id} share the "
                f"identity {key}; delete one of them in Cloudflare, then plan again"
            )
        apps[key] = (app, normalize_app(app.config))
    return _LiveIndex(zone, spec, apps)


def _zone_lookup(indexes: Sequence[_LiveIndex]) -> dict[str, _LiveIndex]:
    """Every spelling a desired app may use for its zone: the declared label, name, or id."""
    lookup: dict[str, _LiveIndex] = {}
    for index in indexes:
        for label in (index.spec.label, index.zone.name, index.zone.zone_id):
            lookup[label.lower()] = index
    return lookup


def _stamp(key: AppKey, app: LiveApp, normalized: Mapping[str, Any]) -> LiveAppStamp:
    modified_on = app.config.get("modified_on")
    record = live_record(app.config, normalized)  # unknown fields too: a stale plan sees them
    return LiveAppStamp(
        key, None if modified_on is None else str(modified_on), fingerprint(record), record
    )


def _snapshot(index: _LiveIndex, matched: set[AppKey]) -> ZoneSnapshot:
    stamps = {app.app_id: _stamp(key, app, norm) for key, (app, norm) in index.apps.items()}
    spec = index.spec
    kept = [] if spec.guardrails.prune else [a.app_id for _, a, _ in _undeclared(index, matched)]
    return ZoneSnapshot(
        index.zone.name, index.zone.zone_id, stamps, spec.safety, spec.ignore, spec.guardrails,
        tuple(sorted(kept)), spec.token_env or DEFAULT_TOKEN_ENV,
    )  # fmt: skip


def _create(key: AppKey, zone_id: str, desired: DesiredApp, after: dict[str, Any]) -> Action:
    body = request_body(desired.config)
    return Action(ActionKind.CREATE, key, zone_id, after=after, body=body, source=desired.source)


def _change(
    key: AppKey,
    zone_id: str,
    desired: DesiredApp,
    live: LiveApp,
    before: dict[str, Any],
    after: dict[str, Any],
) -> Action:
    changes = diff_apps(before, after)
    reasons = replace_reasons(before, after)
    unknown = unknown_fields(live.config)
    if reasons:  # delete then create: the new app gets only what the user declared
        kind, body = ActionKind.RECREATE, request_body(desired.config)
    else:  # a PUT replaces the whole app: what this tool does not know goes back unchanged
        kind, body = ActionKind.UPDATE, carried(update_body(desired.config, live.config), unknown)
        if unknown:
            reasons = (f"kept as they are (unknown to this tool): {', '.join(paths(unknown))}",)
    record = live_record(live.config, before)
    return Action(
        kind, key, zone_id, app_id=live.app_id, before=record, after=after, body=body,
        changes=changes, reasons=reasons, source=desired.source,
    )  # fmt: skip


def _is_ignored(key: AppKey, patterns: Sequence[str]) -> bool:
    return any(matches(pattern, key.dns_name) for pattern in patterns)


def _plan_desired(
    desired: DesiredState, lookup: Mapping[str, _LiveIndex]
) -> tuple[list[Action], set[AppKey], int]:
    actions: list[Action] = []
    matched: set[AppKey] = set()
    unchanged = 0
    for app in desired.apps:
        index = lookup.get(app.key.zone.lower())
        if index is None:
            raise PlanError(
                f"{app.source}: app {app.key} names zone {app.key.zone}, which no file "
                "declares; declare the zone"
            )
        _check_in_zone(app, index)
        key = AppKey.of(index.zone.name, app.key.dns_name, app.key.protocol)
        after = normalize_app(app.config)
        twin = index.apps.get(key)
        if twin is None:
            actions.append(_create(key, index.zone.zone_id, app, after))
            continue
        matched.add(key)
        live, before = twin
        if before == after:
            unchanged += 1
        else:
            actions.append(_change(key, index.zone.zone_id, app, live, before, after))
    return actions, matched, unchanged


def _check_in_zone(app: DesiredApp, index: _LiveIndex) -> None:
    """A zone declared by id only has its name from the API: the hostname check ``validate``
    makes for a named zone is made here, before anything is written (Cloudflare: 11909)."""
    zone, name = index.zone.name.lower(), app.key.dns_name.lower()
    if index.spec.name or "." not in zone or name == zone or name.endswith("." + zone):
        return
    raise PlanError(
        f"{app.source}: {app.key.dns_name} is not in zone {zone} (zone_id "
        f"{index.zone.zone_id}) — use a name under {zone}, or move the app to a file for its "
        "own zone; nothing was written"
    )


_Undeclared = list[tuple[AppKey, LiveApp, dict[str, Any]]]


def _undeclared(index: _LiveIndex, matched: set[AppKey]) -> _Undeclared:
    """Live apps (key, app, normalized) no file declares and no ignore pattern covers."""
    return [
        (key, live, before)
        for key, (live, before) in index.apps.items()
        if key not in matched and not _is_ignored(key, index.spec.ignore)
    ]


def _plan_deletions(index: _LiveIndex, matched: set[AppKey]) -> list[Action]:
    if not index.spec.guardrails.prune:
        return []  # prune: false keeps them; the snapshot lists them as unmanaged
    return [
        Action(
            ActionKind.DELETE,
            key,
            index.zone.zone_id,
            app_id=live.app_id,
            before=live_record(live.config, before),
        )
        for key, live, before in _undeclared(index, matched)
    ]


def build_plan(desired: DesiredState, live: Sequence[LiveZone]) -> Plan:
    """The actions that make the declared zones' live apps match the desired state.

    Pure, and it forms no reference cycles: callers planning many apps may pause the garbage
    collector around it (``gcpause.collector_paused``), as the CLI's shells do.
    """
    indexes = [_index_zone(spec, _find_live_zone(spec, live)) for spec in desired.zones]
    _refuse_one_zone_declared_twice(indexes)
    actions, matched, unchanged = _plan_desired(desired, _zone_lookup(indexes))
    for index in indexes:
        actions.extend(_plan_deletions(index, matched))
    actions = note_downtime(actions)  # a delete freeing a port for a create is one replace
    plan = Plan(
        tuple(actions), unchanged=unchanged, zones=tuple(_snapshot(i, matched) for i in indexes)
    )
    log.info("plan: %s", ", ".join(f"{n} {kind}" for kind, n in plan.summary.items()))
    return plan


def _refuse_one_zone_declared_twice(indexes: Sequence[_LiveIndex]) -> None:
    """Two declarations (one by name, one by id) of one live zone would each delete the other's
    apps; offline validation cannot see that they are the same zone, so the planner refuses."""
    seen: dict[str, ZoneSpec] = {}
    for index in indexes:
        other = seen.setdefault(index.zone.zone_id, index.spec)
        if other is not index.spec:
            raise PlanError(
                f"zone {index.zone.name} ({index.zone.zone_id}) is declared twice, as "
                f"{other.label!r} and as {index.spec.label!r}; give it both zone and zone_id "
                "in every file that declares it"
            )


@dataclass(frozen=True)
class Drift:
    """Every difference between live and git, by kind.

    ``changed``: apps edited outside git (update or recreate actions, with their fields);
    ``unmanaged``: live apps nobody declared (deletes); ``missing``: declared apps absent (creates);
    ``kept``: live apps nobody declared that ``prune: false`` keeps (never deleted, still drift).
    """

    changed: tuple[Action, ...] = ()
    unmanaged: tuple[Action, ...] = ()
    missing: tuple[Action, ...] = ()
    kept: tuple[Action, ...] = ()
    warnings: tuple[PlanWarning, ...] = ()  # the address check's, as on the plan
    address_checks: str = "not needed"

    @property
    def has_drift(self) -> bool:
        return bool(self.changed or self.unmanaged or self.missing or self.kept)


def classify_drift(plan: Plan) -> Drift:
    """Sort a plan's actions into the three kinds of drift."""

    def of(*kinds: ActionKind) -> tuple[Action, ...]:
        return tuple(a for a in plan.actions if a.kind in kinds)

    return Drift(
        changed=of(ActionKind.UPDATE, ActionKind.RECREATE),
        unmanaged=of(ActionKind.DELETE),
        missing=of(ActionKind.CREATE),
        warnings=plan.warnings,
        address_checks=plan.address_checks,
    )
