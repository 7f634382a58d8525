"""Check static edge IPs against the live address plane before anything is written.

In: a Plan (``plan``, ``apply``: every app it creates, updates or recreates) or a desired state
(``drift``: every declared app), the address plane's reader (``client.addresses``), and the
command's ``AddressChecks``. Out: the Plan
with its ``warnings`` and ``address_checks`` set, or ``AddressRefusedError`` (exit 1) naming
every refused IP — raised before any write. With ``strict`` warnings are refused too.

Checks refuse only what will be written: the findings of a zone nothing is written to (``mode:
observe``, or a zone the guardrails hold, given as ``idle_zones``) are warnings that say so, and
never stop another zone.

The address plane is read only when an app to check has static edge IPs, once per account
(``client.addresses`` caches it), and an account's address maps only when some of those IPs are
in no prefix of its own (leased or delegated IPs sit there, and are not warned); ``skip`` reads
nothing and the plan says so.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from reconciler.checks.addressing import (
    Address,
    AddressPlane,
    AddressUse,
    Finding,
    MappedIPs,
    check_addresses,
    outside_prefixes,
)
from reconciler.desired.policy import OBSERVE
from reconciler.desired.ports import protocol_ports
from reconciler.errors import AddressRefusedError
from reconciler.model import AppKey, DesiredState, Location, Problem
from reconciler.plan import ActionKind, Plan, PlanWarning
from reconciler.planning.normalize import normalize_app

_WRITES = (ActionKind.CREATE, ActionKind.UPDATE, ActionKind.RECREATE)
# What one app contributes: zone id, key, normalized app, where it is declared.
Target = tuple[str, AppKey, Mapping[str, Any], Location | None]


@dataclass(frozen=True)
class AddressChecks:
    """How a command checks a plan before writing: ``strict`` refuses warnings, ``skip`` reads
    no address plane; the preflight's ``account_wide`` counts the IPv4 hostname quota over the
    account's undeclared zones too, against ``ipv4_hostname_quota``; each delete and recreate
    shows its app's traffic over ``traffic_window_s`` (``checks.traffic``)."""

    strict: bool = False
    skip: bool = False
    account_wide: bool = False
    ipv4_hostname_quota: int = 10
    traffic_window_s: float = 86400.0


DEFAULT_CHECKS = AddressChecks()


class AddressPlanes(Protocol):
    """Where the check reads the address plane: the live client's ``addresses`` (one read per
    account, cached there). A protocol, so that the check never imports the client."""

    def account_of_zone(self, zone_id: str) -> str: ...

    def plane(self, account_id: str) -> AddressPlane: ...

    def address_maps(self, account_id: str, wanted: frozenset[Address]) -> MappedIPs: ...


def check_plan(
    plan: Plan,
    planes: AddressPlanes,
    checks: AddressChecks = DEFAULT_CHECKS,
    *,
    idle_zones: Iterable[str] = (),
) -> Plan:
    """Check every static IP the plan's creates, updates and recreates would write; those of
    observe-only zones and of ``idle_zones`` (zone ids the guardrails hold) only warn."""
    targets = [
        (a.zone_id, a.key, a.after or {}, a.source) for a in plan.actions if a.kind in _WRITES
    ]
    return _checked(plan, planes, checks, targets, frozenset(idle_zones))


def check_declared(
    plan: Plan,
    desired: DesiredState,
    planes: AddressPlanes,
    checks: AddressChecks = DEFAULT_CHECKS,
) -> Plan:
    """Check every declared app's static IPs (for ``drift``: what git says should hold)."""
    zone_ids = {}
    for zone in plan.zones:
        zone_ids[zone.name.lower()] = zone.zone_id
        zone_ids[zone.zone_id.lower()] = zone.zone_id
    targets = [
        (
            zone_ids.get(app.key.zone.lower(), ""),
            app.key,
            normalize_app(app.config),
            app.source,
        )
        for app in desired.apps
    ]
    return _checked(plan, planes, checks, targets, frozenset())


def _checked(
    plan: Plan,
    planes: AddressPlanes,
    checks: AddressChecks,
    targets: Sequence[Target],
    idle_zones: frozenset[str],
) -> Plan:
    with_ips = [t for t in targets if static_ips_of(t[2]) and t[0]]
    if not with_ips:
        return dataclasses.replace(plan, warnings=(), address_checks="not needed")
    if checks.skip:
        return dataclasses.replace(plan, warnings=(), address_checks="skipped")
    uses = [_use(t, planes.account_of_zone(t[0])) for t in with_ips]
    read = {acc: planes.plane(acc) for acc in sorted({u.account_id for u in uses})}
    # Leased and delegated IPs are in no prefix of the account: its address maps vouch for them.
    outside = outside_prefixes(((u.account_id, ip) for u in uses for ip in u.ips), read)
    mapped = {acc: planes.address_maps(acc, ips) for acc, ips in sorted(outside.items())}
    findings = check_addresses(uses, read, mapped)
    idle_zones = idle_zone_ids(plan, idle_zones)
    idle = {key for zone_id, key, _, _ in with_ips if zone_id in idle_zones}
    refusing = [f for f in findings if f.refused or checks.strict]
    refused = [f for f in refusing if f.key not in idle]
    warnings = tuple(_warning(f, f in refusing) for f in findings if f not in refused)
    checked = dataclasses.replace(plan, warnings=warnings, address_checks="checked")
    if refused:
        problems = [_problem(f) for f in refused]
        raise AddressRefusedError(problems, _summary(refused, checks), plan=checked)
    return checked


def _warning(finding: Finding, held: bool) -> PlanWarning:
    """``held``: a refusal (``--strict``'s too) demoted because its zone is not written to."""
    if held:
        message = f"{finding.message}{not_written_note(finding.key.zone)}"
        return dataclasses.replace(finding, message=message).as_warning()
    return finding.as_warning()


def not_written_note(zone: str) -> str:
    """What a refusal demoted to a warning adds: its zone is not written to in this run."""
    return f" (not refused: zone {zone} is not written to in this run — fix it before it is)"


def idle_zone_ids(plan: Plan, idle_zones: Iterable[str] = ()) -> frozenset[str]:
    """The zones nothing is written to: ``idle_zones`` (the guardrails hold them) and every
    ``mode: observe`` zone."""
    observed = {z.zone_id for z in plan.zones if z.guardrails.mode == OBSERVE}
    return frozenset(idle_zones) | observed


def static_ips_of(config: Mapping[str, Any]) -> tuple[str, ...]:
    edge = config.get("edge_ips") or {}
    if not isinstance(edge, Mapping) or edge.get("type") != "static":
        return ()
    return tuple(str(ip) for ip in edge.get("ips") or ())


def _use(target: Target, account_id: str) -> AddressUse:
    _zone_id, key, config, source = target
    transport, _ports = protocol_ports(str(config.get("protocol") or key.protocol))
    return AddressUse(key, account_id, transport, static_ips_of(config), source)


def _problem(finding: Finding) -> Problem:
    return Problem(finding.source, _with_kind(finding))


def _with_kind(finding: Finding) -> str:
    return f"{finding.message} [{finding.kind}]"


def _summary(refused: Iterable[Finding], checks: AddressChecks) -> str:
    count = len(list(refused))
    noun = "static edge IP finding" if count == 1 else "static edge IP findings"
    why = " (--strict refuses warnings too)" if checks.strict else ""
    return f"{count} {noun} refused by the address check{why}; nothing was written"
