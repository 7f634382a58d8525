"""DNS records over loopback: the subset of /dns_records, Spectrum's own record following its
app, and Spectrum's refusal of a hostname that a manual proxied record holds."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_helpers import apps_url, error_codes, make_emulator, static_app, tcp_app

from reconciler.emulator import Emulator, serve


@pytest.fixture
def http(request: pytest.FixtureRequest) -> Iterator[tuple[httpx.Client, str, Emulator]]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    emu = make_emulator(**overrides)
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with (
        serve(emu) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as client,
    ):
        yield client, zone_id, emu


def records(client: httpx.Client, zone_id: str, **query: Any) -> list[dict[str, Any]]:
    response = client.get(f"/zones/{zone_id}/dns_records", params=query)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()["result"]
    return result


SEEDED = {"dns_records": ("ssh.example.com,type=A,content=192.0.2.7",)}


@pytest.mark.parametrize("http", [SEEDED], indirect=True)
def test_a_seeded_proxied_record_refuses_an_app_on_its_hostname(http: Any) -> None:
    client, zone_id, _ = http
    response = client.post(apps_url(zone_id), json=tcp_app("ssh.example.com"))
    assert response.status_code == 400 and error_codes(response) == [81053]
    assert "An A, AAAA or CNAME record already exists with that host." in response.text
    assert client.post(apps_url(zone_id), json=tcp_app("other.example.com")).status_code == 200


@pytest.mark.parametrize(
    "http",
    [{"dns_records": ("ssh.example.com,type=A,content=192.0.2.7,proxied=no",)}],
    indirect=True,
)
def test_an_unproxied_record_does_not_conflict(http: Any) -> None:
    client, zone_id, _ = http
    assert client.post(apps_url(zone_id), json=tcp_app("ssh.example.com")).status_code == 200


@pytest.mark.parametrize("http", [{**SEEDED, "dns_conflict_code": 11911}], indirect=True)
def test_the_conflict_code_is_a_switch(http: Any) -> None:
    client, zone_id, _ = http
    assert error_codes(client.post(apps_url(zone_id), json=tcp_app("ssh.example.com"))) == [11911]


@pytest.mark.parametrize("http", [SEEDED], indirect=True)
def test_an_update_onto_a_held_hostname_is_refused_too(http: Any) -> None:
    client, zone_id, _ = http
    app = client.post(apps_url(zone_id), json=tcp_app("free.example.com")).json()["result"]
    moved = client.put(apps_url(zone_id, app["id"]), json=tcp_app("ssh.example.com"))
    assert error_codes(moved) == [81053]


def test_records_created_through_the_api_conflict_and_can_be_deleted(http: Any) -> None:
    client, zone_id, _ = http
    body = {"type": "CNAME", "name": "web", "content": "origin.example.net", "proxied": True}
    made = client.post(f"/zones/{zone_id}/dns_records", json=body).json()["result"]
    assert made["name"] == "web.example.com" and made["meta"]["read_only"] is False
    assert error_codes(client.post(apps_url(zone_id), json=tcp_app("web.example.com"))) == [81053]
    again = client.post(f"/zones/{zone_id}/dns_records", json={**body, "content": "x.example"})
    assert error_codes(again) == [81053]  # a CNAME shares its name with nothing
    assert client.get(f"/zones/{zone_id}/dns_records/{made['id']}").json()["result"] == made
    assert client.delete(f"/zones/{zone_id}/dns_records/{made['id']}").status_code == 200
    gone = client.get(f"/zones/{zone_id}/dns_records/{made['id']}")
    assert gone.status_code == 404 and error_codes(gone) == [81044]
    assert client.post(apps_url(zone_id), json=tcp_app("web.example.com")).status_code == 200


def test_spectrum_owns_its_hostname_record_while_an_app_uses_it(http: Any) -> None:
    client, zone_id, _ = http
    first = client.post(apps_url(zone_id), json=tcp_app("ssh.example.com")).json()["result"]
    second = client.post(
        apps_url(zone_id),
        json=tcp_app(
            "ssh.example.com", protocol="tcp/2222", origin_direct=["tcp://192.0.2.1:2222"]
        ),
    ).json()["result"]
    owned = records(client, zone_id, name="ssh.example.com")
    assert [(r["type"], r["meta"]) for r in owned] == [
        ("CNAME", {"read_only": True, "source": "spectrum"})
    ]
    manual = {"type": "A", "name": "ssh", "content": "192.0.2.9", "proxied": True}
    assert error_codes(client.post(f"/zones/{zone_id}/dns_records", json=manual)) == [81053]
    client.delete(apps_url(zone_id, first["id"]))
    assert len(records(client, zone_id, name="ssh.example.com")) == 1  # one app still holds it
    client.delete(apps_url(zone_id, second["id"]))
    assert records(client, zone_id, name="ssh.example.com") == []


def test_a_static_app_owns_one_address_record_per_ip(http: Any) -> None:
    client, zone_id, _ = http
    body = static_app(edge_ips={"type": "static", "ips": ["198.51.100.10", "2001:db8::10"]})
    assert client.post(apps_url(zone_id), json=body).status_code == 200
    owned = records(client, zone_id, name="byoip.example.com")
    assert sorted((r["type"], r["content"]) for r in owned) == [
        ("A", "198.51.100.10"),
        ("AAAA", "2001:db8::10"),
    ]
    assert [r["type"] for r in records(client, zone_id, type="AAAA")] == ["AAAA"]


@pytest.mark.parametrize("http", [{"spectrum_records": False}], indirect=True)
def test_spectrum_records_can_be_left_out_of_lists(http: Any) -> None:
    client, zone_id, _ = http
    assert client.post(apps_url(zone_id), json=tcp_app("ssh.example.com")).status_code == 200
    assert records(client, zone_id) == []


def test_records_page_like_cloudflare(http: Any) -> None:
    client, zone_id, _ = http
    for n in range(7):
        body = {"type": "TXT", "name": f"t{n}", "content": "hello"}
        assert client.post(f"/zones/{zone_id}/dns_records", json=body).status_code == 200
    page = client.get(f"/zones/{zone_id}/dns_records", params={"per_page": 5, "page": 2}).json()
    assert page["result_info"] == {
        "page": 2,
        "per_page": 5,
        "count": 2,
        "total_count": 7,
        "total_pages": 2,
    }


@pytest.mark.parametrize(
    "body",
    [
        {"type": "A", "name": "x", "content": "2001:db8::1"},
        {"type": "MX", "name": "x", "content": "mail.example.com"},
        {"type": "TXT", "name": "x", "content": "t", "proxied": True},
        {"type": "A", "name": "x"},
    ],
)
def test_a_bad_record_is_a_400(http: Any, body: dict[str, Any]) -> None:
    client, zone_id, _ = http
    response = client.post(f"/zones/{zone_id}/dns_records", json=body)
    assert response.status_code == 400 and error_codes(response) == [11900]


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("ssh.example.com,type=MX,content=x", "type=A|AAAA|CNAME"),
        ("ssh.example.com,type=A,content=not-an-ip", "not valid content"),
        ("ssh.example.com,type=A,content=192.0.2.1,proxied=maybe", "proxied=yes"),
        ("ssh.example.com,colour=blue", "unknown option"),
        ("ssh.elsewhere.net,type=A,content=192.0.2.1", "no --zone holds"),
    ],
)
def test_bad_record_flags_say_what_to_write(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        make_emulator(dns_records=(spec,))
