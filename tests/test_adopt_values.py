"""What adopting writes: live values, in the file's own spelling where the meaning allows."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.interop.adopt.values import REMOVE, field_edits, new_app

GIT = {
    "dns": {"type": "CNAME", "name": "Git.Example.com"},
    "protocol": "tcp/22",
    "origin_direct": ["TCP://192.0.2.21:22", "tcp://192.0.2.20:22"],
    "origin_port": 22,
}


def live(**fields: Any) -> dict[str, Any]:
    base = {"id": "x", "modified_on": "t", **GIT, "origin_port": 22}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize(
    ("live_app", "edits"),
    [
        (live(), {}),
        (live(tls="full"), {"tls": "full"}),
        (live(origin_port=None), {"origin_port": REMOVE}),
        (live(ip_firewall=False), {}),  # the default: the file need not say it
        (
            live(dns={"type": "ADDRESS", "name": "git.example.com"}),
            {"dns": {"type": "ADDRESS", "name": "Git.Example.com"}},  # the file's spelling
        ),
        (
            live(origin_direct=["tcp://192.0.2.20:22", "tcp://192.0.2.22:22"]),
            {"origin_direct": ["tcp://192.0.2.20:22", "tcp://192.0.2.22:22"]},
        ),
        (
            live(origin_direct=["tcp://192.0.2.21:22", "tcp://192.0.2.20:22", "tcp://b:1"]),
            {"origin_direct": ["TCP://192.0.2.21:22", "tcp://192.0.2.20:22", "tcp://b:1"]},
        ),
        (
            live(edge_ips={"type": "dynamic", "connectivity": "ipv4"}),
            {"edge_ips": {"connectivity": "ipv4", "type": "dynamic"}},
        ),
    ],
)
def test_each_changed_field_and_nothing_else(live_app: dict[str, Any], edits: Any) -> None:
    assert field_edits(GIT, live_app) == edits


def test_a_key_the_file_left_to_its_default_stays_left_out() -> None:
    declared = {**GIT, "origin_dns": {"name": "origin.example.com"}}
    del declared["origin_direct"]
    moved = {**declared, "origin_dns": {"name": "other.example.com"}, "origin_direct": None}
    assert field_edits(declared, live(**moved)) == {"origin_dns": {"name": "other.example.com"}}


def test_unknown_live_fields_are_never_written() -> None:
    future = live(tls="full", future_knob=7, dns={**GIT["dns"], "ttl": 60})
    assert field_edits(GIT, future) == {"tls": "full"}
    assert "future_knob" not in new_app(future) and "ttl" not in new_app(future)["dns"]


def test_a_new_app_is_written_with_only_what_differs_from_the_defaults() -> None:
    assert new_app(live(tls="off", ip_firewall=False, origin_port=None)) == {
        "dns": {"name": "git.example.com", "type": "CNAME"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.20:22", "tcp://192.0.2.21:22"],
    }
