"""Preflight: every refusal Cloudflare documents for a plan's writes, known before the first.

In: a Plan, ``PreflightReads`` (the live client fills it: a zone's account and plan, its A/AAAA/
CNAME records, an account's zones and their apps) and the command's ``AddressChecks``
(``strict``, ``account_wide``, ``ipv4_hostname_quota``). Out: the Plan with ``refusals``,
preflight ``warnings`` and what was checked (``preflight``, ``preflight_notes``). Nothing is
raised here: the command shows the plan, then its refusals, and exits 1 before any write.

Reads, each once and only when the plan needs it: a zone's facts for every zone with a write
(free when the zone was looked up by name: the lookup carries them); the DNS records of each
zone with a create or recreate; the zone list of each account with an ``origin_dns`` write;
with ``--account-wide`` and a new IPv4 hostname, the account's zone list and its undeclared
zones' apps. An all-update plan reads nothing more.

warned   ``origin_dns_outside_account``  an origin_dns name in no zone of the account (11050;
                                   which zones Cloudflare permits is not documented)
refused  ``dns_record_conflict``   a manual proxied A/AAAA/CNAME record holds the hostname
         ``ipv4_hostname_quota``   the account's unique hostnames on Cloudflare IPv4 pass the
                                   quota (12005)
         ``spectrum_not_in_plan``  a Free zone
         ``field_not_in_plan``     below Enterprise, a field beyond protocol/dns/origin_direct
                                   (10012)
         ``protocol_not_in_plan``  below Enterprise, a protocol the plan does not sell (13002)
         ``one_app_per_protocol``  below Enterprise, a second app of one protocol (11034)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from reconciler.checks.preflight.facts import (
    HostRecord,
    PreflightReads,
    ZoneFacts,
    host_records_from_api,
    zone_facts_from_api,
)
from reconciler.checks.preflight.rules import (
    REFUSED_KINDS,
    WARNING_KINDS,
    dns_record_conflict,
    entitlement,
    ipv4_hostname_quota,
    one_app_per_protocol,
    origin_dns_name,
    origin_dns_outside_account,
    uses_cloudflare_ipv4,
    writes_hostname,
)
from reconciler.checks.static_ips import (
    DEFAULT_CHECKS,
    AddressChecks,
    idle_zone_ids,
    not_written_note,
)
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind, Plan, PlanWarning
from reconciler.planning.replace import replace_units

__all__ = [
    "REFUSED_KINDS",
    "WARNING_KINDS",
    "HostRecord",
    "PreflightReads",
    "ZoneFacts",
    "check_plan",
    "host_records_from_api",
    "zone_facts_from_api",
]

_WRITES = (ActionKind.CREATE, ActionKind.UPDATE, ActionKind.RECREATE)


def check_plan(
    plan: Plan,
    reads: PreflightReads,
    checks: AddressChecks = DEFAULT_CHECKS,
    *,
    idle_zones: Iterable[str] = (),
) -> Plan:
    """The plan with every preflight finding; warnings become refusals with ``strict``. The
    findings of a zone nothing is written to (``mode: observe``, or ``idle_zones``: the
    guardrails hold it) are warnings that say so, and never stop another zone."""
    earlier = tuple(w for w in plan.warnings if w.kind not in WARNING_KINDS)  # address check's
    writes = [a for a in plan.actions if a.kind in _WRITES]
    if not writes:
        return dataclasses.replace(plan, warnings=earlier, refusals=(), preflight="not needed")
    facts = {zid: reads.zone_facts(zid) for zid in sorted({a.zone_id for a in writes})}
    found = [*_entitlements(plan, writes, facts), *_dns_conflicts(plan, writes, reads)]
    found += _origin_zones(writes, facts, reads)
    quota, notes = _quota(plan, writes, facts, reads, checks)
    found += quota
    idle = idle_zone_ids(plan, idle_zones)
    idle_keys = {a.key for a in writes if a.zone_id in idle}
    refusing = [f for f in found if f.kind in REFUSED_KINDS or checks.strict]
    refused = tuple(f for f in refusing if f.key not in idle_keys)
    warned = tuple(_not_refused(f) if f in refusing else f for f in found if f not in refused)
    return dataclasses.replace(
        plan,
        warnings=earlier + warned,
        refusals=refused,
        preflight="checked",
        preflight_notes=tuple(notes),
    )


def _not_refused(found: PlanWarning) -> PlanWarning:
    return dataclasses.replace(found, message=f"{found.message}{not_written_note(found.key.zone)}")


def _held(plan: Plan) -> dict[str, list[AppKey]]:
    """Each zone's live apps' keys, as the plan saw them."""
    return {zone.zone_id: [s.key for s in zone.apps.values()] for zone in plan.zones}


def _entitlements(
    plan: Plan, writes: Sequence[Action], facts: Mapping[str, ZoneFacts]
) -> list[PlanWarning]:
    found = [f for a in writes if (f := entitlement(a, facts[a.zone_id].plan)) is not None]
    refused = {f.key for f in found}  # one finding per app: the plan's first word on it
    units, _ = replace_units(plan.actions)
    freed = [a.key for unit in units for a in unit.deletes]
    freed += [a.key for a in writes if a.kind is ActionKind.RECREATE]
    held = _held(plan)
    for zone_id, zone in facts.items():
        creates = [a for a in writes if a.zone_id == zone_id and a.kind is ActionKind.CREATE]
        extra = one_app_per_protocol(creates, held.get(zone_id, []), freed, zone.plan)
        found += [f for f in extra if f.key not in refused]
    return found


def _dns_conflicts(
    plan: Plan, writes: Sequence[Action], reads: PreflightReads
) -> list[PlanWarning]:
    creating = [a for a in writes if writes_hostname(a)]
    held = {zid: {key.dns_name for key in keys} for zid, keys in _held(plan).items()}
    records = {zid: reads.host_records(zid) for zid in sorted({a.zone_id for a in creating})}
    found = [dns_record_conflict(a, records[a.zone_id], held.get(a.zone_id, ())) for a in creating]
    return [f for f in found if f is not None]


def _origin_zones(
    writes: Sequence[Action], facts: Mapping[str, ZoneFacts], reads: PreflightReads
) -> list[PlanWarning]:
    """Each account's zone names, read once and only when a write carries an origin_dns."""
    with_origin = [a for a in writes if origin_dns_name(a) is not None]
    accounts = sorted({facts[a.zone_id].account_id for a in with_origin})
    names = {acc: [reads.zone_facts(z).name for z in reads.account_zones(acc)] for acc in accounts}
    found = []
    for action in with_origin:
        account = facts[action.zone_id].account_id
        found.append(origin_dns_outside_account(action, names[account], account))
    return [f for f in found if f is not None]


