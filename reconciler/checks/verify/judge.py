"""Pure: one function per check, each (target, what was read) -> a ``Check``; ``judge`` runs
them all for one app. Every reason names the app's part that failed and, where it can, why."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from reconciler.checks.addressing import AddressPlane, AddressUse, Finding, check_addresses
from reconciler.checks.verify.values import (
    AppHealth,
    Check,
    Health,
    Observed,
    Target,
    Unread,
    probe_targets,
)
from reconciler.planning.diff import diff_apps
from reconciler.planning.normalize import app_key, normalize_app

DEGRADED, HEALTHY, UNKNOWN = Health.DEGRADED, Health.HEALTHY, Health.UNKNOWN


def judge(target: Target, observed: Observed) -> AppHealth:
    """Every check on one app, in a fixed order (the probe only when it ran)."""
    checks = [
        read_back(target, observed),
        dns_record(target, observed),
        addresses(target, observed),
        traffic(target, observed),
    ]
    if observed.probes is not None:
        checks.append(probe(target, observed))
    return AppHealth(target, tuple(checks))


def read_back(target: Target, observed: Observed) -> Check:
    """The live app (by id, else by identity) equals the desired one once both are normalized."""
    apps = observed.apps.get(target.zone_id)
    if apps is None or isinstance(apps, Unread):
        why = apps.reason if isinstance(apps, Unread) else "not read"
        return Check("read_back", UNKNOWN, f"the zone's live apps could not be read: {why}")
    live = _live_app(target, apps)
    if live is None:
        ident = f"app {target.app_id}" if target.app_id else f"{target.key}"
        return Check("read_back", DEGRADED, f"{ident} is not live in zone {target.key.zone}")
    changes = diff_apps(normalize_app(live), target.desired)
    if changes:
        fields = ", ".join(c.path for c in changes)
        return Check("read_back", DEGRADED, f"the live app differs from the files: {fields}")
    return Check("read_back", HEALTHY, "the live app equals the files")


def _live_app(target: Target, apps: Mapping[str, Mapping[str, Any]]) -> Mapping[str, Any] | None:
    if target.app_id is not None:
        return apps.get(target.app_id)
    for config in apps.values():
        if app_key(target.key.zone, config) == target.key:
            return config
    return None


def dns_record(target: Target, observed: Observed) -> Check:
    """A DNS record on the hostname that the API marks as Spectrum's own (read-only)."""
    records = observed.records.get(target.zone_id)
    if records is None or isinstance(records, Unread):
        why = records.reason if isinstance(records, Unread) else "not read"
        return Check("dns", UNKNOWN, f"the zone's DNS records could not be read: {why}")
    name = target.key.dns_name
    on_name = [r for r in records if r.name.rstrip(".").lower() == name]
    owned = [r for r in on_name if r.spectrum]
    if owned:
        kinds = "/".join(sorted({r.type for r in owned}))
        return Check("dns", HEALTHY, f"Spectrum's {kinds} record for {name}")
    if on_name:
        kinds = "/".join(sorted({r.type for r in on_name}))
        return Check(
            "dns", UNKNOWN, f"{name} has a {kinds} record the API does not mark as Spectrum's"
        )
    return Check("dns", DEGRADED, f"no Spectrum DNS record for {name}")


def addresses(target: Target, observed: Observed) -> Check:
    """Each static edge IP: approved, advertised, on an active Spectrum binding."""
    ips = target.static_ips
    if not ips:
        return Check("addresses", None, "dynamic edge IPs: Cloudflare's own, nothing to check")
    plane = _plane(target, observed)
    if isinstance(plane, Unread):
        return Check("addresses", UNKNOWN, f"the address plane could not be read: {plane.reason}")
    use = AddressUse(target.key, plane.account_id, target.transport, ips, target.source)
    findings = check_addresses([use], {plane.account_id: plane})
    degraded = [f for f in findings if f.kind != "ip_not_byoip"]
    if degraded:
        why = "; ".join(f"{f.ip} cannot receive traffic: {cause(f, plane)}" for f in degraded)
        return Check("addresses", DEGRADED, why)
    if findings:
        listed = ", ".join(f.ip for f in findings)
        return Check("addresses", UNKNOWN, f"{listed}: in no BYOIP prefix of the account (leased?)")
    noun = "IP" if len(ips) == 1 else "IPs"
    return Check(
        "addresses", HEALTHY, f"{len(ips)} static {noun}: approved, advertised, Spectrum (active)"
    )


