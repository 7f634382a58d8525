"""checks.preflight: each rule alone, on plain values — what it refuses and what it lets pass."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.checks.preflight import host_records_from_api, zone_facts_from_api
from reconciler.checks.preflight.facts import HostRecord
from reconciler.checks.preflight.rules import (
    dns_record_conflict,
    entitlement,
    ipv4_hostname_quota,
    one_app_per_protocol,
    uses_cloudflare_ipv4,
)
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind


def create(name: str, protocol: str = "ssh", **body: Any) -> Action:
    key = AppKey.of("example.com", name, protocol)
    full = {"dns": {"type": "CNAME", "name": name}, "protocol": protocol, **body}
    return Action(ActionKind.CREATE, key, "z1", after=full, body=full)


@pytest.mark.parametrize(
    ("plan", "action", "kind"),
    [
        ("free", create("a.example.com"), "spectrum_not_in_plan"),
        ("pro", create("a.example.com", tls="off"), "field_not_in_plan"),
        ("pro", create("a.example.com", "rdp"), "protocol_not_in_plan"),
        ("business", create("a.example.com", "tcp/22"), "protocol_not_in_plan"),
        ("pro", create("a.example.com", origin_direct=["tcp://192.0.2.1:22"]), None),
        ("business", create("a.example.com", "rdp"), None),
        ("enterprise", create("a.example.com", "tcp/22", tls="full"), None),
        ("unknown", create("a.example.com", "tcp/22", tls="full"), None),
    ],
)
def test_entitlement(plan: str, action: Action, kind: str | None) -> None:
    found = entitlement(action, plan)
    assert (found.kind if found else None) == kind


def test_a_null_field_is_absent_for_the_plan() -> None:
    assert entitlement(create("a.example.com", tls=None), "pro") is None


def test_one_app_per_protocol_counts_live_apps_until_a_delete_runs_first() -> None:
    old = AppKey.of("example.com", "old.example.com", "ssh")
    new = [create("new.example.com")]
    assert [f.kind for f in one_app_per_protocol(new, [old], [], "pro")] == ["one_app_per_protocol"]
    assert one_app_per_protocol(new, [old], [old], "pro") == []  # freed in its replace unit
    assert one_app_per_protocol(new, [old], [], "enterprise") == []
    two = [create("a.example.com"), create("b.example.com")]
    assert len(one_app_per_protocol(two, [], [], "business")) == 2


MANUAL = HostRecord("a.example.com", "A", "192.0.2.7", proxied=True)


@pytest.mark.parametrize(
    ("records", "held", "refused"),
    [
        ([MANUAL], (), True),
        ([HostRecord("A.example.com.".lower().rstrip("."), "CNAME", "x", True)], (), True),
        ([HostRecord("a.example.com", "A", "192.0.2.7", proxied=False)], (), False),
        ([HostRecord("a.example.com", "A", "192.0.2.7", True, spectrum=True)], (), False),
        ([MANUAL], ("a.example.com",), False),  # a live app holds it: the record is its own
        ([HostRecord("b.example.com", "A", "192.0.2.7", True)], (), False),
    ],
)
def test_dns_record_conflict(
    records: list[HostRecord], held: tuple[str, ...], refused: bool
) -> None:
    found = dns_record_conflict(create("a.example.com"), records, held)
    assert (found is not None) is refused
    if found:
        assert "An A, AAAA or CNAME record already exists with that host." in found.message


def test_quota_refuses_each_new_hostname_once_past_it_with_the_figure() -> None:
    adding = [create("k.example.com")]
    counted = {f"h{n}.example.com" for n in range(10)} | {"k.example.com"}
    found = ipv4_hostname_quota(adding, counted, 10, "acc", partial=True)
    assert len(found) == 1 and "11 of 10" in found[0].message
    assert "--account-wide" in found[0].message
    assert ipv4_hostname_quota(adding, counted, 11, "acc", partial=False) == []


@pytest.mark.parametrize(
    ("config", "counts"),
    [
        ({}, True),
        ({"edge_ips": {"type": "dynamic", "connectivity": "ipv4"}}, True),
        ({"edge_ips": {"type": "dynamic", "connectivity": "ipv6"}}, False),
        ({"edge_ips": {"type": "static", "ips": ["198.51.100.1"]}}, False),
        (None, True),
    ],
)
def test_what_uses_cloudflare_ipv4(config: dict[str, Any] | None, counts: bool) -> None:
    assert uses_cloudflare_ipv4(config) is counts


def test_facts_from_the_api() -> None:
    zone = {"id": "z", "account": {"id": "acc"}, "plan": {"legacy_id": "Business"}}
    facts = zone_facts_from_api(zone)
    assert (facts.account_id, facts.plan) == ("acc", "business")
    assert zone_facts_from_api({"id": "z", "plan": {"legacy_id": "gold"}}).plan == "unknown"
    records = host_records_from_api(
        [
            {"type": "TXT", "name": "a.example.com", "content": "x"},
            {"type": "A", "name": "A.Example.com.", "content": "192.0.2.1", "proxied": True},
            {"type": "CNAME", "name": "s.example.com", "meta": {"read_only": True}},
        ]
    )
    assert [(r.name, r.type, r.proxied, r.spectrum) for r in records] == [
        ("a.example.com", "A", True, False),
        ("s.example.com", "CNAME", False, True),
    ]
