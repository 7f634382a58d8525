"""The BYOIP address plane: services, prefixes, service bindings, BGP prefixes, leased space.

In: ``--byoip-prefix`` / ``--leased-prefix`` values at start, and the routes under
``/accounts/{account_id}/addressing`` (the router calls the handlers below with the ``Backend``).
Out: Cloudflare's objects (SDK 5.9.0 ``Prefix``, ``ServiceBinding``, ``BGPPrefix``,
``ServiceListResponse``, ``AdvertisementStatus*``) and, for the app rules, ``locate_ip``: which
prefix holds a static edge IP, which service its most specific binding sends traffic to, and
whether the account leases it. The stored form lives in ``Store`` (plain JSON); a binding's
state is computed on read from its ``active_after`` time, so a restart keeps it honest.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.backend import Backend, Query
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.fields import IP, refuse
from reconciler.emulator.store import Store, md5_hex, now_rfc3339

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Record = dict[str, Any]

# Flag keyword -> the service's name as ``GET /addressing/services`` lists it.
SERVICE_NAMES = {"spectrum": "Spectrum", "cdn": "CDN", "magic_transit": "Magic Transit"}
SERVICES: tuple[Record, ...] = tuple(
    {"id": md5_hex("service " + name), "name": name} for name in SERVICE_NAMES.values()
)
MAGIC_TRANSIT = "Magic Transit"
SPECTRUM = "Spectrum"
# Cloudflare's smallest BYOIP prefixes (developers.cloudflare.com/byoip/, spectrum/about/byoip).
MIN_PREFIX_LENGTH = {4: 24, 6: 48}
PREFIX_ASN = 209242
# ``binding=provisioning``: a binding that stays provisioning (epoch seconds, JSON-safe).
NEVER_ACTIVE = float(2**53)
_VALIDATION = {True: "complete", False: "pending"}  # *_validation_state: chosen strings


@dataclass(frozen=True)
class PrefixSpec:
    """One ``--byoip-prefix`` value: the CIDR and the state it starts in."""

    cidr: str
    service: str | None = "spectrum"  # None: no binding at all (``service=none``)
    advertised: bool = True
    approved: bool = True
    binding_active: bool = True  # False: ``binding=provisioning``, waiting on Cloudflare for good


def parse_prefix_spec(text: str) -> PrefixSpec:
    """``CIDR[,service=...][,advertised=yes|no][,approved=yes|no][,binding=active|provisioning]``.

    ``service`` is spectrum, cdn, magic_transit or none.

    Raises ``ValueError`` with one line naming the value and the fix.
    """
    flag = f"--byoip-prefix {text!r}"
    cidr_text, *options = [part.strip() for part in text.split(",")]
    network = _network(cidr_text, flag)
    wanted = MIN_PREFIX_LENGTH[network.version]
    if network.prefixlen > wanted:
        raise ValueError(
            f"{flag}: /{network.prefixlen} is smaller than Cloudflare onboards "
            f"(/{wanted} for IPv{network.version}) — give a /{wanted} or larger prefix"
        )
    settings: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in ("service", "advertised", "approved", "binding"):
            raise ValueError(
                f"{flag}: unknown option {option!r} — use service=, advertised=, approved= "
                "or binding="
            )
        settings[key] = value.lower()
    service = settings.get("service", "spectrum")
    if service not in (*SERVICE_NAMES, "none"):
        raise ValueError(f"{flag}: service={service} — use spectrum, cdn, magic_transit or none")
    approved = _yes_no(settings.get("approved", "yes"), "approved", flag)
    advertised = _yes_no(
        settings.get("advertised", "yes" if approved else "no"), "advertised", flag
    )
    if advertised and not approved:
        raise ValueError(
            f"{flag}: a prefix pending approval cannot be advertised — drop advertised=yes "
            "or set approved=yes"
        )
    binding = settings.get("binding", "active")
    if binding not in ("active", "provisioning"):
        raise ValueError(f"{flag}: binding={binding} — use binding=active or binding=provisioning")
    if binding == "provisioning" and service == "none":
        raise ValueError(f"{flag}: service=none has no binding to provision — drop binding=")
    return PrefixSpec(
        str(network),
        None if service == "none" else service,
        advertised,
        approved,
        binding_active=binding == "active",
    )


def check_address_flags(byoip: Iterable[str], leased: Iterable[str]) -> None:
    """Parse every ``--byoip-prefix`` and ``--leased-prefix`` value; the first bad one raises."""
    for text in byoip:
        parse_prefix_spec(text)
    for text in leased:
        parse_leased_prefix(text)


def parse_leased_prefix(text: str) -> str:
    """A ``--leased-prefix`` CIDR, normalized; ``ValueError`` (one line) when it is not one."""
    return str(_network(text.strip(), f"--leased-prefix {text!r}"))


def _network(text: str, flag: str) -> Network:
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        raise ValueError(
            f"{flag}: {text!r} is not a CIDR with its host bits zero — write it like "
            "198.51.100.0/24 or 2001:db8::/48"
        ) from None


def _yes_no(value: str, key: str, flag: str) -> bool:
    if value not in ("yes", "no"):
        raise ValueError(f"{flag}: {key}={value} — use {key}=yes or {key}=no")
    return value == "yes"


# --- onboarding (no API calls: the state a flag asks for) ------------------------------------
def onboard(store: Store, spec: PrefixSpec) -> bool:
    """Add the prefix, its whole-prefix binding and BGP prefix; False when the CIDR exists.

    A prefix already in the state is left as it is, so a restart never undoes API changes.
    """
    network = ipaddress.ip_network(spec.cidr)
    if any(ipaddress.ip_network(p["cidr"]) == network for p in store.prefixes):
        return False
    prefix = _prefix(spec.cidr, store.account["id"], spec.approved, spec.advertised)
    store.prefixes.append(prefix)
    store.bindings[prefix["id"]] = []
    if spec.service is not None:
        store.bindings[prefix["id"]].append(
            _binding(
                spec.cidr,
                SERVICE_NAMES[spec.service],
                0.0 if spec.binding_active else NEVER_ACTIVE,
                _stable_id("binding", spec.cidr),
            )
        )
    store.bgp_prefixes[prefix["id"]] = [
        _bgp_prefix(spec.cidr, spec.advertised, _stable_id("bgp prefix", spec.cidr))
    ]
    return True


def lease(store: Store, cidr: str) -> bool:
    """Record leased static IP space for the account; False when already there."""
    if cidr in store.leased:
        return False
    store.leased.append(cidr)
    return True


def complete_legacy_state(store: Store) -> None:
    """A state file from before bindings existed: each prefix gets what ``onboard`` gives."""
    for prefix in store.prefixes:
        if prefix["id"] not in store.bindings:
            store.bindings[prefix["id"]] = [
                _binding(prefix["cidr"], SPECTRUM, 0.0, _stable_id("binding", prefix["cidr"]))
            ]
        if prefix["id"] not in store.bgp_prefixes:
            advertised = bool(prefix.get("advertised"))
            store.bgp_prefixes[prefix["id"]] = [
                _bgp_prefix(prefix["cidr"], advertised, _stable_id("bgp prefix", prefix["cidr"]))
            ]
        for key, value in _prefix(prefix["cidr"], store.account["id"], True, True).items():
            prefix.setdefault(key, value)


def _prefix(cidr: str, account_id: str, approved: bool, advertised: bool) -> Record:
    stamp = now_rfc3339()
    return {
        "id": _stable_id("prefix", cidr),
        "account_id": account_id,
        "cidr": cidr,
        "description": "Onboarded by the emulator",
        "asn": PREFIX_ASN,
        "approved": "V" if approved else "P",
        # On-demand advertisement is on, so ``advertised`` is meaningful (never null).
        "advertised": advertised,
        "advertised_modified_at": stamp,
        "on_demand_enabled": True,
        "on_demand_locked": False,
        "loa_document_id": None,
        "delegate_loa_creation": False,
        "irr_validation_state": _VALIDATION[approved],
        "ownership_validation_state": _VALIDATION[approved],
        "ownership_validation_token": md5_hex("ownership " + cidr),
        "rpki_validation_state": _VALIDATION[approved],
        "created_at": stamp,
        "modified_at": stamp,
    }


def _stable_id(kind: str, cidr: str) -> str:
    """Objects a flag makes get ids derived from their CIDR, the same on every start."""
    return md5_hex(f"{kind} {cidr}")


def _binding(
    cidr: str, service_name: str, active_after: float, binding_id: str | None = None
) -> Record:
    """The stored form: the API's fields plus ``active_after`` (epoch seconds)."""
    return {
        "id": binding_id or uuid.uuid4().hex,
        "cidr": cidr,
        "service_id": md5_hex("service " + service_name),
        "service_name": service_name,
        "active_after": active_after,
    }


