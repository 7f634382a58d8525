"""Listing: pagination, ordering, defaults filled on create, PUT as full replacement, zones."""

from __future__ import annotations

import re

import httpx
import pytest
from emulator_helpers import apps_url, create, error_codes, tcp_app

from reconciler.emulator import Emulator

TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def _fill(client: httpx.Client, zone_id: str, count: int) -> list[dict[str, object]]:
    return [create(client, zone_id, tcp_app(f"app{i:02}.example.com")) for i in range(count)]


def test_pages_slice_and_report_result_info(client: httpx.Client, zone_id: str) -> None:
    _fill(client, zone_id, 25)
    body = client.get(apps_url(zone_id), params={"page": 2, "per_page": 10}).json()
    assert body["result_info"] == {
        "page": 2,
        "per_page": 10,
        "count": 10,
        "total_count": 25,
        "total_pages": 3,
    }
    assert body["result"][0]["dns"]["name"] == "app10.example.com"
    last = client.get(apps_url(zone_id), params={"page": 3, "per_page": 10}).json()
    assert last["result_info"]["count"] == 5


def test_past_the_last_page_is_an_empty_list(client: httpx.Client, zone_id: str) -> None:
    _fill(client, zone_id, 3)
    response = client.get(apps_url(zone_id), params={"page": 9})
    assert response.status_code == 200
    assert response.json()["result"] == [] and response.json()["result_info"]["count"] == 0


def test_pageless_request_is_page_one(client: httpx.Client, zone_id: str) -> None:
    _fill(client, zone_id, 25)
    body = client.get(apps_url(zone_id)).json()
    assert len(body["result"]) == 20 and body["result_info"]["page"] == 1


@pytest.mark.parametrize(("asked", "used"), [("500", 100), ("0", 1), ("100", 100)])
def test_per_page_is_clamped(client: httpx.Client, zone_id: str, asked: str, used: int) -> None:
    body = client.get(apps_url(zone_id), params={"page": 1, "per_page": asked}).json()
    assert body["result_info"]["per_page"] == used


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "many"},
        {"per_page": "1e400"},  # a float too large for an int: refused, not a crash
        {"page": "inf"},
        {"page": "nan"},
        {"order": "colour"},
        {"direction": "up"},
    ],
)
def test_bad_query_values_are_refused(
    client: httpx.Client, zone_id: str, params: dict[str, str]
) -> None:
    response = client.get(apps_url(zone_id), params=params)
    assert (response.status_code, error_codes(response)) == (400, [11900])


def test_ordering(client: httpx.Client, zone_id: str) -> None:
    first = create(
        client,
        zone_id,
        tcp_app("b.example.com", protocol="tcp/30", origin_direct=["tcp://192.0.2.1:30"]),
    )
    second = create(
        client,
        zone_id,
        tcp_app("a.example.com", protocol="tcp/100", origin_direct=["tcp://192.0.2.1:100"]),
    )
    third = create(
        client,
        zone_id,
        tcp_app("c.example.com", protocol="tcp/4", origin_direct=["tcp://192.0.2.1:4"]),
    )

    def order(**params: str) -> list[str]:
        return [app["id"] for app in client.get(apps_url(zone_id), params=params).json()["result"]]

    assert order() == [second["id"], first["id"], third["id"]]  # dns, asc by default
    assert order(direction="desc") == [third["id"], first["id"], second["id"]]
    assert order(order="protocol") == [third["id"], first["id"], second["id"]]  # numeric ports
    assert order(order="created_on") == [first["id"], second["id"], third["id"]]
    assert order(order="app_id") == sorted([first["id"], second["id"], third["id"]])


def test_create_fills_defaults_and_server_fields(client: httpx.Client, zone_id: str) -> None:
    app = create(client, zone_id, tcp_app())
    assert re.fullmatch(r"[0-9a-f]{32}", app["id"])
    assert TIMESTAMP.fullmatch(app["created_on"]) and app["created_on"] == app["modified_on"]
    assert {k: app[k] for k in ("traffic_type", "tls", "proxy_protocol", "argo_smart_routing")} == {
        "traffic_type": "direct",
        "tls": "off",
        "proxy_protocol": "off",
        "argo_smart_routing": False,
    }
    assert app["edge_ips"] == {"type": "dynamic", "connectivity": "all"}
    assert "ip_firewall" not in app  # not sent, not invented (see docs/emulator.md)
    body = tcp_app("fw.example.com", ip_firewall=True, traffic_type=None)
    echoed = create(client, zone_id, body)
    assert echoed["ip_firewall"] is True and echoed["traffic_type"] == "direct"


