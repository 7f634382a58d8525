"""Routing under ``/client/v4``, the zone and Spectrum app endpoints; the address plane's
handlers live in ``addressing``.

In: method, path (below ``/client/v4``), query, body, and the ``Backend`` holding the state.
Out: an ``EmulatorResponse``; refusals are raised as ``Refusal`` and enveloped by the caller.
``resolve`` also names the path template, which the stats count by.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.accounts import known_accounts
from reconciler.emulator.addressing.plane import (
    has_static_space,
    ingress_only_networks,
    leased_networks,
    locate_ip,
)
from reconciler.emulator.addressing.routes import ROUTES as ADDRESSING_ROUTES
from reconciler.emulator.analytics import ROUTES as ANALYTICS_ROUTES
from reconciler.emulator.backend import Backend, Handler, Query
from reconciler.emulator.codes import Code
from reconciler.emulator.dns_records import ROUTES as DNS_ROUTES
from reconciler.emulator.dns_records import manual_conflict
from reconciler.emulator.envelope import EmulatorResponse, ErrorItem, Refusal, success, success_raw
from reconciler.emulator.fields import IP, host_key, parse_ip, parse_protocol, refuse
from reconciler.emulator.paging import enum_param, one_page
from reconciler.emulator.quota import ipv4_hostnames
from reconciler.emulator.rules import RuleContext, build_app
from reconciler.emulator.store import App, Store, now_rfc3339
from reconciler.emulator.zones import zone_plan

_HEX32 = re.compile(r"[0-9a-fA-F]{32}")


@dataclass(frozen=True)
class Match:
    """A resolved request: the stats template, and the handler with its path parameters."""

    template: str
    handler: Handler | None
    params: dict[str, str]


def no_route(path: str) -> Refusal:
    """7003 + 7000, HTTP 400: what Cloudflare answers for a bad id or an unknown path."""
    return Refusal(
        codes.NO_ROUTE.status,
        ErrorItem(
            codes.NO_ROUTE.code,
            f"Could not route to {path}, perhaps your object identifier is invalid?",
        ),
        ErrorItem(codes.NO_ROUTE_DETAIL.code, "No route for that URI"),
    )


def resolve(method: str, path: str) -> Match:
    """Match ``path`` (below /client/v4) against the route table; ids are 32 hex digits."""
    parts = path.strip("/").split("/")
    for shape, handlers in _ROUTES:
        if len(shape) != len(parts):
            continue
        params = _bind(shape, parts)
        if params is not None:
            template = method + " /" + "/".join(shape)
            return Match(template, handlers.get(method), params)
    return Match(f"{method} (no route)", None, {})


def _bind(shape: tuple[str, ...], parts: list[str]) -> dict[str, str] | None:
    params: dict[str, str] = {}
    for want, got in zip(shape, parts, strict=True):
        if want.startswith("{"):
            params[want[1:-1]] = got
        elif want != got:
            return None
    return params


def check_ids(backend: Backend, params: dict[str, str], path: str) -> None:
    """Malformed ids and unknown zones or accounts: no route (the id is not one of ours)."""
    for value in params.values():
        if _HEX32.fullmatch(value) is None:
            raise no_route(path)
    zone_id = params.get("zone_id")
    if zone_id is not None and zone_id.lower() not in backend.store.zones:
        raise no_route(path)
    account_id = params.get("account_id")
    if account_id is not None and account_id.lower() not in known_accounts(backend.store):
        raise no_route(path)


# --- Spectrum apps --------------------------------------------------------------------------
_APP_ORDER: dict[str, Callable[[App], Any]] = {
    "dns": lambda app: (host_key(app["dns"]["name"]), app["protocol"], app["id"]),
    "protocol": lambda app: (*_protocol_key(app["protocol"]), app["id"]),
    "app_id": lambda app: app["id"],
    "created_on": lambda app: (app["created_on"], app["id"]),
    "modified_on": lambda app: (app["modified_on"], app["id"]),
}


def _protocol_key(protocol: str) -> tuple[str, int]:
    parsed = parse_protocol(protocol)
    return parsed.transport, parsed.ports.first


def list_apps(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """Sorted, then sliced; a page past the end is an empty list (what stops SDK paging)."""
    order = enum_param(query, "order", tuple(_APP_ORDER))
    descending = enum_param(query, "direction", ("asc", "desc")) == "desc"
    zone_id = params["zone_id"].lower()
    ordered = backend.store.sorted_apps(zone_id, order, descending, _APP_ORDER[order])
    chunk, info = one_page(ordered, query, 20, 1, 100)
    encoded = ",".join(backend.store.encoded(app["id"]) for app in chunk)
    return success_raw("[" + encoded + "]", info)


def create_app(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    zone_id = params["zone_id"].lower()
    app = build_app(_json_body(body), _rule_context(backend, zone_id, None))
    stamp = now_rfc3339()
    record = {"id": uuid.uuid4().hex, **app, "created_on": stamp, "modified_on": stamp}
    backend.store.put_app(zone_id, record)
    return success_raw(backend.store.encoded(record["id"]))


def get_app(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    _, app = _find_app(backend, params)
    return success_raw(backend.store.encoded(app["id"]))


def update_app(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """A full replacement: fields left out take their defaults again (or disappear).

    With ``put_keeps_omitted`` (a test-only guess) fields left out keep their stored values and
    a ``null`` removes one, as in a JSON merge patch (RFC 7396) of the top level.
    """
    zone_id, old = _find_app(backend, params)
    sent = _json_body(body)
    if backend.put_keeps_omitted and isinstance(sent, dict):
        kept = {k: v for k, v in old.items() if k not in ("id", "created_on", "modified_on")}
        sent = {**kept, **sent}
    app = build_app(sent, _rule_context(backend, zone_id, old))
    stamp = now_rfc3339(after=old["modified_on"])
    record = {"id": old["id"], **app, "created_on": old["created_on"], "modified_on": stamp}
    backend.store.put_app(zone_id, record)
    return success_raw(backend.store.encoded(record["id"]))


def delete_app(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """Any body (or none) is accepted: SDK 5.9.0 sends none, the 2024 spec an empty object."""
    zone_id, app = _find_app(backend, params)
    backend.store.delete_app(zone_id, app["id"])
    return success({"id": app["id"]})


def _find_app(backend: Backend, params: dict[str, str]) -> tuple[str, App]:
    zone_id, app_id = params["zone_id"].lower(), params["app_id"].lower()
    app = backend.store.zone_apps(zone_id).get(app_id)
    if app is None:
        raise refuse(codes.APP_NOT_FOUND, f"Application {app_id} not found")
    return zone_id, app


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise refuse(codes.INVALID_REQUEST, "The request body is not valid JSON") from None


def _rule_context(backend: Backend, zone_id: str, existing: App | None) -> RuleContext:
    store = backend.store
    others = [
        app for app in store.zone_apps(zone_id).values() if existing is None or app is not existing
    ]
    static: dict[IP, str] = {}
    for owner, app in store.all_apps():
        if app.get("edge_ips", {}).get("type") == "static":
            static.update({parse_ip(ip): owner for ip in app["edge_ips"]["ips"]})
    account = store.zones[zone_id]["account"]["id"]
    zones = {zid: z["name"] for zid, z in store.zones.items() if z["account"]["id"] == account}
    return RuleContext(
        zone_id=zone_id,
        zones=zones,
        zone_apps=others,
        edge_networks=[*ingress_only_networks(store), *leased_networks(store)],
        ip_owner=static.get,
        locate=lambda ip: locate_ip(store, ip, account),
        static_space=has_static_space(store, account),
        virtual_networks={k.lower(): v for k, v in backend.virtual_networks.items()},
        existing=existing,
        ip_firewall_default=backend.ip_firewall_default,
        keep_unknown=backend.keep_unknown_fields,
        plan=zone_plan(store.zones[zone_id]),
        ipv4_others=lambda: ipv4_hostnames(_account_apps(store, zones, existing)),
        ipv4_quota=backend.ipv4_hostname_quota,
        manual_record=lambda name: manual_conflict(store, zone_id, name),
        conflict_code=Code(backend.dns_conflict_code, 400),
        origin_dns_policy=backend.origin_dns_policy,
    )


def _account_apps(store: Store, zones: Mapping[str, str], existing: App | None) -> list[App]:
    """Every app in ``zones`` (the account's) but ``existing`` (the one a PUT replaces)."""
    return [app for owner, app in store.all_apps() if app is not existing and owner in zones]


# --- zones ----------------------------------------------------------------------------------
def list_zones(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``name`` is an exact match but for case (chosen: names are stored in lower case);
    ``status`` and ``account.id`` are exact matches; ``per_page`` is clamped into 5-50 as the
    spec bounds it."""
    zones = sorted(backend.store.zones.values(), key=lambda zone: zone["name"])
    if "name" in query:
        zones = [zone for zone in zones if zone["name"] == query["name"].lower()]
    if "status" in query:
        zones = [zone for zone in zones if zone["status"] == query["status"]]
    if "account.id" in query:
        zones = [zone for zone in zones if zone["account"]["id"] == query["account.id"].lower()]
    chunk, info = one_page(zones, query, 20, 5, 50)
    return success(chunk, info)


def get_zone(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    return success(backend.store.zones[params["zone_id"].lower()])


_ROUTES: tuple[tuple[tuple[str, ...], dict[str, Handler]], ...] = (
    (("zones",), {"GET": list_zones}),
    (("zones", "{zone_id}", "spectrum", "apps"), {"GET": list_apps, "POST": create_app}),
    (
        ("zones", "{zone_id}", "spectrum", "apps", "{app_id}"),
        {"GET": get_app, "PUT": update_app, "DELETE": delete_app},
    ),
    (("zones", "{zone_id}"), {"GET": get_zone}),
    *DNS_ROUTES,
    *ADDRESSING_ROUTES,
    *ANALYTICS_ROUTES,
)
WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})