def _bgp_prefix(cidr: str, advertised: bool, bgp_id: str | None = None) -> Record:
    stamp = now_rfc3339()
    return {
        "id": bgp_id or uuid.uuid4().hex,
        "asn": PREFIX_ASN,
        "asn_prepend_count": 0,
        "auto_advertise_withdraw": False,
        "bgp_signal_opts": {"enabled": False, "modified_at": None},
        "cidr": cidr,
        "created_at": stamp,
        "modified_at": stamp,
        "on_demand": {
            "advertised": advertised,
            "advertised_modified_at": stamp,
            "on_demand_enabled": True,
            "on_demand_locked": False,
        },
    }


# --- what the app rules ask ------------------------------------------------------------------
@dataclass(frozen=True)
class EdgeIP:
    """Where a static edge IP sits in the account's address space."""

    prefix: Record | None  # the BYOIP prefix holding it (None: in none)
    service: str | None  # the service of its most specific binding (None: no binding)
    leased: bool  # inside a leased prefix of the account

    @property
    def approved(self) -> bool:
        return self.prefix is not None and self.prefix["approved"] == "V"


def locate_ip(store: Store, ip: IP) -> EdgeIP:
    """The prefix, most specific binding and lease covering ``ip``."""
    leased = any(ip in ipaddress.ip_network(cidr) for cidr in store.leased)
    for prefix in store.prefixes:
        if ip in ipaddress.ip_network(prefix["cidr"]):
            covering = [
                b
                for b in store.bindings.get(prefix["id"], [])
                if ip in ipaddress.ip_network(b["cidr"])
            ]
            best = max(
                covering, key=lambda b: ipaddress.ip_network(b["cidr"]).prefixlen, default=None
            )
            return EdgeIP(prefix, best["service_name"] if best else None, leased)
    return EdgeIP(None, None, leased)


