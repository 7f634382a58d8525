"""Credentials and the per-credential sliding-window rate limit."""

from __future__ import annotations

import pytest
from emulator_helpers import client_for, error_codes, make_emulator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("headers", "status", "codes_"),
    [
        ({}, 400, [9106]),
        ({"X-Auth-Email": "me@example.com"}, 400, [9106]),
        ({"Authorization": "Token abc"}, 400, [6003]),
        ({"Authorization": "Bearer "}, 400, [6003]),
        ({"X-Auth-Email": "not-an-email", "X-Auth-Key": "k"}, 400, [6003]),
    ],
)
def test_missing_or_malformed_credentials(
    headers: dict[str, str], status: int, codes_: list[int]
) -> None:
    with client_for(make_emulator(), token=None) as client:
        response = client.get("/zones", headers=headers)
    assert (response.status_code, error_codes(response)) == (status, codes_)


def test_malformed_authorization_names_the_header() -> None:
    with client_for(make_emulator(), token=None) as client:
        item = client.get("/zones", headers={"Authorization": "Basic x"}).json()["errors"][0]
    assert item["error_chain"] == [
        {"code": 6111, "message": "Invalid format for Authorization header"}
    ]


def test_configured_token_refuses_others() -> None:
    emu = make_emulator(token="right")
    with client_for(emu, token="wrong") as client:
        response = client.get("/zones")
        assert (response.status_code, error_codes(response)) == (403, [10000])
        assert client.get("/zones", headers={"Authorization": "Bearer right"}).status_code == 200
    with client_for(emu, token=None) as client:
        key_auth = {"X-Auth-Email": "me@example.com"}
        assert client.get("/zones", headers={**key_auth, "X-Auth-Key": "right"}).status_code == 200
        assert client.get("/zones", headers={**key_auth, "X-Auth-Key": "wrong"}).status_code == 403


def test_any_token_when_none_configured() -> None:
    with client_for(make_emulator(), token="whatever") as client:
        assert client.get("/zones").status_code == 200


def test_headers_on_every_response_and_429_when_over() -> None:
    clock = FakeClock()
    emu = _emulator_with_clock(clock, limit=3, window=60.0)
    with client_for(emu) as client:
        first = client.get("/zones")
        assert first.headers["Ratelimit"] == '"default";r=2;t=60'
        assert first.headers["Ratelimit-Policy"] == '"default";q=3;w=60'
        clock.now += 10
        client.get("/zones/" + "0" * 32 + "/spectrum/apps")  # refusals count too
        client.get("/zones")
        over = client.get("/zones")
    assert (over.status_code, error_codes(over)) == (429, [971])
    assert over.headers["Retry-After"] == "50"  # the first request leaves the window in 50 s
    assert over.headers["Ratelimit"] == '"default";r=0;t=50'
    assert emu.stats()["rate_limited"] == 1


def test_window_slides_one_slot_at_a_time() -> None:
    clock = FakeClock()
    emu = _emulator_with_clock(clock, limit=2, window=10.0)
    with client_for(emu) as client:
        client.get("/zones")
        clock.now += 5
        client.get("/zones")
        assert client.get("/zones").status_code == 429
        clock.now += 5.5  # only the first request has left the window
        assert client.get("/zones").status_code == 200
        assert client.get("/zones").status_code == 429


def test_limit_is_per_credential() -> None:
    emu = make_emulator(rate_limit=(1, 60.0))
    with client_for(emu, token="a") as a, client_for(emu, token="b") as b:
        assert a.get("/zones").status_code == 200
        assert b.get("/zones").status_code == 200
        assert a.get("/zones").status_code == 429


def test_admin_endpoints_are_never_limited() -> None:
    emu = make_emulator(rate_limit=(1, 60.0))
    with client_for(emu) as client:
        client.get("/zones")
        for _ in range(3):
            assert client.get("https://x/__emulator__/stats").status_code == 200


def _emulator_with_clock(clock: FakeClock, limit: int, window: float):  # type: ignore[no-untyped-def]
    from reconciler.emulator import Emulator, EmulatorConfig

    return Emulator(EmulatorConfig(zones=("example.com",), rate_limit=(limit, window)), clock=clock)
