"""export: every field the API has survives the round trip live -> file -> plan (nothing to do)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import workflow
from reconciler.errors import ReconcilerError
from reconciler.interop.export import export_document
from reconciler.model import AppKey, LiveZone, ZoneSpec
from reconciler.planning.planner import build_plan
from tests.conftest import make_client, make_emulator

VNET = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"
APPS: list[dict[str, Any]] = [
    {
        "dns": {"type": "CNAME", "name": "argo.example.com"},
        "protocol": "tcp/8443",
        "origin_direct": ["tcp://192.0.2.10:8443", "tcp://[2001:db8:10::1]:8443"],
        "traffic_type": "direct",
        "argo_smart_routing": True,
        "ip_firewall": True,
        "proxy_protocol": "v2",
        "tls": "strict",
        "edge_ips": {"type": "dynamic", "connectivity": "ipv6"},
    },
    {
        "dns": {"type": "CNAME", "name": "vnet.example.com"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://10.0.0.5:22"],
        "virtual_network_id": VNET,
    },
    {
        "dns": {"type": "CNAME", "name": "range.example.com"},
        "protocol": "tcp/1000-2000",
        "origin_dns": {"name": "origin.example.com", "ttl": 1200, "type": "AAAA"},
        "origin_port": "3000-4000",
    },
    {
        "dns": {"type": "ADDRESS", "name": "www.example.com"},
        "protocol": "tcp/443",
        "origin_direct": ["tcp://192.0.2.1:443"],
        "traffic_type": "https",
        "tls": "full",
        "edge_ips": {"type": "static", "ips": ["198.51.100.10", "2001:DB8::1"]},
    },
    {
        "dns": {"type": "CNAME", "name": "dns.example.com"},
        "protocol": "udp/53",
        "origin_dns": {"name": "resolver.example.com", "type": "SRV"},
        "proxy_protocol": "simple",
    },
]


def test_export_then_plan_is_empty_for_every_field(tmp_path: Path) -> None:
    emulator = make_emulator(virtual_networks={VNET: ("10.0.0.0/24",)})
    zone = ZoneSpec(name="example.com", zone_id=None)
    with make_client(emulator) as client:
        zone_id = client.resolve_zone(zone).zone_id
        for body in APPS:
            key = AppKey.of("example.com", body["dns"]["name"], body["protocol"])
            client.create_app(zone_id, key, body)
        (live,) = client.fetch_live([zone])
    exported = tmp_path / "example.com.yaml"
    exported.write_text(export_document(live, out_path=str(exported)))
    text = exported.read_text()
    for field in (
        "argo_smart_routing",
        "virtual_network_id",
        "origin_dns",
        "origin_port",
        "SRV",
        "edge_ips",
        "static",
        "ipv6",
        "proxy_protocol",
        "traffic_type",
        "ip_firewall",
    ):
        assert field in text, field
    desired = workflow.load([str(exported)])
    plan = build_plan(desired, [live])
    assert plan.actions == () and plan.unchanged == len(APPS)


def test_an_export_that_would_not_validate_is_refused_not_returned() -> None:
    with pytest.raises(ReconcilerError, match=r"would not validate .*nothing was written"):
        export_document(LiveZone("not a zone!", "0" * 32, ()), out_path=None)
