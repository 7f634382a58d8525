"""Pure: one function per refusal Cloudflare documents for a write, each returning findings.

In: a plan's actions, the facts the checks read (``facts``) and what the plan's zones hold.
Out: ``PlanWarning`` values of the kinds in ``REFUSED_KINDS`` (each names the app's
``file:line:col``, what Cloudflare would answer, and what to do). Sources: developers.
cloudflare.com/spectrum/ troubleshooting (cloudflare-docs PR #30683), reference/limitations
(PR #32473), protocols-per-plan, settings-by-plan and error-codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from reconciler.checks.preflight.facts import HostRecord, records_on
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind, PlanWarning

REFUSED_KINDS = (
    "dns_record_conflict",
    "ipv4_hostname_quota",
    "protocol_not_in_plan",
    "one_app_per_protocol",
    "field_not_in_plan",
    "spectrum_not_in_plan",
)
WARNING_KINDS = ("origin_dns_outside_account",)
PAYGO_FIELDS = frozenset({"protocol", "dns", "origin_direct"})
PLAN_PROTOCOLS = {"pro": ("ssh",), "business": ("ssh", "rdp")}
CONFLICT_TEXT = "An A, AAAA or CNAME record already exists with that host."
QUOTA_TEXT = "The zone has allocated all available IPv4 addresses"
ORIGIN_ZONE_TEXT = (
    "The DNS record or Load Balancer used as an origin lives on a different zone or a "
    "non-permitted zone."
)


def finding(kind: str, action: Action, message: str) -> PlanWarning:
    return PlanWarning(kind, action.key, None, f"{action.key}: {message}", action.source)


# --- the zone's plan -----------------------------------------------------------------------
def entitlement(action: Action, plan: str) -> PlanWarning | None:
    """Free sells no Spectrum; Pro and Business only a three-field body (10012) and the named
    protocols they include (13002). Enterprise (and a plan the API does not name) passes."""
    if plan == "free":
        return finding(
            "spectrum_not_in_plan",
            action,
            "the zone is on the Free plan, which has no Spectrum — move the zone to Pro or "
            "above (and buy the Spectrum add-on), or declare the app in another zone",
        )
    if plan not in PLAN_PROTOCOLS:
        return None
    body = action.body or {}
    extra = sorted(name for name, value in body.items() if value is not None)
    extra = [name for name in extra if name not in PAYGO_FIELDS]
    if extra:
        return finding(
            "field_not_in_plan",
            action,
            f"the {plan.title()} plan takes only protocol, dns and origin_direct; Cloudflare "
            f"refuses {', '.join(extra)} (10012) — remove {'it' if len(extra) == 1 else 'them'} "
            "from the file, or move the zone to Enterprise",
        )
    if body.get("protocol", action.key.protocol) not in PLAN_PROTOCOLS[plan]:
        allowed = " or ".join(PLAN_PROTOCOLS[plan])
        return finding(
            "protocol_not_in_plan",
            action,
            f"the {plan.title()} plan sells only protocol {allowed}; Cloudflare refuses "
            f'{action.key.protocol} (13002 "The requested protocol is not available") — use '
            f"{allowed}, or move the zone to Enterprise",
        )
    return None


def one_app_per_protocol(
    creates: Sequence[Action], live: Iterable[AppKey], freed: Iterable[AppKey], plan: str
) -> list[PlanWarning]:
    """Below Enterprise a zone holds one app per protocol (11034). Creates run before the
    plan's deletes (the executor's order), so only a delete that runs first in the same
    replace or recreate frees its protocol."""
    if plan not in PLAN_PROTOCOLS:
        return []
    kept = [key.protocol for key in live if key not in set(freed)]
    found = []
    for action in creates:
        same = kept.count(action.key.protocol)
        same += sum(other.key.protocol == action.key.protocol for other in creates)
        if same > 1:
            found.append(
                finding(
                    "one_app_per_protocol",
                    action,
                    f"the {plan.title()} plan allows one {action.key.protocol} app per zone and "
                    f"{same} would exist; Cloudflare refuses the create (11034) — keep one, or "
                    "move the zone to Enterprise",
                )
            )
    return found


# --- the hostname's DNS records ------------------------------------------------------------
def dns_record_conflict(
    action: Action, records: Sequence[HostRecord], held: Iterable[str]
) -> PlanWarning | None:
    """A manually created proxied A, AAAA or CNAME record on the hostname makes Cloudflare
    refuse the app. A hostname a live app of the zone holds is Spectrum's own already: its
    records are Spectrum's (a manual one could not have been created beside it)."""
    if action.key.dns_name in set(held):
        return None
    manual = [r for r in records_on(records, action.key.dns_name) if r.proxied and not r.spectrum]
    if not manual:
        return None
    record = manual[0]
    return finding(
        "dns_record_conflict",
        action,
        f"the zone already has a proxied {record.type} record {record.name} -> "
        f'{record.content} made by hand; Cloudflare refuses the app ("{CONFLICT_TEXT}") — '
        "delete that DNS record (or make it DNS-only) first, or use another hostname",
    )


