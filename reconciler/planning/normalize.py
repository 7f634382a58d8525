"""Pure: one field table that says what an app's fields mean, applied to desired and live alike.

In: an app configuration as a mapping in the API's field names, either what a desired-state file
declared or the raw object the API returned. Out: a plain dict in canonical form, so that two
configurations that Cloudflare treats the same compare equal with ``==``.

The table (``FIELDS``) is the one place that knows, per top-level field, its API default, whether
the server sets it, which of its parts cannot change in place, and which of ``canonical``'s
spellings it takes. The defaults follow the API reference
(https://developers.cloudflare.com/api/resources/spectrum/subresources/apps/) and Terraform
provider v5 (its perpetual-diff fixes, cloudflare/terraform-provider-cloudflare PR #5888):

* ``ip_firewall`` defaults to ``false``. No official schema states this default [unverified]; it
  is Terraform v5's assumption. Declare ``ip_firewall`` explicitly to be independent of it.
* ``edge_ips`` defaults to ``{type: dynamic, connectivity: all}``; a dynamic app's ``ips`` are
  chosen by the server and never compared; a static app's ``connectivity`` is meaningless
  (cloudflare-go leaves it out) and dropped.
* Legacy response forms are understood: ``spp: true`` is ``proxy_protocol: simple``, a boolean
  ``proxy_protocol`` is ``v1``/``off``; ``ipv4`` and any other unknown field are not compared
  (``unknown_fields`` carries them into updates so no update erases them).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model import AppKey
from reconciler.planning import canonical

Canonicalizer = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    """What one top-level app field means.

    ``default`` is the value the API assumes when the field is absent (``None``: no default).
    ``forces_replace`` names the dotted sub-paths whose change Cloudflare refuses in place.
    """

    name: str
    default: Any = None
    server_set: bool = False
    forces_replace: tuple[str, ...] = ()
    canonicalize: Canonicalizer = canonical.same


FIELDS: tuple[Field, ...] = (
    Field("id", server_set=True),
    Field("created_on", server_set=True),
    Field("modified_on", server_set=True),
    Field("dns", canonicalize=canonical.dns, forces_replace=("dns.type",)),
    Field("protocol", canonicalize=canonical.lower),
    Field("traffic_type", default="direct", canonicalize=canonical.lower),
    Field("origin_direct", canonicalize=canonical.origin_direct),
    Field("origin_dns", canonicalize=canonical.origin_dns),
    Field("origin_port", canonicalize=canonical.port),
    Field(
        "edge_ips",
        default=canonical.DYNAMIC_EDGE_IPS,
        canonicalize=canonical.edge_ips,
        forces_replace=("edge_ips.type",),
    ),
    Field("tls", default="off", canonicalize=canonical.lower),
    Field("proxy_protocol", default="off", canonicalize=canonical.proxy_protocol),
    Field("ip_firewall", default=False, canonicalize=canonical.boolean),
    Field("argo_smart_routing", default=False, canonicalize=canonical.boolean),
    Field("virtual_network_id", canonicalize=canonical.lower),
    Field("origin_worker_id", canonicalize=canonical.same),
)
FIELD_ORDER: Mapping[str, int] = {f.name: i for i, f in enumerate(FIELDS)}
_MANAGED = tuple(f for f in FIELDS if not f.server_set)

# How each side of a replace-forcing switch reads to a reviewer.
_EDGE_MODE = {"CNAME": "non-BYOIP", "ADDRESS": "BYOIP", "dynamic": "non-BYOIP", "static": "BYOIP"}


def _upgrade_legacy(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """Older responses say ``spp: true`` for what is now ``proxy_protocol: simple``."""
    if config.get("spp") is True and config.get("proxy_protocol") in (None, False, "off"):
        return {**config, "proxy_protocol": "simple"}
    return config


def _canonical_default(spec: Field) -> Any:
    return None if spec.default is None else spec.canonicalize(spec.default)


# (name, canonicalizer, canonical default) per managed field, computed once: normalize_app runs
# for every live and desired app of a plan.
_STEPS = tuple((f.name, f.canonicalize, _canonical_default(f)) for f in _MANAGED)


def normalize_app(config: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of an app: defaults filled, server fields dropped, values canonical."""
    config = _upgrade_legacy(config)
    normalized: dict[str, Any] = {}
    for name, canonicalize, default in _STEPS:
        value = config.get(name)
        if value is not None:
            normalized[name] = canonicalize(value)
        elif default is not None:
            # Copy object defaults so no two normalized apps share a mutable value.
            normalized[name] = dict(default) if isinstance(default, dict) else default
    return normalized


def app_key(zone: str, config: Mapping[str, Any]) -> AppKey:
    """The identity ``(zone, dns.name, protocol)`` of an app configuration."""
    dns = config.get("dns") or {}
    return AppKey.of(zone, str(dns.get("name") or ""), str(config.get("protocol") or ""))


def request_body(declared: Mapping[str, Any]) -> dict[str, Any]:
    """The body a create sends: the user's declared fields, canonicalized, nothing more (paygo
    apps refuse any field beyond ``dns``, ``protocol`` and ``origin_direct``)."""
    wanted = {name for name in declared if declared[name] is not None}
    desired = normalize_app(declared)
    return {f.name: desired[f.name] for f in _MANAGED if f.name in wanted and f.name in desired}


def update_body(declared: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, Any]:
    """The PUT body that turns the raw app ``live`` into ``declared``, whatever the API does with
    fields a PUT leaves out (the API reference does not say whether it resets or keeps them).

    Every field the user declared or the live app holds is sent explicitly: with its desired
    value (the default when not declared), or ``null`` when the desired app has none, so a
    field removed from git goes under either behaviour. Fields neither side has stay out, which
    keeps the body of a paygo app within what paygo accepts. Fields this tool does not know are
    not added here: ``unknown_fields.carried`` adds them.
    """
    wanted = {name for name, value in declared.items() if value is not None}
    wanted |= {name for name, value in live.items() if value is not None}
    desired = normalize_app(declared)
    return {f.name: desired.get(f.name) for f in _MANAGED if f.name in wanted}


def value_at(config: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path (``dns.type``); None when any step of it is absent."""
    value: Any = config
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def replace_reasons(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """Why ``before`` cannot become ``after`` in place; empty if it can.

    A ``dns.type`` change is refused with 11004
    (https://developers.cloudflare.com/spectrum/reference/error-codes/), so moving between dynamic
    and static edge IPs is delete-and-recreate (terraform-provider-cloudflare issue #2786).
    """
    reasons = []
    for spec in FIELDS:
        for path in spec.forces_replace:
            old, new = value_at(before, path), value_at(after, path)
            if old != new:
                modes = f" ({_EDGE_MODE.get(old, old)} to {_EDGE_MODE.get(new, new)})"
                reasons.append(f"{path} {old} -> {new}{modes} cannot change in place")
    return tuple(reasons)


def minimal_config(normalized: Mapping[str, Any]) -> dict[str, Any]:
    """Only the fields that differ from their defaults, in table order (for ``export``)."""
    minimal: dict[str, Any] = {}
    for spec in _MANAGED:
        value = normalized.get(spec.name)
        if value is None:
            continue
        if value != _canonical_default(spec):
            minimal[spec.name] = value
    return minimal


def canonical_json(value: Any) -> str:
    """The one JSON spelling used for digests and checksums: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(normalized: Mapping[str, Any]) -> str:
    """A sha256 hex digest of a normalized app, for noticing that a live app moved."""
    return hashlib.sha256(canonical_json(normalized).encode()).hexdigest()
