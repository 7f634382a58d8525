"""The address plane: how --byoip-prefix / --leased-prefix set it up, the service-binding rules,
provisioning, and what it decides for a Spectrum app's static edge IPs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from emulator_helpers import (
    apps_url,
    client_for,
    create,
    error_codes,
    make_emulator,
    static_app,
    tcp_app,
)

from reconciler.emulator import Emulator, EmulatorConfig, read_state, serve
from reconciler.emulator.addressing.flags import PrefixSpec, parse_prefix_spec

UDP = {"protocol": "udp/53", "origin_direct": ["udp://192.0.2.1:53"]}
PLANE = (
    "198.51.100.0/24",  # Spectrum, advertised
    "203.0.113.0/24,service=magic_transit",
    "192.0.2.0/24,approved=no",
    "100.64.0.0/24,service=none",
    "2001:db8::/48,service=cdn,advertised=no",
)
LEASED = ("172.65.64.0/24",)


class Clock:
    """A wall clock the test moves by hand (no sleeping, no timed assertions)."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emu(clock: Clock) -> Emulator:
    config = EmulatorConfig(
        zones=("example.com", "other.org"),
        byoip_prefixes=PLANE,
        leased_prefixes=LEASED,
        binding_provisioning_s=3600,
    )
    return Emulator(config, wall_clock=clock)


def _ok(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()["result"]


def _account(emu: Emulator) -> str:
    return f"/accounts/{emu.account_id}/addressing"


def _prefix(client: httpx.Client, emu: Emulator, cidr: str) -> dict[str, Any]:
    prefixes = _ok(client.get(_account(emu) + "/prefixes"))
    return next(p for p in prefixes if p["cidr"] == cidr)


def _bindings_url(client: httpx.Client, emu: Emulator, cidr: str) -> str:
    return f"{_account(emu)}/prefixes/{_prefix(client, emu, cidr)['id']}/bindings"


def _service_id(client: httpx.Client, emu: Emulator, name: str) -> str:
    services = _ok(client.get(_account(emu) + "/services"))
    return str(next(s["id"] for s in services if s["name"] == name))


# --- the flag -------------------------------------------------------------------------------
def test_prefix_spec_defaults_approved_advertised_spectrum() -> None:
    assert parse_prefix_spec("198.51.100.0/24") == PrefixSpec("198.51.100.0/24")
    assert parse_prefix_spec(" 2001:DB8::/48 , service=cdn , advertised=no") == PrefixSpec(
        "2001:db8::/48", "cdn", advertised=False
    )
    assert parse_prefix_spec("192.0.2.0/24,approved=no") == PrefixSpec(
        "192.0.2.0/24", advertised=False, approved=False
    )
    assert parse_prefix_spec("192.0.2.0/24,binding=provisioning") == PrefixSpec(
        "192.0.2.0/24", binding_active=False
    )


def test_binding_provisioning_flag_sets_up_a_binding_that_stays_provisioning() -> None:
    emulator = Emulator(EmulatorConfig(byoip_prefixes=("192.0.2.0/24,binding=provisioning",)))
    with client_for(emulator) as client:
        bindings = _ok(client.get(_bindings_url(client, emulator, "192.0.2.0/24")))
    assert [b["provisioning"]["state"] for b in bindings] == ["provisioning"]


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("198.51.100.0/25", "/25 is smaller than Cloudflare onboards (/24 for IPv4)"),
        ("2001:db8::/56", "/56 is smaller than Cloudflare onboards (/48 for IPv6)"),
        ("198.51.100.7/24", "not a CIDR with its host bits zero"),
        ("198.51.100.0/24,service=dns", "use spectrum, cdn, magic_transit or none"),
        ("198.51.100.0/24,advertised=maybe", "use advertised=yes or advertised=no"),
        (
            "198.51.100.0/24,colour=blue",
            "use service=, advertised=, approved=, binding=, on_demand= or account=",
        ),
        ("198.51.100.0/24,binding=maybe", "use binding=active, provisioning or route_missing"),
        ("198.51.100.0/24,service=none,binding=provisioning", "no binding to provision"),
        ("198.51.100.0/24,approved=no,advertised=yes", "pending approval cannot be advertised"),
    ],
)
def test_bad_prefix_spec_is_one_line_naming_the_value(value: str, says: str) -> None:
    with pytest.raises(ValueError) as caught:
        EmulatorConfig(byoip_prefixes=(value,))
    message = str(caught.value)
    assert message.startswith(f"--byoip-prefix {value!r}: ") and says in message
    assert "\n" not in message and " — " in message  # what is wrong, then the fix


