"""Zone plans over loopback: GET /zones/{id} names the plan; below Enterprise only the named
protocols the plan sells (13002), one app per protocol (11034), a three-field body (10012);
Free has no Spectrum (11910, chosen)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from emulator_helpers import apps_url, error_codes, make_emulator

from reconciler.emulator import serve

ZONES = (
    "example.com,plan=enterprise",
    "pro.example,plan=pro",
    "business.example,plan=business",
    "free.example,plan=free",
)


@pytest.fixture
def http() -> Iterator[tuple[httpx.Client, dict[str, str]]]:
    emu = make_emulator(zones=ZONES)
    ids = {name: str(emu.ensure_zone(name)["id"]) for name in (z.split(",")[0] for z in ZONES)}
    with (
        serve(emu) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as client,
    ):
        yield client, ids


def paygo(zone: str, protocol: str = "ssh", name: str = "ssh", **extra: Any) -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"{name}.{zone}"},
        "protocol": protocol,
        "origin_direct": ["tcp://192.0.2.1:22"],
        **extra,
    }


def test_the_zone_names_its_plan(http: Any) -> None:
    client, ids = http
    for name, plan in [("pro.example", "pro"), ("example.com", "enterprise")]:
        zone = client.get(f"/zones/{ids[name]}").json()["result"]
        assert zone["plan"]["legacy_id"] == plan
        listed = client.get("/zones", params={"name": name}).json()["result"]
        assert listed[0]["plan"]["legacy_id"] == plan  # the lookup carries it too


@pytest.mark.parametrize(
    ("zone", "body", "code", "status"),
    [
        ("pro.example", paygo("pro.example", "tcp/22"), 13002, 400),
        ("pro.example", paygo("pro.example", "rdp"), 13002, 400),
        ("pro.example", paygo("pro.example", traffic_type="direct"), 10012, 400),
        ("pro.example", paygo("pro.example", colour="blue"), 10012, 400),
        ("business.example", paygo("business.example", "tcp/443"), 13002, 400),
        ("free.example", paygo("free.example"), 11910, 403),
    ],
)
def test_what_a_plan_does_not_sell_is_refused(
    http: Any, zone: str, body: dict[str, Any], code: int, status: int
) -> None:
    client, ids = http
    response = client.post(apps_url(ids[zone]), json=body)
    assert (response.status_code, error_codes(response)) == (status, [code])


def test_the_13002_message_names_the_ports(http: Any) -> None:
    client, ids = http
    body = paygo("pro.example", "tcp/1000-1010")
    message = client.post(apps_url(ids["pro.example"]), json=body).json()["errors"][0]["message"]
    assert "tcp port 1000-1010" in message


def test_a_paygo_plan_sells_one_app_per_protocol(http: Any) -> None:
    client, ids = http
    zone_id = ids["business.example"]
    made = client.post(apps_url(zone_id), json=paygo("business.example"))
    assert made.status_code == 200
    stored = made.json()["result"]
    assert "traffic_type" not in stored  # kept as sent: its update body stays within 10012
    second = client.post(apps_url(zone_id), json=paygo("business.example", name="ssh2"))
    assert error_codes(second) == [11034]
    assert client.post(apps_url(zone_id), json=paygo("business.example", "rdp")).status_code == 200
    renamed = paygo("business.example", name="renamed")
    assert client.put(apps_url(zone_id, stored["id"]), json=renamed).status_code == 200


def test_enterprise_takes_any_port_and_any_field(http: Any) -> None:
    client, ids = http
    body = paygo("example.com", "tcp/22", traffic_type="direct", tls="off")
    assert client.post(apps_url(ids["example.com"]), json=body).status_code == 200


def test_a_flag_plan_wins_over_a_saved_one(tmp_path: Any) -> None:
    path = tmp_path / "state.json"
    make_emulator(zones=("pro.example,plan=pro",), state_file=path).close()
    again = make_emulator(zones=("pro.example,plan=business",), state_file=path)
    assert again.ensure_zone("pro.example")["plan"]["legacy_id"] == "business"
    again.close()


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [("pro.example,plan=gold", "plan=gold"), ("pro.example,tier=pro", "unknown option")],
)
def test_bad_zone_flags_say_what_to_write(spec: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        make_emulator(zones=(spec,))
