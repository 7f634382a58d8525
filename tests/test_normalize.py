"""normalize: the field table's defaults, canonical forms, request bodies and replace reasons."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.model import AppKey
from reconciler.planning.normalize import (
    FIELDS,
    app_key,
    fingerprint,
    minimal_config,
    normalize_app,
    replace_reasons,
    request_body,
    update_body,
)

MINIMAL: dict[str, Any] = {
    "dns": {"type": "CNAME", "name": "ssh.example.com"},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
}


def test_defaults_are_filled() -> None:
    normalized = normalize_app(MINIMAL)
    assert normalized["traffic_type"] == "direct"
    assert normalized["tls"] == "off"
    assert normalized["proxy_protocol"] == "off"
    assert normalized["ip_firewall"] is False
    assert normalized["argo_smart_routing"] is False
    assert normalized["edge_ips"] == {"type": "dynamic", "connectivity": "all"}


def test_server_set_and_unknown_fields_are_dropped() -> None:
    live = {
        **MINIMAL,
        "id": "x" * 32,
        "created_on": "t",
        "modified_on": "t",
        "ipv4": True,
        "new": 1,
    }
    assert normalize_app(live) == normalize_app(MINIMAL)


def test_null_is_the_same_as_absent() -> None:
    assert normalize_app({**MINIMAL, "tls": None, "origin_dns": None}) == normalize_app(MINIMAL)


@pytest.mark.parametrize(
    ("field", "raw", "canonical"),
    [
        (
            "dns",
            {"name": "SSH.Example.COM.", "type": "cname"},
            {"name": "ssh.example.com", "type": "CNAME"},
        ),
        ("protocol", " TCP/22 ", "tcp/22"),
        ("origin_port", 22.0, 22),
        ("origin_port", "22", 22),
        ("origin_port", "3000 - 4000", "3000-4000"),
        ("origin_port", "3000.0-4000", "3000-4000"),
        ("origin_direct", ["TCP://[2001:DB8:0:0::1]:0443"], ["tcp://[2001:db8::1]:443"]),
        (
            "origin_direct",
            ["tcp://192.0.2.2:22", "tcp://192.0.2.1:22"],
            ["tcp://192.0.2.1:22", "tcp://192.0.2.2:22"],
        ),
        ("origin_direct", ["tcp://Origin.Example.com.:22"], ["tcp://origin.example.com:22"]),
        ("origin_direct", ["tcp://192.0.2.1:3000-4000"], ["tcp://192.0.2.1:3000-4000"]),
        ("origin_direct", ["tcp://[2001:db8::1]"], ["tcp://[2001:db8::1]"]),
        (
            "origin_dns",
            {"name": "O.example.com.", "ttl": 600.0},
            {"name": "o.example.com", "ttl": 600, "type": ""},
        ),
        (
            "origin_dns",
            {"name": "o.example.com", "type": "aaaa"},
            {"name": "o.example.com", "type": "AAAA"},
        ),
        (
            "edge_ips",
            {"type": "dynamic", "ips": ["104.18.0.1"]},
            {"type": "dynamic", "connectivity": "all"},
        ),
        (
            "edge_ips",
            {"type": "dynamic", "connectivity": "IPv4"},
            {"type": "dynamic", "connectivity": "ipv4"},
        ),
        (
            "edge_ips",
            {
                "type": "static",
                "connectivity": "all",
                "ips": ["2001:DB8::1", "198.51.100.9", "198.51.100.9"],
            },
            {"type": "static", "ips": ["198.51.100.9", "2001:db8::1"]},
        ),
        ("proxy_protocol", True, "v1"),
        ("proxy_protocol", False, "off"),
        ("proxy_protocol", "V2", "v2"),
        ("tls", "Full", "full"),
        ("ip_firewall", "true", True),
    ],
)
def test_canonical_forms(field: str, raw: Any, canonical: Any) -> None:
    assert normalize_app({**MINIMAL, field: raw})[field] == canonical


@pytest.mark.parametrize(
    ("legacy", "proxy_protocol"),
    [
        ({"spp": True}, "simple"),
        ({"spp": True, "proxy_protocol": False}, "simple"),
        ({"spp": True, "proxy_protocol": "off"}, "simple"),
        ({"spp": True, "proxy_protocol": "v2"}, "v2"),
        ({"spp": False}, "off"),
        ({"proxy_protocol": True}, "v1"),
    ],
)
def test_legacy_proxy_protocol_forms(legacy: dict[str, Any], proxy_protocol: str) -> None:
    assert normalize_app({**MINIMAL, **legacy})["proxy_protocol"] == proxy_protocol


def test_every_field_of_the_table_appears_in_table_order() -> None:
    managed = [f.name for f in FIELDS if not f.server_set]
    full = {
        **MINIMAL,
        "origin_dns": {"name": "o.example.com"},
        "origin_port": 22,
        "virtual_network_id": "F70FF985-A4EF-4643-BBBC-4A0ED4FC8415",
        "origin_worker_id": "tag",
    }
    assert list(normalize_app(full)) == managed


def test_app_key_is_case_and_dot_insensitive() -> None:
    config = {"dns": {"name": "SSH.example.com."}, "protocol": "TCP/22"}
    assert app_key("example.com", config) == AppKey("example.com", "ssh.example.com", "tcp/22")


def test_create_body_holds_only_declared_fields_canonicalized() -> None:
    declared = {**MINIMAL, "dns": {"type": "cname", "name": "SSH.example.com"}}
    assert request_body(declared) == {
        "dns": {"name": "ssh.example.com", "type": "CNAME"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.1:22"],
    }


def test_update_body_sets_every_field_the_live_app_has_or_declared() -> None:
    live = {**MINIMAL, "id": "x", "tls": "full", "edge_ips": {"type": "dynamic", "ips": ["1"]}}
    body = update_body(MINIMAL, live)
    assert body["tls"] == "off"  # reset explicitly: a PUT that keeps omitted fields would not
    assert body["edge_ips"] == {"type": "dynamic", "connectivity": "all"}
    assert "argo_smart_routing" not in body  # neither side has it: a paygo body stays paygo
    assert "id" not in body


def test_update_body_removes_a_field_with_no_default_by_sending_null() -> None:
    live = {**MINIMAL, "virtual_network_id": "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"}
    body = update_body(MINIMAL, live)
    assert "virtual_network_id" in body and body["virtual_network_id"] is None


def test_unknown_nested_keys_are_not_compared() -> None:
    live = {**MINIMAL, "dns": {**MINIMAL["dns"], "ttl": 300}, "origin_dns": None}
    assert normalize_app(live) == normalize_app(MINIMAL)
    by_name = {"origin_dns": {"name": "o.example.net", "priority": 5}, "origin_port": 22}
    assert normalize_app(by_name)["origin_dns"] == {"name": "o.example.net", "type": ""}


@pytest.mark.parametrize(
    ("before", "after", "reasons"),
    [
        (
            {"dns": {"type": "CNAME"}},
            {"dns": {"type": "ADDRESS"}},
            ("dns.type CNAME -> ADDRESS (non-BYOIP to BYOIP) cannot change in place",),
        ),
        (
            {"edge_ips": {"type": "static"}},
            {"edge_ips": {"type": "dynamic"}},
            ("edge_ips.type static -> dynamic (BYOIP to non-BYOIP) cannot change in place",),
        ),
        ({"dns": {"type": "CNAME"}, "tls": "off"}, {"dns": {"type": "CNAME"}, "tls": "full"}, ()),
        (
            {"edge_ips": {"type": "static", "ips": ["198.51.100.1"]}},
            {"edge_ips": {"type": "static", "ips": ["198.51.100.2"]}},
            (),
        ),
    ],
)
def test_replace_reasons(
    before: dict[str, Any], after: dict[str, Any], reasons: tuple[str, ...]
) -> None:
    assert replace_reasons(before, after) == reasons


def test_minimal_config_keeps_only_what_differs_from_defaults() -> None:
    normalized = normalize_app({**MINIMAL, "tls": "full", "ip_firewall": False})
    assert minimal_config(normalized) == {
        "dns": {"name": "ssh.example.com", "type": "CNAME"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.1:22"],
        "tls": "full",
    }


def test_minimal_config_round_trips_through_normalize() -> None:
    normalized = normalize_app({**MINIMAL, "edge_ips": {"type": "dynamic", "connectivity": "ipv6"}})
    assert normalize_app(minimal_config(normalized)) == normalized


def test_fingerprint_is_stable_and_sensitive() -> None:
    one = normalize_app(MINIMAL)
    assert fingerprint(one) == fingerprint(dict(reversed(list(one.items()))))
    assert fingerprint(one) != fingerprint({**one, "tls": "full"})
    assert len(fingerprint(one)) == 64