def test_onboarded_states(client: httpx.Client, emu: Emulator) -> None:
    spectrum = _prefix(client, emu, "198.51.100.0/24")
    assert (spectrum["approved"], spectrum["advertised"], spectrum["asn"]) == ("V", True, 209242)
    pending = _prefix(client, emu, "192.0.2.0/24")
    assert (pending["approved"], pending["advertised"]) == ("P", False)
    assert pending["irr_validation_state"] == "pending"
    (binding,) = _ok(client.get(_bindings_url(client, emu, "2001:db8::/48")))
    assert binding["cidr"] == "2001:db8::/48" and binding["service_name"] == "CDN"
    assert binding["provisioning"] == {"state": "active"}  # flags need no waiting
    assert _ok(client.get(_bindings_url(client, emu, "100.64.0.0/24"))) == []
    withdrawn = _prefix(client, emu, "2001:db8::/48")
    status = _ok(client.get(f"{_account(emu)}/prefixes/{withdrawn['id']}/bgp/status"))
    assert status["advertised"] is False


# --- service bindings -----------------------------------------------------------------------
def test_binding_provisions_then_turns_active(
    client: httpx.Client, emu: Emulator, clock: Clock
) -> None:
    url = _bindings_url(client, emu, "198.51.100.0/24")
    body = {"cidr": "198.51.100.16/29", "service_id": _service_id(client, emu, "CDN")}
    made = _ok(client.post(url, json=body))
    assert made["provisioning"] == {"state": "provisioning"}
    clock.now += 3599
    assert _ok(client.get(f"{url}/{made['id']}"))["provisioning"]["state"] == "provisioning"
    clock.now += 1
    assert _ok(client.get(f"{url}/{made['id']}"))["provisioning"]["state"] == "active"


@pytest.mark.parametrize(
    ("prefix", "cidr", "service", "says"),
    [
        ("100.64.0.0/24", "100.64.0.0/25", "Spectrum", "first service binding"),
        ("198.51.100.0/24", "203.0.113.0/29", "Spectrum", "not inside the prefix"),
        ("198.51.100.0/24", "198.51.100.8/29", "Magic Transit", "only be the prefix's default"),
        ("198.51.100.0/24", "198.51.100.0/24", "CDN", "already has a service binding"),
    ],
)
def test_binding_refusals(
    client: httpx.Client, emu: Emulator, prefix: str, cidr: str, service: str, says: str
) -> None:
    body = {"cidr": cidr, "service_id": _service_id(client, emu, service)}
    response = client.post(_bindings_url(client, emu, prefix), json=body)
    assert error_codes(response) == [11907] and response.status_code == 400
    assert says in response.json()["errors"][0]["message"]


def test_the_default_binding_is_deleted_last(client: httpx.Client, emu: Emulator) -> None:
    url = _bindings_url(client, emu, "198.51.100.0/24")
    (default,) = _ok(client.get(url))
    body = {"cidr": "198.51.100.16/29", "service_id": _service_id(client, emu, "CDN")}
    specific = _ok(client.post(url, json=body))
    assert error_codes(client.delete(f"{url}/{default['id']}")) == [11907]
    _ok(client.delete(f"{url}/{specific['id']}"))
    _ok(client.delete(f"{url}/{default['id']}"))
    assert _ok(client.get(url)) == []


