"""A saved state's later sections checked before the store trusts them.

In: a state document as read from disk (a file written by another version, or edited by hand).
Out: nothing, or ``ValueError`` naming the first field that is wrong (``traffic.offset must be a
number``); ``Store.from_dict`` turns it into the ``StateFileError`` naming the file. Each check
asks for what the code reading the section relies on: the traffic ledger (the clock's offset,
the last settle, each app's ``[start, end, rate]`` spans), a prefix's bindings, BGP prefixes
and delegations (an id, a CIDR, and what the routes and address maps read of each), leases (a
CIDR, an account id, a time), and DNS records (id, name, type, content). Pure.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from typing import Any

Check = tuple[str, Callable[[Any], bool]]  # (what the field must be, the test)
_TEXT: Check = ("a string", lambda v: isinstance(v, str))
_CIDR: Check = ("a CIDR", lambda v: _is_cidr(v))
_NUMBER: Check = ("a number", lambda v: _is_number(v))
_OBJECT: Check = ("an object", lambda v: isinstance(v, dict))
_RECORDS: dict[str, dict[str, Check]] = {
    "bindings": {"id": _TEXT, "cidr": _CIDR, "service_name": _TEXT, "active_after": _NUMBER},
    "bgp_prefixes": {"id": _TEXT, "cidr": _CIDR, "on_demand": _OBJECT},
    "delegations": {
        "id": _TEXT,
        "cidr": _CIDR,
        "delegated_account_id": _TEXT,
        "parent_prefix_id": _TEXT,
        "created_at": _TEXT,
    },
    "dns_records": {"id": _TEXT, "name": _TEXT, "type": _TEXT, "content": _TEXT},
}


def check_sections(doc: dict[str, Any]) -> None:
    """``ValueError`` for the first malformed entry of a section named above; a section that
    is absent (an older file) is fine."""
    _check_traffic(doc.get("traffic", {}))
    for section, fields in _RECORDS.items():
        _check_grouped(section, doc.get(section, {}), fields)
    leased = doc.get("leased", [])
    _require(isinstance(leased, list), "leased must be a list")
    for i, lease in enumerate(leased):
        if isinstance(lease, dict):  # a bare CIDR is a lease from before several accounts
            for field in ("account_id", "created_at"):
                _require(isinstance(lease.get(field), str), f"leased[{i}].{field} missing")
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


def _check_grouped(section: str, groups: Any, fields: dict[str, Check]) -> None:
    """``{owner id: [record, ...]}`` whose records all pass ``fields``."""
    _require(isinstance(groups, dict), f"{section} must be an object")
    for owner, records in groups.items():
        _require(isinstance(records, list), f"{section}.{owner} must be a list")
        for i, record in enumerate(records):
            _require(isinstance(record, dict), f"{section}.{owner}[{i}] must be an object")
            for field, (what, test) in fields.items():
                _require(test(record.get(field)), f"{section}.{owner}[{i}].{field} must be {what}")


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