def _plane(target: Target, observed: Observed) -> AddressPlane | Unread:
    account = observed.accounts.get(target.zone_id, Unread("not read"))
    if isinstance(account, Unread):
        return account
    return observed.planes.get(account, Unread("not read"))


def cause(finding: Finding, plane: AddressPlane) -> str:
    """A finding in a few words: ``203.0.113.0/24 is not advertised``."""
    try:
        ip = ipaddress.ip_address(finding.ip)
    except ValueError:
        return "it is not an IP address"
    prefix = plane.prefix_for(ip)
    if prefix is None:
        return "it is in no BYOIP prefix"
    advert = prefix.advertisement_for(ip)
    binding = prefix.binding_for(ip)
    return {
        "prefix_withdrawn": f"{advert.cidr if advert else prefix.cidr} is not advertised",
        "prefix_not_approved": f"{prefix.cidr} is not approved ({prefix.approved})",
        "binding_not_spectrum": f"its binding goes to {binding.service}, not Spectrum"
        if binding
        else "no service binding covers it",
        "binding_provisioning": f"its Spectrum binding is {binding.state if binding else '?'}",
        "binding_route_missing": "its Spectrum binding is held in magic_transit_route_missing",
        "udp_on_magic_transit": "UDP on a Magic Transit binding",
    }.get(finding.kind, finding.kind)


def traffic_resumed(target: Target, observed: Observed) -> bool | None:
    """Whether the new id has connections; None when that cannot be read."""
    if observed.traffic is None or target.app_id is None:
        return None
    zone = observed.traffic.get(target.zone_id)
    if zone is None:
        return None
    return zone.get(target.app_id, 0) > 0


def traffic(target: Target, observed: Observed) -> Check:
    """An app that carried traffic before its recreate or replace carries it again."""
    if not target.recreated:
        return Check("traffic", None, "not recreated: its traffic was not cut")
    if observed.traffic is None:
        return Check("traffic", None, "traffic not read: no analytics reader in this run")
    if target.carried is None:
        return Check("traffic", UNKNOWN, "traffic before the recreate is unknown")
    if not target.carried:
        return Check("traffic", None, "idle before the recreate: nothing to resume")
    resumed = traffic_resumed(target, observed)
    if resumed is None:
        return Check("traffic", UNKNOWN, "the zone's analytics could not be read")
    if resumed:
        count = (observed.traffic.get(target.zone_id) or {}).get(target.app_id or "", 0)
        return Check("traffic", HEALTHY, f"{count} connections under the new id")
    blocked = addresses(target, observed)
    why = blocked.detail.split(": ", 1)[-1] if blocked.health is DEGRADED else ""
    return Check("traffic", DEGRADED, "traffic has not resumed" + (f": {why}" if why else ""))


def probe(target: Target, observed: Observed) -> Check:
    """``--probe``: every TCP edge IP and port connected; UDP is not probed (and said)."""
    if target.transport != "tcp":
        return Check("probe", None, f"{target.transport.upper()}: not probed (TCP only)")
    results = observed.probes or {}
    failed, missing = [], []
    for spot in probe_targets(target):
        if spot not in results:
            missing.append(str(spot))
        elif results[spot] is not None:
            failed.append(f"TCP connect to {spot} failed: {results[spot]}")
    if failed:
        return Check("probe", DEGRADED, "; ".join(failed))
    if missing:
        return Check("probe", UNKNOWN, f"not probed: {', '.join(missing)}")
    spots = ", ".join(str(s) for s in probe_targets(target))
    return Check("probe", HEALTHY, f"TCP connect to {spots}")