def test_unknown_prefix_and_binding_are_404(client: httpx.Client, emu: Emulator) -> None:
    missing = client.get(f"{_account(emu)}/prefixes/{'a' * 32}/bindings")
    assert (missing.status_code, error_codes(missing)) == (404, [11908])
    url = _bindings_url(client, emu, "198.51.100.0/24")
    assert error_codes(client.get(f"{url}/{'b' * 32}")) == [11908]


# --- static edge IPs of apps ------------------------------------------------------------------
def _static(ip: str, **fields: Any) -> dict[str, Any]:
    return static_app(edge_ips={"type": "static", "ips": [ip]}, **fields)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (_static("198.51.100.10", **UDP), "UDP on a Spectrum binding (cloudflare-docs #31366)"),
        (_static("2001:db8::10", **UDP), "UDP on a CDN binding: allowed, just no Spectrum traffic"),
        (_static("203.0.113.10"), "TCP on a Magic Transit binding"),
        (_static("100.64.0.10", **UDP), "approved prefix without any binding"),
        (_static("172.65.64.13"), "a Cloudflare-leased static IP (Terraform's acceptance tests)"),
        (_static("172.65.64.14", **UDP), "UDP on a leased IP"),
    ],
)
def test_static_ips_accepted(client: httpx.Client, emu: Emulator, body: Any, why: str) -> None:
    zone_id = emu.ensure_zone("example.com")["id"]
    assert create(client, zone_id, body)["edge_ips"] == body["edge_ips"], why


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (_static("203.0.113.10", **UDP), 11906, 400),  # most specific binding: Magic Transit
        (_static("192.0.2.10"), 11019, 400),  # prefix pending approval
        (_static("10.1.2.3"), 11019, 400),  # in no prefix and not leased
    ],
)
def test_static_ips_refused(
    client: httpx.Client, emu: Emulator, body: Any, code: int, status: int
) -> None:
    zone_id = emu.ensure_zone("example.com")["id"]
    response = client.post(apps_url(zone_id), json=body)
    assert (response.status_code, error_codes(response)) == (status, [code])
    assert emu.apps(zone_id) == []


def test_udp_on_a_spectrum_ip_inside_a_magic_transit_prefix(
    client: httpx.Client, emu: Emulator
) -> None:
    """The most specific binding decides: a Spectrum /32 inside a Magic Transit default."""
    url = _bindings_url(client, emu, "203.0.113.0/24")
    body = {"cidr": "203.0.113.20/32", "service_id": _service_id(client, emu, "Spectrum")}
    _ok(client.post(url, json=body))
    zone_id = emu.ensure_zone("example.com")["id"]
    create(client, zone_id, _static("203.0.113.20", **UDP))
    refused = client.post(apps_url(zone_id), json=_static("203.0.113.21", **UDP))
    assert error_codes(refused) == [11906]


def test_no_static_space_at_all_is_11018() -> None:
    emu = make_emulator(byoip_prefixes=())
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        response = client.post(apps_url(zone_id), json=_static("198.51.100.10"))
    assert (response.status_code, error_codes(response)) == (403, [11018])


def test_a_static_ip_of_another_zone_is_11033(client: httpx.Client, emu: Emulator) -> None:
    create(
        client,
        emu.ensure_zone("other.org")["id"],
        _static("172.65.64.13", dns=None) | {"dns": {"type": "ADDRESS", "name": "a.other.org"}},
    )
    response = client.post(
        apps_url(emu.ensure_zone("example.com")["id"]), json=_static("172.65.64.13")
    )
    assert error_codes(response) == [11033]


def test_leased_space_is_no_origin(client: httpx.Client, emu: Emulator) -> None:
    zone_id = emu.ensure_zone("example.com")["id"]
    body = static_app(origin_direct=["tcp://172.65.64.99:22"])
    assert error_codes(client.post(apps_url(zone_id), json=body)) == [11002]