def _quota(
    plan: Plan,
    writes: Sequence[Action],
    facts: Mapping[str, ZoneFacts],
    reads: PreflightReads,
    checks: AddressChecks,
) -> tuple[list[PlanWarning], list[str]]:
    """Only when the plan brings a hostname onto Cloudflare IPv4 that is not there already."""
    live = {
        zone.zone_id: {s.key.dns_name for s in zone.apps.values() if uses_cloudflare_ipv4(s.config)}
        for zone in plan.zones
    }
    adding = [
        a
        for a in writes
        if uses_cloudflare_ipv4(a.after) and a.key.dns_name not in live.get(a.zone_id, set())
    ]
    if not adding:
        return [], []
    declared = {zone.zone_id for zone in plan.zones}
    account_of = {zid: reads.zone_facts(zid).account_id for zid in sorted(declared)}
    account_of.update({zid: f.account_id for zid, f in facts.items()})
    found: list[PlanWarning] = []
    notes: list[str] = []
    for account in sorted({account_of[a.zone_id] for a in adding}):
        zones = [zid for zid, acc in account_of.items() if acc == account]
        counted = set().union(*(live.get(zid, set()) for zid in zones))
        counted |= {
            a.key.dns_name for a in writes if a.zone_id in zones and uses_cloudflare_ipv4(a.after)
        }
        if checks.account_wide:
            for zone_id in reads.account_zones(account):
                if zone_id not in declared:
                    counted |= _ipv4_names(reads.zone_apps(zone_id))
        else:
            notes.append(
                f"IPv4 hostname quota of account {account}: {len(counted)} of "
                f"{checks.ipv4_hostname_quota} counted over the declared zones only "
                "(--account-wide counts the account's other zones too)"
            )
        mine = [a for a in adding if account_of[a.zone_id] == account]
        found += ipv4_hostname_quota(
            mine, counted, checks.ipv4_hostname_quota, account, not checks.account_wide
        )
    return found, notes


def _ipv4_names(apps: Sequence[Mapping[str, object]]) -> set[str]:
    names = set()
    for app in apps:
        dns = app.get("dns")
        if isinstance(dns, Mapping) and uses_cloudflare_ipv4(app):
            names.add(str(dns.get("name") or "").lower())
    return names
