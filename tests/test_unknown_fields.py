"""unknown_fields: what a live app holds beyond the field table is found, carried and restored."""

from __future__ import annotations

from reconciler.planning.normalize import normalize_app
from reconciler.planning.unknown_fields import (
    carried,
    live_record,
    paths,
    restore_body,
    unknown_fields,
)

LIVE = {
    "id": "a" * 32,
    "modified_on": "2024-01-01T00:00:00Z",
    "dns": {"type": "CNAME", "name": "ssh.example.com", "ttl": 300},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
    "spp": False,
    "future_setting": {"mode": "fast"},
}


def test_unknown_fields_are_top_level_and_nested_ones_outside_the_table() -> None:
    assert unknown_fields(LIVE) == {"future_setting": {"mode": "fast"}, "dns": {"ttl": 300}}
    assert paths(unknown_fields(LIVE)) == ["dns.ttl", "future_setting"]


def test_carried_adds_them_without_overriding_the_body() -> None:
    body = {"dns": {"type": "CNAME", "name": "new.example.com"}, "future_setting": 1}
    merged = carried(body, unknown_fields(LIVE))
    assert merged["dns"] == {"type": "CNAME", "name": "new.example.com", "ttl": 300}
    assert merged["future_setting"] == 1
    assert carried({"protocol": "tcp/22"}, {"dns": {"ttl": 1}}) == {"protocol": "tcp/22"}


def test_a_restore_body_brings_back_the_unknown_fields() -> None:
    body = restore_body(live_record(LIVE))
    assert body["future_setting"] == {"mode": "fast"} and body["dns"]["ttl"] == 300
    assert normalize_app(body) == normalize_app(LIVE)
    assert "id" not in body and "spp" not in body
