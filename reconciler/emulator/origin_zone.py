"""11050: an origin DNS record "on a different zone or a non-permitted zone".

In: the app as ``shape`` built it, the names of the zones of the app's account, and the policy.
Out: nothing, or a ``Refusal``. Cloudflare documents the code and its text
(developers.cloudflare.com/spectrum/reference/error-codes/, "11050 — Invalid cross-zone origin
DNS configuration") but not which zones are permitted, so the rule is a switch: ``any`` (the
default) permits every name; ``account`` — chosen here — permits a name inside any zone of the
app's account (the zone's own, or a more specific one, included).
"""

from __future__ import annotations

from collections.abc import Iterable

import reconciler.emulator.codes as codes
from reconciler.emulator.fields import host_key, refuse, within
from reconciler.emulator.store import App

POLICIES = ("any", "account")
ORIGIN_ZONE_TEXT = (
    "The DNS record or Load Balancer used as an origin lives on a different zone or a "
    "non-permitted zone."
)


def check_origin_zone(app: App, account_zones: Iterable[str], policy: str) -> None:
    """Refuse (11050) an ``origin_dns.name`` outside every zone of the account under
    ``account``; ``any`` permits every name."""
    origin = app.get("origin_dns")
    if policy != "account" or not isinstance(origin, dict):
        return
    name = host_key(str(origin.get("name") or ""))
    if not any(within(name, zone) for zone in map(host_key, account_zones)):
        raise refuse(codes.ORIGIN_CROSS_ZONE, ORIGIN_ZONE_TEXT)


def parse_policy(text: str) -> str:
    """``any`` or ``account``; ValueError naming the value and the choices otherwise."""
    if text not in POLICIES:
        raise ValueError(f"origin_dns_policy must be any or account, got {text!r}")
    return text
