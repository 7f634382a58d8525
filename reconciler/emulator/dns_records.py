"""A zone's DNS records (a subset of ``/zones/{zone_id}/dns_records``) and Spectrum's own ones.

In: ``--dns-record NAME,type=A|AAAA|CNAME,content=VALUE[,proxied=yes|no]`` at start, and the
routes list (``name``, ``type``, ``page``, ``per_page``), get, create, delete. Out: records in
the shape of SDK 5.9.0 ``RecordResponse`` (the fields a client reads), and, for the app rules,
the manually created record that makes Spectrum refuse a hostname.

Stored are the manual records only (``Store.dns_records``). Spectrum's own record for an app's
hostname is derived from the zone's apps on every read, so creating an app makes it and
deleting a hostname's last app removes it. How Cloudflare lists that record is not documented:
here (chosen) a listed one carries ``meta.read_only: true`` and ``meta.source: "spectrum"``
(one CNAME per dynamic hostname, one A/AAAA per static IP); ``EmulatorConfig.spectrum_records``
False leaves them out of lists instead.
"""

from __future__ import annotations

import ipaddress
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.backend import Backend, Handler, Query
from reconciler.emulator.envelope import EmulatorResponse, success
from reconciler.emulator.fields import host_key, is_hostname, object_body, refuse, within
from reconciler.emulator.paging import one_page
from reconciler.emulator.store import Store, md5_hex, now_rfc3339

Record = dict[str, Any]
HOST_TYPES = ("A", "AAAA", "CNAME")  # the types that hold a hostname (and conflict)
TYPES = (*HOST_TYPES, "TXT")
CONFLICT_TEXT = "An A, AAAA or CNAME record already exists with that host."


@dataclass(frozen=True)
class RecordSeed:
    """One ``--dns-record`` value."""

    name: str
    type: str
    content: str
    proxied: bool = True


def parse_record_spec(text: str) -> RecordSeed:
    """``NAME,type=A|AAAA|CNAME,content=VALUE[,proxied=yes|no]`` (proxied by default, as the
    dashboard makes A and CNAME records); ``ValueError`` with one line naming the fix."""
    flag = f"--dns-record {text!r}"
    name, *options = [part.strip() for part in text.split(",")]
    settings: dict[str, str] = {}
    for option in options:
        key, sep, value = option.partition("=")
        if not sep or key not in ("type", "content", "proxied"):
            raise ValueError(f"{flag}: unknown option {option!r} — use type=, content=, proxied=")
        settings[key] = value
    kind = settings.get("type", "").upper()
    if not is_hostname(name) or kind not in HOST_TYPES or not settings.get("content"):
        raise ValueError(
            f"{flag}: write it as NAME,type=A|AAAA|CNAME,content=VALUE[,proxied=yes|no]"
        )
    proxied = settings.get("proxied", "yes").lower()
    if proxied not in ("yes", "no"):
        raise ValueError(f"{flag}: proxied={proxied} — use proxied=yes or proxied=no")
    _check_content(kind, settings["content"], flag)
    return RecordSeed(host_key(name), kind, settings["content"], proxied == "yes")


def check_record_flags(specs: Iterable[str]) -> None:
    """Parse every ``--dns-record`` value; the first bad one raises ``ValueError``."""
    for text in specs:
        parse_record_spec(text)


def seed_record(store: Store, seed: RecordSeed) -> bool:
    """Add a seeded record to the zone holding its name; False when it is there already.

    Raises ``ValueError`` when no zone of the emulator holds the name.
    """
    zone = _zone_of(store, seed.name)
    if zone is None:
        raise ValueError(f"--dns-record {seed.name}: no --zone holds that name — add its zone")
    records = store.dns_records.setdefault(zone["id"], [])
    same = (seed.name, seed.type, seed.content)
    if any((r["name"], r["type"], r["content"]) == same for r in records):
        return False
    records.append(_record(zone, seed.name, seed.type, seed.content, seed.proxied))
    return True


def manual_conflict(store: Store, zone_id: str, hostname: str) -> Record | None:
    """The manually created proxied A, AAAA or CNAME record on ``hostname``, if any: Spectrum
    refuses an app there (docs spectrum troubleshooting, cloudflare-docs PR #30683)."""
    wanted = host_key(hostname)
    for record in store.dns_records.get(zone_id, ()):
        if record["name"] == wanted and record["type"] in HOST_TYPES and record["proxied"]:
            return record
    return None


def spectrum_records(store: Store, zone_id: str) -> list[Record]:
    """Spectrum's own records, derived from the zone's apps (see the module docstring)."""
    zone = store.zones[zone_id]
    found: dict[tuple[str, str, str], Record] = {}
    for app in store.zone_apps(zone_id).values():
        name = host_key(app["dns"]["name"])
        edge = app.get("edge_ips") or {}
        if edge.get("type") == "static":
            pairs = [(_address_type(ip), ip) for ip in edge.get("ips", ())]
        else:
            pairs = [("CNAME", f"{name}.cdn.cloudflare.net")]
        for kind, content in pairs:
            found.setdefault((name, kind, content), _spectrum_record(zone, name, kind, content))
    return [found[key] for key in sorted(found)]


