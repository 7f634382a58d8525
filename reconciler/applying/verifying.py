"""Shell: verify that the apps an apply wrote (or every declared app) serve.

In: a plan and its apply report (``targets_after``), or a plan made from the files
(``targets_declared``); the live client; ``VerifyOptions``. Out: a ``Verification``
(``checks.verify``) — one read of each zone's apps and DNS records, the address plane (the
client's, once per account), ``--probe``'s connects, and, for an app that carried traffic before
a recreate or replace, the zone's current connections polled every ``poll_every`` seconds (under
the client's limiter) until traffic resumes or ``timeout`` passes.

Traffic is read through ``TrafficReads``; ``traffic_reader_for`` is the one seam that builds
it from a client. ``verify`` given none (``verify PATHS``: nothing was recreated) skips the
traffic check, and says so when a recreated app needed it.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from reconciler.applying.report import ApplyReport, Status
from reconciler.checks.verify import (
    Observed,
    Target,
    Unread,
    Verification,
    judge,
    probe_targets,
    traffic_resumed,
)
from reconciler.checks.verify.judge import addresses
from reconciler.checks.verify.values import Health
from reconciler.errors import ReconcilerError
from reconciler.live.cloudflare import CloudflareClient
from reconciler.live.probe import probe_all
from reconciler.model import AppKey, DesiredState, LiveZone
from reconciler.plan import Action, ActionKind, Plan
from reconciler.planning.normalize import normalize_app
from reconciler.planning.replace import collides

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 300.0  # --verify-timeout: 5 minutes
POLL_EVERY = 15.0  # between reads of the current connections (each one request per zone)
T = TypeVar("T")
_WRITES = (ActionKind.CREATE, ActionKind.UPDATE, ActionKind.RECREATE)


class TrafficReads(Protocol):
    """The apps' current connections (Spectrum's ``aggregate/current``): app id -> count for a
    zone, or None when the analytics cannot be read (permission, error)."""

    def current_connections(self, zone_id: str) -> Mapping[str, int] | None: ...


def traffic_reader_for(client: CloudflareClient) -> TrafficReads:
    """``client``'s analytics (``live/cloudflare/analytics.py``) as the verification reads them:
    each app's connections in the last minute (``aggregate/current``, read afresh each poll)."""
    return _CurrentConnections(client)


class _CurrentConnections:
    def __init__(self, client: CloudflareClient) -> None:
        self._client = client

    def current_connections(self, zone_id: str) -> Mapping[str, int] | None:
        zone = self._client.analytics.current(zone_id)
        if zone.apps is None:  # refused or unreadable: the client said why, once per zone
            return None
        return {app_id: traffic.connections for app_id, traffic in zone.apps.items()}


@dataclass(frozen=True)
class VerifyOptions:
    """``--verify-timeout`` (seconds), ``--probe``, and how often the poll reads traffic."""

    timeout: float = DEFAULT_TIMEOUT
    probe: bool = False
    poll_every: float = POLL_EVERY


DEFAULT_OPTIONS = VerifyOptions()


def carried_before(plan: Plan, traffic: TrafficReads | None) -> dict[str, bool | None]:
    """For each live app a recreate or replace will delete: did it carry traffic just now?
    (app id -> True/False, None when unknown). One read per zone; none without recreates."""
    old = [a for a in plan.actions if _cuts_traffic(a, plan) and a.app_id]
    if traffic is None or not old:
        return {}
    zones = {zone_id: _connections(traffic, zone_id) for zone_id in {a.zone_id for a in old}}
    return {
        str(a.app_id): None
        if zones[a.zone_id] is None
        else (zones[a.zone_id] or {}).get(str(a.app_id), 0) > 0
        for a in old
    }


def _cuts_traffic(action: Action, plan: Plan) -> bool:
    """A recreate, or the delete of a replace (a create of a colliding identity follows)."""
    if action.kind is ActionKind.RECREATE:
        return True
    return action.kind is ActionKind.DELETE and _replaced_by(action, plan) is not None


def _replaced_by(delete: Action, plan: Plan) -> Action | None:
    creates = (a for a in plan.actions if a.kind is ActionKind.CREATE)
    return next((c for c in creates if collides(delete.key, c.key)), None)


def targets_after(
    plan: Plan, report: ApplyReport, carried: Mapping[str, bool | None]
) -> list[Target]:
    """Every app the apply created, updated, recreated or replaced (done), with its new id."""
    old_of = _replaced_ids(plan)
    targets = []
    for outcome in report.outcomes:
        action = outcome.action
        if outcome.status is not Status.DONE or action.kind not in _WRITES:
            continue
        before = action.app_id if action.kind is ActionKind.RECREATE else old_of.get(action.key)
        targets.append(
            Target(
                action.key,
                action.zone_id,
                outcome.new_app_id or action.app_id,
                action.after or {},
                action.source,
                carried=carried.get(before) if before else None,
                recreated=before is not None,
            )
        )
    return targets