# --- state ----------------------------------------------------------------------------------
def test_the_plane_survives_a_restart(tmp_path: Path, clock: Clock) -> None:
    path = tmp_path / "state.json"
    config = EmulatorConfig(byoip_prefixes=PLANE, leased_prefixes=LEASED, state_file=path)
    first = Emulator(config, wall_clock=clock)
    with client_for(first) as client:
        url = _bindings_url(client, first, "198.51.100.0/24")
        body = {"cidr": "198.51.100.16/29", "service_id": _service_id(client, first, "CDN")}
        _ok(client.post(url, json=body))
        before = (_ok(client.get(url)), _ok(client.get(_account(first) + "/prefixes")))
    first.close()  # releases the state file's lock
    again = Emulator(EmulatorConfig(state_file=path), wall_clock=clock)
    with client_for(again) as client:
        after = (_ok(client.get(url)), _ok(client.get(_account(again) + "/prefixes")))
        leased = _static("172.65.64.13")
        create(client, again.ensure_zone("example.com")["id"], leased)
    assert after == before


def test_a_state_file_from_before_bindings_gets_default_bindings(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    Emulator(EmulatorConfig(byoip_prefixes=("198.51.100.0/24",), state_file=path)).close()
    doc = json.loads(path.read_text())
    for key in ("bindings", "bgp_prefixes", "leased"):
        del doc[key]
    path.write_text(json.dumps(doc))
    emu = Emulator(EmulatorConfig(state_file=path))
    with client_for(emu) as client:
        (binding,) = _ok(client.get(_bindings_url(client, emu, "198.51.100.0/24")))
    assert binding["service_name"] == "Spectrum" and binding["provisioning"]["state"] == "active"
    assert "bindings" in (read_state(path) or {})  # written back once


@pytest.fixture
def client(emu: Emulator) -> Any:
    with client_for(emu) as c:
        yield c


@pytest.mark.parametrize(
    "flags",
    [
        ["--byoip-prefix", "198.51.100.0/25"],
        ["--byoip-prefix", "198.51.100.0/24", "--leased-prefix", "not-a-cidr"],
        ["--byoip-prefix", "198.51.100.0/24", "--delegation", "192.0.2.0/28,to=" + "ab" * 16],
    ],
)
def test_the_emulator_command_refuses_a_bad_flag_in_one_line(flags: list[str]) -> None:
    from click.testing import CliRunner

    from reconciler.cli import cli

    result = CliRunner().invoke(cli, ["emulator", *flags, "--port", "0"])
    assert result.exit_code == 1 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: {flags[-2]} {flags[-1]!r}: ") and "Traceback" not in line


def test_an_origin_inside_the_account_s_magic_transit_prefix_is_valid() -> None:
    """Egress to an MT-onboarded prefix goes to Magic Transit: one IP may be ingress and origin
    (developers.cloudflare.com/byoip/service-bindings/); other onboarded space stays refused."""
    emu = make_emulator(byoip_prefixes=("100.64.0.0/24,service=magic_transit", "198.51.100.0/24"))
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with (
        serve(emu) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as client,
    ):
        mt = client.post(apps_url(zone_id), json=tcp_app(origin_direct=["tcp://100.64.0.5:22"]))
        byoip = client.post(
            apps_url(zone_id),
            json=tcp_app("b.example.com", origin_direct=["tcp://198.51.100.5:22"]),
        )
    assert mt.status_code == 200, mt.text
    assert error_codes(byoip) == [11002]


def test_an_advertised_bgp_prefix_must_be_withdrawn_before_it_is_deleted(
    client: httpx.Client, emu: Emulator
) -> None:
    prefix = _prefix(client, emu, "198.51.100.0/24")
    url = f"{_account(emu)}/prefixes/{prefix['id']}/bgp/prefixes"
    (whole,) = _ok(client.get(url))
    refused = client.delete(f"{url}/{whole['id']}")
    assert (refused.status_code, error_codes(refused)) == (400, [11911])
    withdraw = {"on_demand": {"advertised": False}}
    _ok(client.patch(f"{url}/{whole['id']}", json=withdraw))
    _ok(client.delete(f"{url}/{whole['id']}"))