# --- the account's IPv4 hostname quota -----------------------------------------------------
def uses_cloudflare_ipv4(config: Mapping[str, Any] | None) -> bool:
    """Dynamic edge IPs (the default) with connectivity ``all`` (the default) or ``ipv4``."""
    edge = (config or {}).get("edge_ips") or {}
    kind = edge.get("type", "dynamic") if isinstance(edge, Mapping) else "dynamic"
    connectivity = edge.get("connectivity", "all") if isinstance(edge, Mapping) else "all"
    return kind == "dynamic" and connectivity in ("all", "ipv4")


def ipv4_hostname_quota(
    adding: Sequence[Action], counted: set[str], quota: int, account: str, partial: bool
) -> list[PlanWarning]:
    """The account's unique hostnames on Cloudflare IPv4 while the plan runs (``counted``:
    every live one, for deletes run last, plus the plan's), against ``quota``; each action
    that brings a new hostname is refused when the count passes it (12005)."""
    if len(counted) <= quota:
        return []
    unseen = " (undeclared zones not counted: --account-wide counts them)" if partial else ""
    return [
        finding(
            "ipv4_hostname_quota",
            action,
            f"account {account} would hold {len(counted)} of {quota} unique Spectrum hostnames "
            f"on Cloudflare-managed IPv4{unseen}; Cloudflare refuses the one past the quota "
            f'(12005 "{QUOTA_TEXT}") — use static (BYOIP or leased) edge IPs or IPv6-only '
            "connectivity, share an existing hostname, or ask Cloudflare for a higher quota "
            "(then pass --ipv4-hostname-quota N)",
        )
        for action in adding
    ]


def writes_hostname(action: Action) -> bool:
    """A create or recreate: a POST on the app's hostname."""
    return action.kind in (ActionKind.CREATE, ActionKind.RECREATE)


# --- the origin's zone ---------------------------------------------------------------------
def origin_dns_name(action: Action) -> str | None:
    """The ``origin_dns.name`` a create, update or recreate writes, if it has one."""
    origin = (action.after or {}).get("origin_dns")
    name = origin.get("name") if isinstance(origin, Mapping) else None
    return str(name).lower().rstrip(".") if name else None


def origin_dns_outside_account(
    action: Action, zone_names: Iterable[str], account: str
) -> PlanWarning | None:
    """An ``origin_dns`` name in no zone of the app's account: Cloudflare refuses an origin
    record "on a different zone or a non-permitted zone" (11050) without saying which zones
    are permitted, so this warns (``--strict`` refuses)."""
    name = origin_dns_name(action)
    if name is None or any(name == z or name.endswith("." + z) for z in zone_names):
        return None
    return finding(
        "origin_dns_outside_account",
        action,
        f"origin_dns {name} is in no zone of account {account}; Cloudflare may refuse the app "
        f'(11050 "{ORIGIN_ZONE_TEXT}") — point origin_dns at a name in one of the account\'s '
        "zones, or use origin_direct",
    )
