"""Zones as ``--zone`` seeds them: ``NAME[,plan=free|pro|business|enterprise]``.

In: the flag value as typed. Out: a ``ZoneSeed`` (or ``ValueError``, one line naming the value
and the fix), and the ``plan`` object ``GET /zones/{id}`` carries for each plan
(``plan.legacy_id`` is what the client reads; the names follow Cloudflare's plan names). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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
    """One ``--zone`` value: the name and its plan."""

    name: str
    plan: str = ENTERPRISE


def parse_zone_spec(text: str) -> ZoneSeed:
    """``NAME[,plan=...]``; ``ValueError`` with one line naming the fix."""
    flag = f"--zone {text!r}"
    name, *options = [part.strip() for part in text.split(",")]
    if not name:
        raise ValueError(f"{flag}: give the zone's name first, like example.com,plan=pro")
    settings: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key != "plan" or not value:
            raise ValueError(f"{flag}: unknown option {option!r} — use plan=")
        settings[key] = value
    plan = settings.get("plan", ENTERPRISE).lower()
    if plan not in PLANS:
        raise ValueError(f"{flag}: plan={plan} — use free, pro, business or enterprise")
    return ZoneSeed(name.lower(), plan)


def plan_object(plan: str) -> dict[str, Any]:
    """The zone's ``plan`` as ``GET /zones/{id}`` returns it."""
    return {"id": md5_hex(plan), "name": PLANS[plan], "legacy_id": plan}


def zone_plan(zone: dict[str, Any]) -> str:
    """The plan of a stored zone (``enterprise`` when the record names none it knows)."""
    legacy = (zone.get("plan") or {}).get("legacy_id")
    return legacy if legacy in PLANS else ENTERPRISE
