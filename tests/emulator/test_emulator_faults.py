"""Seeded fault injection, the stats endpoint and reset."""

from __future__ import annotations

import hashlib
import json

import httpx
from emulator_helpers import apps_url, client_for, make_emulator, tcp_app

from reconciler.emulator import Emulator
from reconciler.emulator.faults import FaultKind


def _outcomes(emu: Emulator, count: int) -> list[str]:
    """Alternate writes and reads; note what each one met."""
    zone_id = emu.ensure_zone("example.com")["id"]
    seen = []
    with client_for(emu) as client:
        for i in range(count):
            try:
                if i % 2:
                    response = client.get(apps_url(zone_id))
                else:
                    response = client.post(apps_url(zone_id), json=tcp_app(f"h{i}.example.com"))
                seen.append(str(response.status_code))
            except httpx.RemoteProtocolError:
                seen.append("dropped")
    return seen


def test_faults_are_deterministic_for_a_seed() -> None:
    first = _outcomes(make_emulator(fault_rate=0.5, seed=7), 120)
    again = _outcomes(make_emulator(fault_rate=0.5, seed=7), 120)
    other = _outcomes(make_emulator(fault_rate=0.5, seed=8), 120)
    assert first == again
    assert first != other
    assert 20 < sum(outcome != "200" for outcome in first) < 100  # about half


def test_every_fault_kind_is_met() -> None:
    emu = make_emulator(fault_rate=1.0, seed=1)
    outcomes = _outcomes(emu, 200)
    kinds = emu.stats()["faults_by_kind"]
    assert all(count > 0 for count in kinds.values()), kinds
    assert {"500", "502", "503", "429", "dropped"} <= set(outcomes)
    assert "200" not in outcomes
    assert emu.stats()["faults"] == 200


def test_injected_errors_carry_their_codes() -> None:
    emu = make_emulator(fault_rate=1.0, seed=3)
    zone_id = emu.ensure_zone("example.com")["id"]
    bodies: dict[int, httpx.Response] = {}
    with client_for(emu) as client:
        for _ in range(60):
            try:
                response = client.get(apps_url(zone_id))
            except httpx.RemoteProtocolError:
                continue
            bodies[response.status_code] = response
    assert bodies[429].json()["errors"][0]["code"] == 971
    assert bodies[429].headers["Retry-After"] == "1"
    assert {bodies[s].json()["errors"][0]["code"] for s in (500, 502, 503)} == {10002}


def test_lost_response_writes_are_committed_and_others_are_not() -> None:
    emu = make_emulator(fault_rate=1.0, seed=5)
    zone_id = emu.ensure_zone("example.com")["id"]
    dropped_names, answered_names = set(), set()
    with client_for(emu) as client:
        for i in range(80):
            name = f"w{i}.example.com"
            try:
                client.post(apps_url(zone_id), json=tcp_app(name))
                answered_names.add(name)
            except httpx.RemoteProtocolError:
                dropped_names.add(name)
    stored = {app["dns"]["name"] for app in emu.apps(zone_id)}
    kinds = emu.stats()["faults_by_kind"]
    assert len(stored) == kinds["lost_response"] > 0
    assert stored <= dropped_names  # committed only where the answer was lost
    assert not stored & answered_names  # 5xx and 429 commit nothing
    assert len(dropped_names) == kinds["lost_response"] + kinds["dropped"]


def test_reads_never_lose_a_write() -> None:
    emu = make_emulator(fault_rate=1.0, seed=9)
    _ = [o for o in _read_only(emu, 50)]
    assert emu.stats()["faults_by_kind"]["lost_response"] == 0


def _read_only(emu: Emulator, count: int) -> list[str]:
    zone_id = emu.ensure_zone("example.com")["id"]
    seen = []
    with client_for(emu) as client:
        for _ in range(count):
            try:
                seen.append(str(client.get(apps_url(zone_id)).status_code))
            except httpx.RemoteProtocolError:
                seen.append("dropped")
    return seen


def test_stats_count_by_template_and_reset() -> None:
    emu = make_emulator(fault_rate=1.0)
    zone_id = emu.ensure_zone("example.com")["id"]
    _read_only(emu, 3)
    with client_for(emu) as client:
        stats = client.get("http://anywhere/__emulator__/stats")
        assert stats.status_code == 200  # never faulted, even at fault_rate 1
        body = stats.json()
        assert body["requests"] == {"GET /zones/{zone_id}/spectrum/apps": 3}
        assert (body["total"], body["faults"], body["rate_limited"]) == (3, 3, 0)
        assert client.post("http://anywhere/__emulator__/reset").json()["total"] == 0
    assert emu.stats()["requests"] == {} and zone_id


def test_reset_replays_the_same_faults() -> None:
    emu = make_emulator(fault_rate=0.5, seed=11)
    first = _read_only(emu, 40)
    emu.reset_stats()
    assert _read_only(emu, 40) == first


def test_reset_with_state_drops_apps_but_keeps_zones() -> None:
    emu = make_emulator()
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        client.post(apps_url(zone_id), json=tcp_app())
        client.post("http://anywhere/__emulator__/reset", params={"state": "1"})
        assert client.get(apps_url(zone_id)).json()["result"] == []
        assert client.get("/zones", params={"name": "example.com"}).json()["result"]


def test_latency_is_applied() -> None:
    import time

    emu = make_emulator(latency_ms=30.0)
    with client_for(emu) as client:
        start = time.perf_counter()
        client.get("/zones")
    assert time.perf_counter() - start >= 0.03


def test_scripted_faults_hit_exactly_the_named_writes_and_a_lost_response_commits() -> None:
    emu = make_emulator(fault_rate=1.0, seed=1)  # a script replaces the random draw
    script = emu.script_faults({2: FaultKind.SERVER_ERROR, 3: FaultKind.LOST_RESPONSE})
    outcomes = _outcomes(emu, 6)  # writes are outcomes 0, 2 and 4
    assert outcomes == ["200", "200", "503", "200", "dropped", "200"]
    assert script.fired == [(2, FaultKind.SERVER_ERROR), (3, FaultKind.LOST_RESPONSE)]
    zone_id = emu.ensure_zone("example.com")["id"]
    assert len(emu.apps(zone_id)) == 2  # the first write, and the one whose response was lost


def test_an_empty_script_turns_faults_off() -> None:
    emu = make_emulator(fault_rate=1.0, seed=1)
    emu.script_faults({})
    assert set(_outcomes(emu, 10)) == {"200"}


def test_stats_count_requests_per_token_by_fingerprint_never_the_token() -> None:
    emu = make_emulator()
    zone_id = emu.ensure_zone("example.com")["id"]
    for token, count in (("token-of-account-a", 2), ("token-of-account-b", 3)):
        with client_for(emu, token=token) as client:
            for _ in range(count):
                client.get(apps_url(zone_id))
    body = emu.stats()
    fingerprint = {
        token: hashlib.sha256(token.encode()).hexdigest()[:12]
        for token in ("token-of-account-a", "token-of-account-b")
    }
    assert body["requests_by_token"] == {
        fingerprint["token-of-account-a"]: 2,
        fingerprint["token-of-account-b"]: 3,
    }
    assert "token-of-account" not in json.dumps(body)
    emu.reset_stats()
    assert emu.stats()["requests_by_token"] == {}