def _replaced_ids(plan: Plan) -> dict[AppKey, str]:
    """A replace's create -> the id of the app its delete removes."""
    found = {}
    for action in plan.actions:
        if action.kind is ActionKind.DELETE and action.app_id:
            create = _replaced_by(action, plan)
            if create is not None:
                found[create.key] = action.app_id
    return found


def targets_declared(plan: Plan, desired: DesiredState) -> list[Target]:
    """Every declared app (``verify PATHS``), with the live id the plan found for it."""
    zone_ids: dict[str, str] = {}
    ids: dict[AppKey, str] = {}
    for zone in plan.zones:
        zone_ids[zone.name.lower()] = zone_ids[zone.zone_id.lower()] = zone.zone_id
        ids.update({stamp.key: app_id for app_id, stamp in zone.apps.items()})
    names = {zone.zone_id: zone.name for zone in plan.zones}
    targets = []
    for app in desired.apps:
        zone_id = zone_ids.get(app.key.zone.lower(), "")
        key = AppKey.of(names.get(zone_id, app.key.zone), app.key.dns_name, app.key.protocol)
        targets.append(Target(key, zone_id, ids.get(key), normalize_app(app.config), app.source))
    return targets


def verify(
    client: CloudflareClient,
    targets: Sequence[Target],
    options: VerifyOptions = DEFAULT_OPTIONS,
    *,
    traffic: TrafficReads | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    live: Sequence[LiveZone] = (),
) -> Verification:
    """Read what the checks need, wait for traffic where it must resume, judge every app.

    ``live``: zones whose apps were just read (``verify PATHS``), not read again; after an
    apply they must be (the writes changed them), so it passes none."""
    observed = observe(client, targets, options, traffic, live)
    waiting = [t for t in targets if t.carried]
    if traffic is not None and waiting:
        observed = _wait_for_traffic(waiting, observed, traffic, options, sleep, clock)
    unread = traffic is None and any(t.recreated for t in targets)
    notes = ("traffic not read: no analytics reader in this run",) if unread else ()
    return Verification(tuple(judge(t, observed) for t in targets), notes)


def observe(
    client: CloudflareClient,
    targets: Sequence[Target],
    options: VerifyOptions,
    traffic: TrafficReads | None,
    live: Sequence[LiveZone] = (),
) -> Observed:
    """One read of everything the checks judge (each failed read becomes ``Unread``); the
    apps of a zone in ``live`` are taken from it."""
    read = {zone.zone_id: {app.app_id: app.config for app in zone.apps} for zone in live}
    zones = sorted({t.zone_id for t in targets if t.zone_id})
    static = sorted({t.zone_id for t in targets if t.zone_id and t.static_ips})
    accounts = {z: _read(client.addresses.account_of_zone, z) for z in static}
    known = sorted({a for a in accounts.values() if isinstance(a, str)})
    return Observed(
        apps={z: read[z] if z in read else _read(_apps_of, client, z) for z in zones},
        records={z: _read(client.preflight.read_host_records, z) for z in zones},
        accounts=accounts,
        planes={a: _read(client.addresses.plane, a) for a in known},
        traffic=None if traffic is None else _traffic(traffic, targets),
        probes=probe_all(p for t in targets for p in probe_targets(t)) if options.probe else None,
    )


def _apps_of(client: CloudflareClient, zone_id: str) -> dict[str, Mapping[str, Any]]:
    return {app.app_id: app.config for app in client.list_apps(zone_id)}


def _wait_for_traffic(
    waiting: Sequence[Target],
    observed: Observed,
    traffic: TrafficReads,
    options: VerifyOptions,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
) -> Observed:
    """Poll the current connections until every waiting app has some, cannot (its static IPs
    cannot receive traffic, its analytics cannot be read), or the timeout passes."""
    deadline = clock() + options.timeout
    pending = _pending(waiting, observed)
    while pending and clock() < deadline:
        log.info("verify: waiting for traffic to resume on %d apps", len(pending))
        sleep(min(options.poll_every, max(0.0, deadline - clock())))
        observed = dataclasses.replace(observed, traffic=_traffic(traffic, pending))
        pending = _pending(pending, observed)
    return observed


def _pending(targets: Iterable[Target], observed: Observed) -> list[Target]:
    return [
        t
        for t in targets
        if traffic_resumed(t, observed) is False
        and addresses(t, observed).health is not Health.DEGRADED
    ]


def _traffic(
    traffic: TrafficReads, targets: Iterable[Target]
) -> dict[str, Mapping[str, int] | None]:
    return {z: _connections(traffic, z) for z in sorted({t.zone_id for t in targets})}


def _connections(traffic: TrafficReads, zone_id: str) -> Mapping[str, int] | None:
    try:
        return traffic.current_connections(zone_id)
    except ReconcilerError as error:
        log.warning("verify: traffic of zone %s not read: %s", zone_id, error)
        return None


def _read(read: Callable[..., T], *args: Any) -> T | Unread:
    """``read(*args)``, or the error it raised as ``Unread`` (its check ends ``unknown``)."""
    try:
        return read(*args)
    except ReconcilerError as error:
        return Unread(str(error))