# --- handlers -------------------------------------------------------------------------------
def list_records(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """Manual records (and Spectrum's, when listed), filtered by exact ``name`` and ``type``."""
    zone_id = params["zone_id"].lower()
    records = list(backend.store.dns_records.get(zone_id, ()))
    if backend.spectrum_records:
        records += spectrum_records(backend.store, zone_id)
    if "name" in query:
        records = [r for r in records if r["name"] == host_key(query["name"])]
    if "type" in query:
        records = [r for r in records if r["type"] == query["type"].upper()]
    records.sort(key=lambda r: (r["name"], r["type"], r["content"], r["id"]))
    chunk, info = one_page(records, query, 100, 5, 5000)
    return success(chunk, info)


def get_record(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    zone_id = params["zone_id"].lower()
    wanted = params["record_id"].lower()
    every = [*backend.store.dns_records.get(zone_id, ()), *spectrum_records(backend.store, zone_id)]
    for record in every:
        if record["id"] == wanted:
            return success(record)
    raise refuse(codes.RECORD_NOT_FOUND, "Record does not exist.")


def create_record(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """``{type, name, content[, proxied]}``; a name Spectrum or a CNAME holds is 81053."""
    store, zone_id = backend.store, params["zone_id"].lower()
    zone = store.zones[zone_id]
    doc = object_body(body)
    kind, name, content = str(doc.get("type", "")).upper(), doc.get("name"), doc.get("content")
    if kind not in TYPES or not isinstance(content, str) or not isinstance(name, str):
        raise refuse(
            codes.INVALID_REQUEST,
            f"type must be one of {', '.join(TYPES)}, with name and content strings",
        )
    name = _absolute(name, zone["name"])
    proxied = doc.get("proxied", False)
    if not isinstance(proxied, bool) or (proxied and kind not in HOST_TYPES):
        raise refuse(codes.INVALID_REQUEST, "proxied is a boolean, for A, AAAA and CNAME only")
    try:
        _check_content(kind, content, "content")
    except ValueError as error:
        raise refuse(codes.INVALID_REQUEST, str(error)) from None
    if kind in HOST_TYPES and _host_taken(store, zone_id, name, kind):
        raise refuse(codes.RECORD_EXISTS, CONFLICT_TEXT)
    record = _record(zone, name, kind, content, proxied)
    store.dns_records.setdefault(zone_id, []).append(record)
    return success(record)


def delete_record(
    backend: Backend, params: dict[str, str], query: Query, body: bytes
) -> EmulatorResponse:
    """A manual record goes; Spectrum's own goes only with its app (11900 here, chosen)."""
    zone_id, wanted = params["zone_id"].lower(), params["record_id"].lower()
    records = backend.store.dns_records.get(zone_id, [])
    for record in records:
        if record["id"] == wanted:
            records.remove(record)
            return success({"id": wanted})
    if any(r["id"] == wanted for r in spectrum_records(backend.store, zone_id)):
        raise refuse(codes.INVALID_REQUEST, "This record is managed by Spectrum: delete the app")
    raise refuse(codes.RECORD_NOT_FOUND, "Record does not exist.")


_ZONE = ("zones", "{zone_id}", "dns_records")
ROUTES: tuple[tuple[tuple[str, ...], dict[str, Handler]], ...] = (
    (_ZONE, {"GET": list_records, "POST": create_record}),
    ((*_ZONE, "{record_id}"), {"GET": get_record, "DELETE": delete_record}),
)


# --- helpers --------------------------------------------------------------------------------
def _host_taken(store: Store, zone_id: str, name: str, kind: str) -> bool:
    """A CNAME shares its name with no A, AAAA or CNAME; Spectrum's hostname with none."""
    if any(host_key(app["dns"]["name"]) == name for app in store.zone_apps(zone_id).values()):
        return True
    same = [r for r in store.dns_records.get(zone_id, ()) if r["name"] == name]
    return any(r["type"] == "CNAME" or kind == "CNAME" for r in same if r["type"] in HOST_TYPES)


def _zone_of(store: Store, name: str) -> dict[str, Any] | None:
    holding = [z for z in store.zones.values() if within(name, host_key(z["name"]))]
    return max(holding, key=lambda z: len(z["name"]), default=None)


def _absolute(name: str, zone_name: str) -> str:
    """``@`` and relative names as Cloudflare reads them: inside the zone."""
    zone = host_key(zone_name)
    key = host_key(name)
    if key in ("@", ""):
        return zone
    full = key if within(key, zone) else f"{key}.{zone}"
    if not is_hostname(full):
        raise refuse(codes.INVALID_REQUEST, f"name {name!r} is not a hostname")
    return full


def _check_content(kind: str, content: str, what: str) -> None:
    """A: an IPv4 address; AAAA: an IPv6 one; CNAME: a hostname; TXT: anything."""
    if kind == "CNAME":
        valid = is_hostname(content)
    elif kind in ("A", "AAAA"):
        try:
            valid = ipaddress.ip_address(content).version == (4 if kind == "A" else 6)
        except ValueError:
            valid = False
    else:
        valid = True
    if not valid:
        raise ValueError(f"{what}: {content!r} is not valid content for a {kind} record")


def _address_type(ip: str) -> str:
    return "AAAA" if ":" in ip else "A"


def _record(zone: dict[str, Any], name: str, kind: str, content: str, proxied: bool) -> Record:
    stamp = now_rfc3339()
    return {
        "id": uuid.uuid4().hex,
        "zone_id": zone["id"],
        "zone_name": zone["name"],
        "name": name,
        "type": kind,
        "content": content,
        "proxied": proxied,
        "proxiable": kind in HOST_TYPES,
        "ttl": 1,
        "meta": {"read_only": False, "source": "primary"},
        "comment": None,
        "tags": [],
        "created_on": stamp,
        "modified_on": stamp,
    }


def _spectrum_record(zone: dict[str, Any], name: str, kind: str, content: str) -> Record:
    record = _record(zone, name, kind, content, True)
    record["id"] = md5_hex(f"spectrum record {zone['id']} {name} {kind} {content}")
    record["meta"] = {"read_only": True, "source": "spectrum"}
    record["created_on"] = record["modified_on"] = zone["created_on"]
    return record
