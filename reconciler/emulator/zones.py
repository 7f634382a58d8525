"""Zones as ``--zone`` seeds them: ``NAME[,plan=free|pro|business|enterprise][,account=ID]``.

In: the flag value as typed. Out: a ``ZoneSeed`` (or ``ValueError``, one line naming the value
and the fix), and the ``plan`` object ``GET /zones/{id}`` carries for each plan
(``plan.legacy_id`` is what the client reads; the names follow Cloudflare's plan names). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reconciler.emulator.accounts import parse_account
from reconciler.emulator.store import md5_hex

PLANS = {
    "free": "Free Website",
    "pro": "Pro Website",
    "business": "Business Website",
    "enterprise": "Enterprise Website",
}
ENTERPRISE = "enterprise"


@dataclass(frozen=True)
class ZoneSeed:
    """One ``--zone`` value: the name, its plan and its account (None: the emulator's)."""

    name: str
    plan: str = ENTERPRISE
    account: str | None = None


def parse_zone_spec(text: str) -> ZoneSeed:
    """``NAME[,plan=...][,account=ID]``; ``ValueError`` with one line naming the fix."""
    flag = f"--zone {text!r}"
    name, *options = [part.strip() for part in text.split(",")]
    if not name:
        raise ValueError(f"{flag}: give the zone's name first, like example.com,plan=pro")
    settings: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in ("plan", "account") or not value:
            raise ValueError(f"{flag}: unknown option {option!r} — use plan= or account=")
        settings[key] = value
    plan = settings.get("plan", ENTERPRISE).lower()
    if plan not in PLANS:
        raise ValueError(f"{flag}: plan={plan} — use free, pro, business or enterprise")
    account = settings.get("account")
    return ZoneSeed(name.lower(), plan, None if account is None else parse_account(account, flag))


def plan_object(plan: str) -> dict[str, Any]:
    """The zone's ``plan`` as ``GET /zones/{id}`` returns it."""
    return {"id": md5_hex(plan), "name": PLANS[plan], "legacy_id": plan}


def zone_plan(zone: dict[str, Any]) -> str:
    """The plan of a stored zone (``enterprise`` when the record names none it knows)."""
    legacy = (zone.get("plan") or {}).get("legacy_id")
    return legacy if legacy in PLANS else ENTERPRISE
