"""Seeded traffic and the emulator's clock: who receives traffic, from when, and what the
analytics endpoints then report."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_helpers import client_for, make_emulator, static_app, tcp_app

from reconciler.emulator import Emulator, EmulatorConfig, serve

WALL = 1_800_000_000.0  # the tests' wall clock: fixed, so only advancing moves time
HOUR, DAY = 3600, 86400


class Wall:
    def __init__(self) -> None:
        self.now = WALL

    def __call__(self) -> float:
        return self.now


def emulator(*traffic: str, **overrides: Any) -> Emulator:
    settings: dict[str, Any] = {"traffic": traffic}
    settings.update(overrides)
    config_fields = {**_defaults(), **settings}
    return Emulator(EmulatorConfig(**config_fields), wall_clock=Wall())


def _defaults() -> dict[str, Any]:
    made = make_emulator()
    return {"zones": made.config.zones, "byoip_prefixes": made.config.byoip_prefixes}


def stamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def summary(client: httpx.Client, zone_id: str, window: float = DAY) -> dict[str, list[int]]:
    """App id -> [count, bytesIngress, bytesEgress] over the ``window`` before the wall clock."""
    response = client.get(
        f"/zones/{zone_id}/spectrum/analytics/events/summary",
        params={
            "dimensions": "appID",
            "metrics": "count,bytesIngress,bytesEgress",
            "since": stamp(WALL - window),
            "until": stamp(WALL),
        },
    )
    assert response.status_code == 200, response.text
    return {row["dimensions"][0]: row["metrics"] for row in response.json()["result"]["data"]}


def create(client: httpx.Client, zone_id: str, body: dict[str, Any]) -> str:
    response = client.post(f"/zones/{zone_id}/spectrum/apps", json=body)
    assert response.status_code == 200, response.text
    return str(response.json()["result"]["id"])


def test_a_dynamic_app_carries_its_rate_for_as_long_as_the_clock_moves() -> None:
    emu = emulator("ssh.example.com=100")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        app_id = create(client, zone_id, tcp_app())
        assert summary(client, zone_id) == {}
        emu.advance(HOUR)
        assert summary(client, zone_id) == {app_id: [6000, 300_000_000, 1_200_000_000]}


def test_an_app_with_no_traffic_seeded_carries_nothing() -> None:
    emu = emulator("other.example.com=100")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        create(client, zone_id, tcp_app())
        emu.advance(HOUR)
        assert summary(client, zone_id) == {}


def test_a_spec_naming_the_protocol_wins_over_one_naming_only_the_host() -> None:
    emu = emulator("ssh.example.com=1", "ssh.example.com:tcp/22=60")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        ssh = create(client, zone_id, tcp_app())
        other = create(
            client, zone_id, tcp_app(protocol="tcp/2222", origin_direct=["tcp://192.0.2.1:2222"])
        )
        emu.advance(600)
        counts = {k: v[0] for k, v in summary(client, zone_id).items()}
        assert counts == {ssh: 600, other: 10}


def test_a_deleted_app_stops_and_its_recreation_accrues_under_the_new_id() -> None:
    emu = emulator("ssh.example.com=60")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        old = create(client, zone_id, tcp_app())
        emu.advance(HOUR)
        assert client.delete(f"/zones/{zone_id}/spectrum/apps/{old}").status_code == 200
        emu.advance(HOUR)
        new = create(client, zone_id, tcp_app())
        emu.advance(HOUR / 2)
        counts = {k: v[0] for k, v in summary(client, zone_id).items()}
        assert counts == {old: 3600, new: 1800}
        # Only the last hour: the old app carried nothing in it.
        assert {k: v[0] for k, v in summary(client, zone_id, HOUR).items()} == {new: 1800}


def _bgp_url(client: httpx.Client, emu: Emulator, cidr: str) -> str:
    base = f"/accounts/{emu.account_id}/addressing/prefixes"
    prefix = next(p for p in client.get(base).json()["result"] if p["cidr"] == cidr)
    bgp = client.get(f"{base}/{prefix['id']}/bgp/prefixes").json()["result"][0]
    return f"{base}/{prefix['id']}/bgp/prefixes/{bgp['id']}"


def test_a_static_app_carries_traffic_only_while_its_prefix_is_advertised() -> None:
    emu = emulator("byoip.example.com=60")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        app_id = create(client, zone_id, static_app())
        emu.advance(HOUR)
        withdraw = {"on_demand": {"advertised": False}}
        assert (
            client.patch(_bgp_url(client, emu, "198.51.100.0/24"), json=withdraw).status_code == 200
        )
        emu.advance(HOUR)
        assert {k: v[0] for k, v in summary(client, zone_id).items()} == {app_id: 3600}


def test_a_withdrawn_more_specific_bgp_prefix_silences_its_ips_in_an_advertised_prefix() -> None:
    emu = emulator("byoip.example.com=60")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        create(client, zone_id, static_app())  # 198.51.100.10
        base = _bgp_url(client, emu, "198.51.100.0/24").rsplit("/", 1)[0]
        made = client.post(base, json={"cidr": "198.51.100.0/28"})  # starts withdrawn
        assert made.status_code == 200, made.text
        emu.advance(HOUR)
        assert summary(client, zone_id) == {}


def test_a_static_app_on_leased_space_carries_traffic() -> None:
    emu = emulator("leased.example.com=60", leased_prefixes=("172.65.64.0/30",))
    zone_id = str(emu.ensure_zone("example.com")["id"])
    body = static_app("leased.example.com", edge_ips={"type": "static", "ips": ["172.65.64.1"]})
    with client_for(emu) as client:
        app_id = create(client, zone_id, body)
        emu.advance(HOUR)
        assert {k: v[0] for k, v in summary(client, zone_id).items()} == {app_id: 3600}


def test_a_lent_ip_stops_carrying_traffic_when_its_delegation_is_deleted() -> None:
    owner, receiver = "b1946ac92492d2347c6235b4d2611184", "023e105f4ecef8ad9ca31a8372d0c353"
    emu = emulator(
        "lent.third.net=60",
        zones=(f"third.net,account={receiver}",),
        byoip_prefixes=(f"203.0.113.0/24,account={owner}",),
        delegations=(f"203.0.113.128/25,to={receiver}",),
    )
    zone_id = str(emu.ensure_zone("third.net")["id"])
    body = static_app("lent.third.net", edge_ips={"type": "static", "ips": ["203.0.113.200"]})
    with client_for(emu) as client:
        app_id = create(client, zone_id, body)
        emu.advance(HOUR)
        prefix = client.get(f"/accounts/{owner}/addressing/prefixes").json()["result"][0]["id"]
        url = f"/accounts/{owner}/addressing/prefixes/{prefix}/delegations"
        (lent,) = client.get(url).json()["result"]
        assert client.delete(f"{url}/{lent['id']}").status_code == 200
        emu.advance(HOUR)
        assert {k: v[0] for k, v in summary(client, zone_id).items()} == {app_id: 3600}


@pytest.mark.parametrize(
    "prefix",
    [
        "198.51.100.0/24,advertised=no",
        "198.51.100.0/24,approved=no",
        "198.51.100.0/24,service=cdn",
        "198.51.100.0/24,binding=provisioning",
    ],
)
def test_a_static_app_whose_ip_cannot_receive_carries_nothing(prefix: str) -> None:
    emu = emulator("byoip.example.com=60", byoip_prefixes=(prefix,))
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        client.post(f"/zones/{zone_id}/spectrum/apps", json=static_app())
        emu.advance(HOUR)
        assert summary(client, zone_id) == {}


def test_a_binding_made_through_the_api_starts_traffic_when_the_clock_says_it_is_active() -> None:
    emu = emulator(
        "byoip.example.com=60",
        byoip_prefixes=("198.51.100.0/24,service=none",),
        binding_provisioning_s=HOUR,
    )
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        base = f"/accounts/{emu.account_id}/addressing"
        prefix = client.get(f"{base}/prefixes").json()["result"][0]["id"]
        services = client.get(f"{base}/services").json()["result"]
        spectrum = next(s["id"] for s in services if s["name"] == "Spectrum")
        made = client.post(
            f"{base}/prefixes/{prefix}/bindings",
            json={"cidr": "198.51.100.0/24", "service_id": spectrum},
        ).json()["result"]
        app_id = create(client, zone_id, static_app())
        emu.advance(HOUR / 2)
        binding = client.get(f"{base}/prefixes/{prefix}/bindings/{made['id']}").json()["result"]
        assert binding["provisioning"]["state"] == "provisioning"
        emu.advance(HOUR)  # active after the first hour: half an hour of traffic since
        binding = client.get(f"{base}/prefixes/{prefix}/bindings/{made['id']}").json()["result"]
        assert binding["provisioning"]["state"] == "active"
        assert {k: v[0] for k, v in summary(client, zone_id).items()} == {app_id: 1800}


def test_a_summary_without_a_window_is_the_six_hours_before_the_emulators_wall_clock() -> None:
    emu = emulator("ssh.example.com=60")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        app_id = create(client, zone_id, tcp_app())
        emu.advance(HOUR)
        url = f"/zones/{zone_id}/spectrum/analytics/events/summary"
        result = client.get(url, params={"dimensions": "appID"}).json()["result"]
        assert result["query"]["until"].startswith(stamp(WALL)[:-1])
        assert result["data"] == [{"dimensions": [app_id], "metrics": [3600]}]


def test_the_current_aggregate_is_the_last_minute_of_each_app_asked_for() -> None:
    emu = emulator("ssh.example.com=120", "db.example.com=30")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        ssh = create(client, zone_id, tcp_app())
        db = create(
            client,
            zone_id,
            tcp_app("db.example.com", protocol="tcp/5432", origin_direct=["tcp://192.0.2.1:5432"]),
        )
        url = f"/zones/{zone_id}/spectrum/analytics/aggregate/current"
        assert client.get(url).json()["result"] == []  # nothing in the last minute yet
        emu.advance(HOUR)
        every = {i["appID"]: i["connections"] for i in client.get(url).json()["result"]}
        assert every == {ssh: 120, db: 30}
        only = client.get(url, params={"appID": db}).json()["result"]
        assert [i["appID"] for i in only] == [db]


def test_analytics_forbidden_is_cloudflares_403_for_a_token_without_analytics_read() -> None:
    emu = emulator(analytics_forbidden=True)
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        for path in ("events/summary", "aggregate/current"):
            response = client.get(f"/zones/{zone_id}/spectrum/analytics/{path}")
            assert response.status_code == 403
            assert response.json()["errors"] == [{"code": 10000, "message": "Authentication error"}]
        assert client.get(f"/zones/{zone_id}/spectrum/apps").status_code == 200


@pytest.mark.parametrize(
    ("params", "said"),
    [
        ({"dimensions": "coloName"}, "dimensions: coloName not supported"),
        ({"metrics": "count,packets"}, "metrics: packets not supported"),
        ({"since": "yesterday"}, "since must be an RFC 3339 time"),
        ({"since": "0001-01-01T00:00:00+01:00"}, "since must be an RFC 3339 time"),
        ({"until": "0001-01-01T01:00:00Z"}, "until must be within 1970..9998"),
        ({"since": "9999-12-31T23:59:59-05:00"}, "since must be an RFC 3339 time"),
        (
            {"since": "2030-01-02T00:00:00Z", "until": "2030-01-01T00:00:00Z"},
            "since must not be later",
        ),
    ],
)
def test_a_bad_summary_query_is_a_400_saying_what(params: dict[str, str], said: str) -> None:
    emu = emulator()
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        response = client.get(f"/zones/{zone_id}/spectrum/analytics/events/summary", params=params)
        assert response.status_code == 400 and said in response.json()["errors"][0]["message"]


def test_repeated_list_parameters_read_as_a_comma_list() -> None:
    emu = emulator("ssh.example.com=60")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        create(client, zone_id, tcp_app())
        emu.advance(60)
        url = f"/zones/{zone_id}/spectrum/analytics/events/summary"
        query = "dimensions=appID&metrics=count&metrics=bytesIngress"
        result = client.get(f"{url}?{query}&since={stamp(WALL - 60)}&until={stamp(WALL)}").json()[
            "result"
        ]
        assert result["query"]["metrics"] == ["count", "bytesIngress"]
        assert result["data"][0]["metrics"] == [60, 3_000_000]


def test_the_clock_moves_over_http_and_refuses_a_bad_amount() -> None:
    emu = emulator("ssh.example.com=60")
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with (
        serve(emu) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as client,
    ):
        create(client, zone_id, tcp_app())
        admin = server.base_url.replace("/client/v4", "/__emulator__/advance")
        assert client.post(admin, json={"seconds": 600}).json() == {"offset": 600.0}
        for bad in ({"seconds": -1}, {"seconds": "10"}, [], {"seconds": True}):
            response = client.post(admin, json=bad)
            assert response.status_code == 400 and "seconds" in response.json()["error"]
        assert [v[0] for v in summary(client, zone_id).values()] == [600]


def test_traffic_and_the_clock_survive_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = emulator("ssh.example.com=60", state_file=state)
    zone_id = str(first.ensure_zone("example.com")["id"])
    with client_for(first) as client:
        app_id = create(client, zone_id, tcp_app())
        first.advance(HOUR)
    first.close()
    again = emulator("ssh.example.com=60", state_file=state)
    with client_for(again) as client:
        again.advance(HOUR)
        assert {k: v[0] for k, v in summary(client, zone_id).items()} == {app_id: 7200}


@pytest.mark.parametrize("spec", ["ssh.example.com", "=5", "a.com=-1", "a.com=inf", "a.com:ssh=1"])
def test_a_bad_traffic_spec_is_refused_naming_the_form(spec: str) -> None:
    with pytest.raises(ValueError, match="HOSTNAME\\[:PROTOCOL\\]=CONNECTIONS_PER_MINUTE"):
        EmulatorConfig(traffic=(spec,))


def test_a_bad_traffic_flag_is_one_line_from_the_command(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["emulator", "--port", "0", "--traffic", "ssh.example.com=lots"])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and "CONNECTIONS_PER_MINUTE" in result.stderr
    assert "Traceback" not in result.stderr and len(lines) <= 3
