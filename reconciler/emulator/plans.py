"""What a zone's plan allows a Spectrum app: the refusals below Enterprise.

In: the request body, its parsed protocol, the zone's plan (``zones.zone_plan``) and the zone's
other apps. Out: nothing, or a ``Refusal``. Sources: developers.cloudflare.com/spectrum/
reference/protocols-per-plan/ and settings-by-plan/, the error-code page (10012, 11034, 13002).
Pure.

- Free: no Spectrum at all (code *chosen here*: 11910, HTTP 403; Cloudflare documents none);
- Pro and Business: a body of ``protocol``, ``dns`` and ``origin_direct`` only (10012 names
  the first other field); only the named protocols the plan sells — ``ssh`` from Pro, ``rdp``
  from Business — else 13002 naming the ports; one app per protocol in the zone (11034).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.fields import Protocol, refuse

PAYGO_FIELDS = frozenset({"protocol", "dns", "origin_direct"})
PLAN_PROTOCOLS = {"pro": ("ssh",), "business": ("ssh", "rdp")}


def check_plan(
    body: Mapping[str, Any], protocol: Protocol, plan: str, zone_apps: Iterable[Mapping[str, Any]]
) -> None:
    """Refuse what ``plan`` does not sell; Enterprise is refused nothing here."""
    if plan == "enterprise":
        return
    if plan == "free":
        raise refuse(
            codes.SPECTRUM_NOT_IN_PLAN, "Spectrum is not available on the Free plan: upgrade"
        )
    extra = sorted(name for name, value in body.items() if value is not None)
    extra = [name for name in extra if name not in PAYGO_FIELDS]
    if extra:
        raise refuse(codes.PAYGO_UNKNOWN_FIELD, f"Unknown field {extra[0]!r} for this plan")
    named = body.get("protocol")
    if named not in PLAN_PROTOCOLS.get(plan, ()):
        ports = protocol.ports
        span = str(ports.first) if not ports.is_range else f"{ports.first}-{ports.last}"
        raise refuse(
            codes.PROTOCOL_UNAVAILABLE,
            f"The requested protocol is not available: {protocol.transport} port {span}",
        )
    if any(app.get("protocol") == named for app in zone_apps):
        raise refuse(
            codes.PAYGO_ONE_PER_PROTOCOL, f"Only one application per protocol: {named} exists"
        )
