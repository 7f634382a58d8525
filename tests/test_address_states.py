"""Two address-plane states over loopback HTTP: a prefix whose on-demand advertisement is off
(the API says ``advertised: null``; Cloudflare announces it itself) and a Spectrum binding held
in ``magic_transit_route_missing`` (it carries no traffic, whatever the wait)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reconciler.cli import tools
from reconciler.emulator import Emulator
from tests.conftest import make_emulator
from tests.test_static_ips import TOKEN, loopback, static_app, write

ENV = {"CLOUDFLARE_API_TOKEN": TOKEN}
ALWAYS_ON = "198.51.100.0/24,on_demand=no"
ROUTE_MISSING = "203.0.113.0/24,binding=route_missing"


def addressing(emulator: Emulator, base_url: str, path: str) -> object:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    url = f"{base_url}/accounts/{emulator.account_id}/addressing{path}"
    answer = httpx.get(url, headers=auth)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def test_the_emulator_serves_null_advertised_and_the_route_missing_state() -> None:
    emulator = make_emulator(byoip_prefixes=(ALWAYS_ON, ROUTE_MISSING))
    with loopback(emulator) as url:
        prefixes = addressing(emulator, url[1], "/prefixes")
        assert isinstance(prefixes, list)
        by_cidr = {p["cidr"]: p for p in prefixes}
        always = by_cidr["198.51.100.0/24"]
        assert always["advertised"] is None and always["on_demand_enabled"] is False
        (bgp,) = addressing(emulator, url[1], f"/prefixes/{always['id']}/bgp/prefixes")  # type: ignore[misc]
        assert bgp["on_demand"]["advertised"] is None
        missing = by_cidr["203.0.113.0/24"]
        (binding,) = addressing(emulator, url[1], f"/prefixes/{missing['id']}/bindings")  # type: ignore[misc]
        assert binding["provisioning"] == {"state": "magic_transit_route_missing"}
        patch = httpx.patch(
            f"{url[1]}/accounts/{emulator.account_id}/addressing/prefixes/{always['id']}"
            f"/bgp/prefixes/{bgp['id']}",
            json={"on_demand": {"advertised": False}},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert patch.status_code == 400 and "on-demand" in patch.text


def test_a_prefix_without_on_demand_counts_as_advertised(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emulator = make_emulator(byoip_prefixes=(ALWAYS_ON,))
    config = write(tmp_path / "c", [static_app("always", "198.51.100.10")])
    with loopback(emulator) as url:
        plan = run_cli(["plan", *url, "--strict", "--format", "json", config], env=ENV)
        view = run_cli(["addresses", *url, config], env=ENV)
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert json.loads(plan.stdout)["warnings"] == []  # no prefix_withdrawn, nothing unknown
    assert "198.51.100.10: Spectrum, reaches Spectrum" in view.stdout, view.stdout


def test_a_route_missing_binding_cannot_carry_traffic_and_the_plan_says_so(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path
) -> None:
    emulator = make_emulator(byoip_prefixes=(ROUTE_MISSING,))
    config = write(tmp_path / "c", [static_app("held", "203.0.113.10")])
    with loopback(emulator) as url:
        plan = run_cli(["plan", *url, "--format", "json", config], env=ENV)
        strict = run_cli(["plan", *url, "--strict", config], env=ENV)
        view = run_cli(["addresses", *url, config], env=ENV)
    assert plan.exit_code == 0, plan.stderr
    (warning,) = json.loads(plan.stdout)["warnings"]
    assert warning["kind"] == "binding_route_missing"
    assert "carries no traffic" in warning["message"] and "waiting will not" in warning["message"]
    assert strict.exit_code == 1 and "[binding_route_missing]" in strict.stderr
    assert "does NOT reach Spectrum: binding magic_transit_route_missing" in view.stdout


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("198.51.100.0/24,on_demand=no,advertised=yes", "advertised= needs on-demand"),
        ("198.51.100.0/24,service=none,binding=route_missing", "service=none"),
        ("198.51.100.0/24,binding=missing", "route_missing"),
    ],
)
def test_bad_prefix_flags_are_one_line(run_cli, spec: str, says: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["emulator", "--port", "0", "--byoip-prefix", spec])
    assert result.exit_code != 0 and says in result.stderr
    assert "Traceback" not in result.stderr


def test_the_emulators_help_names_both_states() -> None:
    (option,) = [o for o in tools.emulator.params if o.name == "prefixes"]
    assert "binding=active|provisioning|route_missing" in str(option.help)
    assert "on_demand=yes|no" in str(option.help)