def test_ip_firewall_default_is_a_switch(zone_id: str) -> None:
    from emulator_helpers import client_for, make_emulator

    with client_for(make_emulator(ip_firewall_default=False)) as c:
        assert create(c, zone_id, tcp_app())["ip_firewall"] is False


def test_put_replaces_the_whole_app(client: httpx.Client, zone_id: str) -> None:
    app = create(client, zone_id, tcp_app(tls="full", ip_firewall=True))
    response = client.put(apps_url(zone_id, app["id"]), json=tcp_app())
    updated = response.json()["result"]
    assert updated["tls"] == "off" and "ip_firewall" not in updated
    assert updated["id"] == app["id"] and updated["created_on"] == app["created_on"]
    assert (
        TIMESTAMP.fullmatch(updated["modified_on"]) and updated["modified_on"] > app["modified_on"]
    )
    assert client.get(apps_url(zone_id, app["id"])).json()["result"] == updated


def test_delete_returns_the_id_and_accepts_a_body(client: httpx.Client, zone_id: str) -> None:
    app = create(client, zone_id, tcp_app())
    response = client.request("DELETE", apps_url(zone_id, app["id"]), json={})
    assert response.status_code == 200 and response.json()["result"] == {"id": app["id"]}


def test_snapshot_is_a_copy(emu: Emulator, client: httpx.Client, zone_id: str) -> None:
    create(client, zone_id, tcp_app())
    emu.apps(zone_id)[0]["dns"]["name"] = "changed.example.com"
    assert emu.apps(zone_id)[0]["dns"]["name"] == "ssh.example.com"


def test_zones_by_exact_name(emu: Emulator, client: httpx.Client) -> None:
    body = client.get("/zones", params={"name": "example.com"}).json()
    assert [zone["name"] for zone in body["result"]] == ["example.com"]
    assert body["result"][0]["id"] == emu.ensure_zone("example.com")["id"]
    assert body["result"][0]["account"]["id"] == emu.account_id
    assert client.get("/zones", params={"name": "example"}).json()["result"] == []
    paged = client.get("/zones", params={"per_page": 1}).json()["result_info"]
    assert paged["per_page"] == 5 and paged["total_count"] == 3


def test_a_zone_given_in_capitals_is_one_zone_found_by_its_name_in_any_case(
    emu: Emulator, client: httpx.Client
) -> None:
    """Chosen (docs/emulator.md): names are kept in lower case, as DNS compares them (RFC 4343),
    and ``?name=`` compares without case."""
    zone = emu.ensure_zone("Example.org")
    assert zone["name"] == "example.org" and emu.ensure_zone("example.org")["id"] == zone["id"]
    for asked in ("example.org", "EXAMPLE.ORG", "Example.org"):
        found = client.get("/zones", params={"name": asked}).json()["result"]
        assert [z["id"] for z in found] == [zone["id"]], asked


def test_zone_ids_are_stable_and_ensure_zone_id_works(emu: Emulator) -> None:
    assert emu.ensure_zone("example.com")["id"] == "5ababd603b22780302dd8d83498e5172"
    zone = emu.ensure_zone_id("023e105f4ecef8ad9ca31a8372d0c353")
    assert zone["name"] == "023e105f4ecef8ad9ca31a8372d0c353.zone.invalid"
    assert emu.ensure_zone_id("023E105F4ECEF8AD9CA31A8372D0C353")["id"] == zone["id"]
    with pytest.raises(ValueError):
        emu.ensure_zone_id("nope")


def test_prefixes_are_approved(emu: Emulator, client: httpx.Client) -> None:
    body = client.get(f"/accounts/{emu.account_id}/addressing/prefixes").json()
    assert {(p["cidr"], p["approved"]) for p in body["result"]} == {
        ("198.51.100.0/24", "V"),
        ("2001:db8::/48", "V"),
    }
