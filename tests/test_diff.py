"""diff: FieldChanges with dotted paths, lists whole, deterministic order."""

from __future__ import annotations

from typing import Any

from reconciler.plan import FieldChange
from reconciler.planning.diff import diff_apps
from reconciler.planning.normalize import normalize_app

BASE: dict[str, Any] = normalize_app(
    {
        "dns": {"type": "CNAME", "name": "ssh.example.com"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.1:22"],
    }
)


def test_equal_apps_have_no_changes() -> None:
    assert diff_apps(BASE, dict(BASE)) == ()


def test_nested_fields_get_dotted_paths() -> None:
    after = {**BASE, "dns": {"name": "ssh.example.com", "type": "ADDRESS"}}
    assert diff_apps(BASE, after) == (FieldChange("dns.type", "CNAME", "ADDRESS"),)


def test_lists_are_reported_whole() -> None:
    after = {**BASE, "origin_direct": ["tcp://192.0.2.1:22", "tcp://192.0.2.2:22"]}
    assert diff_apps(BASE, after) == (
        FieldChange(
            "origin_direct", ["tcp://192.0.2.1:22"], ["tcp://192.0.2.1:22", "tcp://192.0.2.2:22"]
        ),
    )


def test_nested_list_is_reported_whole_under_its_own_path() -> None:
    before = {**BASE, "edge_ips": {"type": "static", "ips": ["198.51.100.1", "198.51.100.2"]}}
    after = {**BASE, "edge_ips": {"type": "static", "ips": ["198.51.100.1"]}}
    assert diff_apps(before, after) == (
        FieldChange("edge_ips.ips", ["198.51.100.1", "198.51.100.2"], ["198.51.100.1"]),
    )


def test_added_and_removed_fields_use_none_for_the_missing_side() -> None:
    before = {**BASE, "virtual_network_id": "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"}
    after = {**BASE, "origin_port": 22}
    assert diff_apps(before, after) == (
        FieldChange("origin_port", None, 22),
        FieldChange("virtual_network_id", "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415", None),
    )


def test_type_change_is_one_change() -> None:
    assert diff_apps({**BASE, "origin_port": 22}, {**BASE, "origin_port": "22-23"}) == (
        FieldChange("origin_port", 22, "22-23"),
    )


def test_order_follows_the_field_table_then_path() -> None:
    after = {
        **BASE,
        "tls": "full",
        "dns": {"name": "ssh.example.com", "type": "ADDRESS"},
        "edge_ips": {"type": "static", "ips": ["198.51.100.1"]},
        "protocol": "tcp/23",
    }
    paths = [c.path for c in diff_apps(BASE, after)]
    assert paths == [
        "dns.type",
        "protocol",
        "edge_ips.connectivity",
        "edge_ips.ips",
        "edge_ips.type",
        "tls",
    ]
    assert [c.path for c in diff_apps(BASE, dict(reversed(list(after.items()))))] == paths
