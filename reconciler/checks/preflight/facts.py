"""Pure: what the preflight checks read of an account, as values, and the protocol that reads it.

In: the API's zone and DNS record objects (``zone_facts_from_api``, ``host_records_from_api``).
Out: ``ZoneFacts`` (a zone's account and plan) and ``HostRecord``s (a zone's A, AAAA and CNAME
records), and ``PreflightReads``, which the live client fills: the check never imports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

PLANS = ("free", "pro", "business", "enterprise")
HOST_TYPES = ("A", "AAAA", "CNAME")


@dataclass(frozen=True)
class ZoneFacts:
    """A zone's account and Cloudflare plan (``plan.legacy_id``: free, pro, business,
    enterprise; ``unknown`` when the API names none of these), and its name."""

    zone_id: str
    account_id: str
    plan: str
    name: str = ""


@dataclass(frozen=True)
class HostRecord:
    """An A, AAAA or CNAME record; ``spectrum`` when the API marks it as Spectrum's own."""

    name: str
    type: str
    content: str
    proxied: bool
    spectrum: bool = False


class PreflightReads(Protocol):
    """What the checks read, once per zone or account, only when a plan needs it."""

    def zone_facts(self, zone_id: str) -> ZoneFacts: ...

    def host_records(self, zone_id: str) -> tuple[HostRecord, ...]: ...

    def account_zones(self, account_id: str) -> tuple[str, ...]: ...

    def zone_apps(self, zone_id: str) -> tuple[Mapping[str, Any], ...]: ...


def zone_facts_from_api(zone: Mapping[str, Any]) -> ZoneFacts:
    """A zone object (``GET /zones/{id}`` or an item of ``GET /zones``) as ``ZoneFacts``."""
    account = zone.get("account")
    account_id = str(account.get("id") or "") if isinstance(account, Mapping) else ""
    plan = zone.get("plan")
    legacy = str(plan.get("legacy_id") or "").lower() if isinstance(plan, Mapping) else ""
    known = legacy if legacy in PLANS else "unknown"
    name = str(zone.get("name") or "").lower().rstrip(".")
    return ZoneFacts(str(zone.get("id") or ""), account_id, known, name)


def host_records_from_api(items: Iterable[Mapping[str, Any]]) -> tuple[HostRecord, ...]:
    """The A, AAAA and CNAME records of a DNS record listing; other types are left out."""
    found = []
    for item in items:
        kind = str(item.get("type") or "").upper()
        if kind not in HOST_TYPES:
            continue
        meta = item.get("meta")
        owned = isinstance(meta, Mapping) and (
            meta.get("read_only") is True or meta.get("source") == "spectrum"
        )
        found.append(
            HostRecord(
                name=str(item.get("name") or "").lower().rstrip("."),
                type=kind,
                content=str(item.get("content") or ""),
                proxied=item.get("proxied") is True,
                spectrum=owned,
            )
        )
    return tuple(found)


def records_on(records: Sequence[HostRecord], hostname: str) -> list[HostRecord]:
    """The records named ``hostname`` (names compared as DNS does: case-insensitive)."""
    wanted = hostname.lower().rstrip(".")
    return [record for record in records if record.name == wanted]
