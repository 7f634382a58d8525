"""A saved state's later sections checked before the store trusts them.

In: a state document as read from disk (a file written by another version, or edited by hand).
Out: nothing, or ``ValueError`` naming the first field that is wrong (``traffic.offset must be a
number``); ``Store.from_dict`` turns it into the ``StateFileError`` naming the file. Each check
asks for what the code reading the section relies on: the traffic ledger (the clock's offset,
the last settle, each app's ``[start, end, rate]`` spans), a prefix's bindings, BGP prefixes
and delegations (an id and a CIDR), leases (a CIDR and an account id), and DNS records (name,
type, content, id). Pure.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any

_RECORD_KEYS = {
    "bindings": ("id", "cidr", "service_name"),
    "bgp_prefixes": ("id", "cidr"),
    "delegations": ("id", "cidr", "delegated_account_id"),
    "dns_records": ("id", "name", "type", "content"),
}


def check_sections(doc: dict[str, Any]) -> None:
    """``ValueError`` for the first malformed entry of a section named above; a section that
    is absent (an older file) is fine."""
    _check_traffic(doc.get("traffic", {}))
    for section, keys in _RECORD_KEYS.items():
        _check_grouped(section, doc.get(section, {}), keys)
    leased = doc.get("leased", [])
    _require(isinstance(leased, list), "leased must be a list")
    for i, lease in enumerate(leased):
        if isinstance(lease, dict):  # a bare CIDR is a lease from before several accounts
            _require(isinstance(lease.get("account_id"), str), f"leased[{i}].account_id missing")
            lease = lease.get("cidr")
        _require(_is_cidr(lease), f"leased[{i}] must hold a CIDR")


def _check_traffic(traffic: Any) -> None:
    _require(isinstance(traffic, dict), "traffic must be an object")
    for name in ("offset", "settled"):
        if name in traffic:
            _require(_is_number(traffic[name]), f"traffic.{name} must be a number")
    apps = traffic.get("apps", {})
    _require(isinstance(apps, dict), "traffic.apps must be an object")
    for app_id, entry in apps.items():
        where = f"traffic.apps.{app_id}"
        _require(isinstance(entry, dict), f"{where} must be an object")
        _require(isinstance(entry.get("zone"), str), f"{where}.zone missing")
        spans = entry.get("spans", [])
        _require(_is_list_of(spans, _is_span), f"{where}.spans must be [start, end, rate] lists")


def _check_grouped(section: str, groups: Any, keys: tuple[str, ...]) -> None:
    """``{owner id: [record, ...]}`` whose records all carry ``keys`` as strings."""
    _require(isinstance(groups, dict), f"{section} must be an object")
    for owner, records in groups.items():
        _require(isinstance(records, list), f"{section}.{owner} must be a list")
        for i, record in enumerate(records):
            ok = isinstance(record, dict) and all(isinstance(record.get(k), str) for k in keys)
            _require(ok, f"{section}.{owner}[{i}] needs {', '.join(keys)}")
            if "cidr" in keys:
                _require(_is_cidr(record["cidr"]), f"{section}.{owner}[{i}].cidr is not a CIDR")


def _is_span(span: Any) -> bool:
    return _is_list_of(span, _is_number) and len(span) == 3


def _is_list_of(value: Any, each: Callable[[Any], bool]) -> bool:
    return isinstance(value, list) and all(each(item) for item in value)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_cidr(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(ipaddress.ip_network(value))
    except ValueError:
        return False


def _require(ok: bool, reason: str) -> None:
    if not ok:
        raise ValueError(reason)