def has_static_space(store: Store) -> bool:
    """BYOIP (or leased static IPs) is enabled for the account: it holds some such space."""
    return bool(store.prefixes or store.leased)


# --- rendering -------------------------------------------------------------------------------
def render_binding(binding: Record, now: float) -> Record:
    shown = {key: value for key, value in binding.items() if key != "active_after"}
    state = "active" if now >= binding["active_after"] else "provisioning"
    shown["provisioning"] = {"state": state}
    return shown


def _single_page(items: list[Record]) -> EmulatorResponse:
    count = len(items)
    info = {
        "page": 1,
        "per_page": max(count, 1),
        "count": count,
        "total_count": count,
        "total_pages": 1,
    }
    return success(items, info)


# --- handlers --------------------------------------------------------------------------------
def list_services(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    return _single_page([dict(service) for service in SERVICES])


def list_prefixes(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    return _single_page(backend.store.prefixes)


def get_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    return success(_find_prefix(backend.store, params))


def list_bindings(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = _find_prefix(backend.store, params)
    now = backend.wall_clock()
    return _single_page([render_binding(b, now) for b in backend.store.bindings[prefix["id"]]])


def get_binding(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = _find_prefix(backend.store, params)
    binding = _find(backend.store.bindings[prefix["id"]], params["binding_id"], "Service binding")
    return success(render_binding(binding, backend.wall_clock()))


def create_binding(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``{cidr, service_id}``; provisioning for ``--binding-provisioning-s``, then active."""
    prefix = _find_prefix(backend.store, params)
    doc = _object_body(body)
    cidr, service_id = doc.get("cidr"), doc.get("service_id")
    if not isinstance(cidr, str) or not isinstance(service_id, str):
        raise refuse(codes.INVALID_REQUEST, "cidr and service_id are required strings")
    service = next((s for s in SERVICES if s["id"] == service_id.lower()), None)
    if service is None:
        raise refuse(codes.INVALID_REQUEST, f"Unknown service_id {service_id}")
    existing = backend.store.bindings[prefix["id"]]
    network = _binding_network(cidr, prefix, existing, service["name"])
    now = backend.wall_clock()
    binding = _binding(str(network), service["name"], now + backend.binding_provisioning_s)
    existing.append(binding)
    return success(render_binding(binding, now))


def _binding_network(cidr: str, prefix: Record, existing: list[Record], service: str) -> Network:
    """The binding rules of developers.cloudflare.com/byoip/service-bindings/."""
    try:
        network = ipaddress.ip_network(cidr)
    except ValueError:
        raise refuse(codes.INVALID_REQUEST, f"cidr {cidr!r} is not a CIDR") from None
    whole = ipaddress.ip_network(prefix["cidr"])
    if network.version != whole.version or not network.subnet_of(whole):  # type: ignore[arg-type]
        raise refuse(codes.BINDING_REFUSED, f"{network} is not inside the prefix {whole}")
    if not existing and network != whole:
        raise refuse(
            codes.BINDING_REFUSED,
            f"The first service binding of a prefix must cover all of it ({whole})",
        )
    if service == MAGIC_TRANSIT and network != whole:
        raise refuse(
            codes.BINDING_REFUSED, "Magic Transit can only be the prefix's default binding"
        )
    if any(ipaddress.ip_network(b["cidr"]) == network for b in existing):
        raise refuse(
            codes.BINDING_REFUSED,
            f"{network} already has a service binding: an IP is bound to one service",
        )
    return network


def delete_binding(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """The default (whole-prefix) binding goes last: more specific ones depend on it."""
    prefix = _find_prefix(backend.store, params)
    bindings = backend.store.bindings[prefix["id"]]
    binding = _find(bindings, params["binding_id"], "Service binding")
    if binding["cidr"] == prefix["cidr"] and len(bindings) > 1:
        raise refuse(
            codes.BINDING_REFUSED,
            "Delete the more specific service bindings before the prefix's default binding",
        )
    bindings.remove(binding)
    return success(None)


def list_bgp_prefixes(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = _find_prefix(backend.store, params)
    return _single_page(backend.store.bgp_prefixes[prefix["id"]])


def get_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = _find_prefix(backend.store, params)
    return success(
        _find(backend.store.bgp_prefixes[prefix["id"]], params["bgp_prefix_id"], "BGP prefix")
    )


def create_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``{cidr}`` inside the prefix; a new BGP prefix starts withdrawn."""
    prefix = _find_prefix(backend.store, params)
    cidr = _object_body(body).get("cidr")
    try:
        network = ipaddress.ip_network(cidr) if isinstance(cidr, str) else None
    except ValueError:
        network = None
    whole = ipaddress.ip_network(prefix["cidr"])
    if network is None or network.version != whole.version or not network.subnet_of(whole):  # type: ignore[arg-type]
        raise refuse(codes.INVALID_REQUEST, f"cidr must be a CIDR inside {whole}")
    existing = backend.store.bgp_prefixes[prefix["id"]]
    if any(ipaddress.ip_network(b["cidr"]) == network for b in existing):
        raise refuse(codes.INVALID_REQUEST, f"BGP prefix {network} already exists")
    record = _bgp_prefix(str(network), advertised=False)
    existing.append(record)
    return success(record)


def edit_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """PATCH ``on_demand.advertised``, ``asn_prepend_count``, ``auto_advertise_withdraw``."""
    store = backend.store
    prefix = _find_prefix(store, params)
    record = _find(store.bgp_prefixes[prefix["id"]], params["bgp_prefix_id"], "BGP prefix")
    doc = _object_body(body)
    on_demand = doc.get("on_demand", {})
    if not isinstance(on_demand, dict):
        raise refuse(codes.INVALID_REQUEST, "on_demand must be an object")
    advertised = on_demand.get("advertised")
    if advertised is not None and not isinstance(advertised, bool):
        raise refuse(codes.INVALID_REQUEST, "on_demand.advertised must be a boolean")
    prepend = doc.get("asn_prepend_count")
    if prepend is not None and (
        not isinstance(prepend, int) or isinstance(prepend, bool) or prepend < 0
    ):
        raise refuse(codes.INVALID_REQUEST, "asn_prepend_count must be a non-negative integer")
    auto = doc.get("auto_advertise_withdraw")
    if auto is not None and not isinstance(auto, bool):
        raise refuse(codes.INVALID_REQUEST, "auto_advertise_withdraw must be a boolean")
    stamp = now_rfc3339(after=record["modified_at"])
    if prepend is not None:
        record["asn_prepend_count"] = prepend
    if auto is not None:
        record["auto_advertise_withdraw"] = auto
    if advertised is not None:
        _set_advertised(store, prefix, record, advertised, stamp)
    record["modified_at"] = stamp
    return success(record)


def get_bgp_status(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """Deprecated but served: the prefix-level advertisement."""
    prefix = _find_prefix(backend.store, params)
    return success(_status(prefix))


def edit_bgp_status(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """PATCH ``{"advertised": bool}``: the prefix and its whole-prefix BGP prefix move together."""
    store = backend.store
    prefix = _find_prefix(store, params)
    advertised = _object_body(body).get("advertised")
    if not isinstance(advertised, bool):
        raise refuse(codes.INVALID_REQUEST, "advertised is a required boolean")
    whole = next((b for b in store.bgp_prefixes[prefix["id"]] if b["cidr"] == prefix["cidr"]), None)
    stamp = now_rfc3339(after=prefix["modified_at"])
    if whole is None:
        prefix["advertised"], prefix["advertised_modified_at"] = advertised, stamp
    else:
        _set_advertised(store, prefix, whole, advertised, stamp)
    return success(_status(prefix))


def _set_advertised(
    store: Store, prefix: Record, record: Record, advertised: bool, stamp: str
) -> None:
    """Advertise or withdraw a BGP prefix; the whole-prefix one is also the prefix's status."""
    if record["on_demand"]["advertised"] != advertised:
        record["on_demand"]["advertised"] = advertised
        record["on_demand"]["advertised_modified_at"] = stamp
    if record["cidr"] == prefix["cidr"] and prefix["advertised"] != advertised:
        prefix["advertised"] = advertised
        prefix["advertised_modified_at"] = stamp
        prefix["modified_at"] = stamp


def _status(prefix: Record) -> Record:
    return {
        "advertised": prefix["advertised"],
        "advertised_modified_at": prefix["advertised_modified_at"],
    }


def delete_bgp_prefix(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    prefix = _find_prefix(backend.store, params)
    records = backend.store.bgp_prefixes[prefix["id"]]
    records.remove(_find(records, params["bgp_prefix_id"], "BGP prefix"))
    return success(None)


# --- lookups ---------------------------------------------------------------------------------
def _find_prefix(store: Store, params: dict[str, str]) -> Record:
    return _find(store.prefixes, params["prefix_id"], "Prefix")


def _find(records: Iterable[Record], record_id: str, what: str) -> Record:
    wanted = record_id.lower()
    for record in records:
        if record["id"] == wanted:
            return record
    raise refuse(codes.ADDRESSING_NOT_FOUND, f"{what} {wanted} not found")


def _object_body(body: bytes) -> Record:
    try:
        doc = json.loads(body) if body else {}
    except ValueError:
        raise refuse(codes.INVALID_REQUEST, "The request body is not valid JSON") from None
    if not isinstance(doc, dict):
        raise refuse(codes.INVALID_REQUEST, "The request body must be a JSON object")
    return doc


_ACCOUNT = ("accounts", "{account_id}", "addressing")
_PREFIX = (*_ACCOUNT, "prefixes", "{prefix_id}")
# (path shape, handlers by method); the router in ``handlers`` adds these to its table.
ROUTES: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    ((*_ACCOUNT, "services"), {"GET": list_services}),
    ((*_ACCOUNT, "prefixes"), {"GET": list_prefixes}),
    (_PREFIX, {"GET": get_prefix}),
    ((*_PREFIX, "bindings"), {"GET": list_bindings, "POST": create_binding}),
    ((*_PREFIX, "bindings", "{binding_id}"), {"GET": get_binding, "DELETE": delete_binding}),
    ((*_PREFIX, "bgp", "prefixes"), {"GET": list_bgp_prefixes, "POST": create_bgp_prefix}),
    (
        (*_PREFIX, "bgp", "prefixes", "{bgp_prefix_id}"),
        {"GET": get_bgp_prefix, "PATCH": edit_bgp_prefix, "DELETE": delete_bgp_prefix},
    ),
    ((*_PREFIX, "bgp", "status"), {"GET": get_bgp_status, "PATCH": edit_bgp_status}),
)
