"""The account's IPv4 hostname quota over loopback: unique hostnames on Cloudflare-managed IPv4
across the account's zones; the one past the quota is refused with 12005."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_helpers import apps_url, error_codes, make_emulator, static_app, tcp_app

from reconciler.emulator import serve


@pytest.fixture
def http() -> Iterator[tuple[httpx.Client, str, str]]:
    emu = make_emulator(ipv4_hostname_quota=3)
    com, org = (str(emu.ensure_zone(name)["id"]) for name in ("example.com", "other.org"))
    with (
        serve(emu) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as client,
    ):
        yield client, com, org


def made(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def test_the_hostname_past_the_quota_is_refused_across_zones(http: Any) -> None:
    client, com, org = http
    made(client.post(apps_url(com), json=tcp_app("a.example.com")))
    made(client.post(apps_url(com), json=tcp_app("b.example.com")))
    made(client.post(apps_url(org), json=tcp_app("c.other.org")))
    refused = client.post(apps_url(org), json=tcp_app("d.other.org"))
    assert (refused.status_code, error_codes(refused)) == (400, [12005])
    assert "all available IPv4 addresses" in refused.json()["errors"][0]["message"]


def test_a_counted_hostname_costs_nothing_more(http: Any) -> None:
    client, com, _ = http
    for name in ("a", "b", "c"):
        made(client.post(apps_url(com), json=tcp_app(f"{name}.example.com")))
    same = tcp_app("a.example.com", protocol="tcp/80", origin_direct=["tcp://192.0.2.1:80"])
    made(client.post(apps_url(com), json=same))


def test_ipv6_only_and_static_apps_do_not_count(http: Any) -> None:
    client, com, _ = http
    for name in ("a", "b", "c"):
        made(client.post(apps_url(com), json=tcp_app(f"{name}.example.com")))
    ipv6 = tcp_app("v6.example.com", edge_ips={"type": "dynamic", "connectivity": "ipv6"})
    made(client.post(apps_url(com), json=ipv6))
    made(client.post(apps_url(com), json=static_app()))
    ipv4 = tcp_app("v4.example.com", edge_ips={"type": "dynamic", "connectivity": "ipv4"})
    assert error_codes(client.post(apps_url(com), json=ipv4)) == [12005]


def test_an_update_that_takes_ipv4_is_counted_and_a_freed_one_is_reusable(http: Any) -> None:
    client, com, _ = http
    for name in ("a", "b", "c"):
        made(client.post(apps_url(com), json=tcp_app(f"{name}.example.com")))
    v6 = tcp_app("v6.example.com", edge_ips={"type": "dynamic", "connectivity": "ipv6"})
    app = made(client.post(apps_url(com), json=v6))
    to_all = client.put(apps_url(com, app["id"]), json=tcp_app("v6.example.com"))
    assert error_codes(to_all) == [12005]
    a = client.get(apps_url(com), params={"per_page": 50}).json()["result"][0]
    assert client.delete(apps_url(com, a["id"])).status_code == 200
    made(client.put(apps_url(com, app["id"]), json=tcp_app("v6.example.com")))
