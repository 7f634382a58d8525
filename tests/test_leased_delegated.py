"""Leased and delegated static IPs are recognized as the account's own: ``plan --strict`` over
loopback HTTP passes for an IP of the account's prefix, an IP Cloudflare leases to it, and an IP
another account delegated to it, and for the owner of a delegated CIDR (chosen: a delegation
grants, it does not move, so the owner's app keeps it); an IP none of these vouches for still
warns ``ip_not_byoip``. The address maps are read only for IPs outside the account's own
prefixes, once per account, under the client's limiter."""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import workflow
from reconciler.checks.addressing import MappedIPs
from reconciler.emulator import Emulator, serve
from reconciler.emulator.store import DEFAULT_ACCOUNT_ID
from reconciler.errors import NotFoundError, PermissionDeniedError
from reconciler.live.cloudflare.address_maps import UNREADABLE, AddressMapReader
from tests.conftest import make_client, make_emulator
from tests.test_output_schemas import check

TOKEN = "tok-leased-delegated-0123456789"
OWNER = "b1946ac92492d2347c6235b4d2611184"  # owns 203.0.113.0/24
RECEIVER = "023e105f4ecef8ad9ca31a8372d0c353"  # 203.0.113.128/25 is delegated to it


def accounts_emulator() -> Emulator:
    """mine.example (default account: 198.51.100.0/24, leases 172.65.64.0/24), owner.example
    (OWNER's prefix, half delegated away) and receiver.example (RECEIVER: the delegated half)."""
    return make_emulator(
        zones=(
            "mine.example",
            f"owner.example,account={OWNER}",
            f"receiver.example,account={RECEIVER}",
        ),
        byoip_prefixes=("198.51.100.0/24", f"203.0.113.0/24,account={OWNER}"),
        leased_prefixes=("172.65.64.0/24",),
        delegations=(f"203.0.113.128/25,to={RECEIVER}",),
    )


def static_app(name: str, ip: str) -> dict[str, Any]:
    return {
        "dns": {"type": "ADDRESS", "name": name},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://10.0.0.1:22"],
        "edge_ips": {"type": "static", "ips": [ip]},
    }


def write(directory: Path, zone: str, ip: str) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    apps = [static_app(f"ssh.{zone}", ip)]
    (directory / "apps.yaml").write_text(json.dumps({"zone": zone, "apps": apps}))
    return str(directory)


@contextlib.contextmanager
def loopback(emulator: Emulator) -> Iterator[list[str]]:
    with serve(emulator, host="127.0.0.1", port=0) as running:
        yield ["--base-url", running.base_url]


CLEAN = [
    ("mine.example", "198.51.100.10", "the account's own prefix"),
    ("mine.example", "172.65.64.13", "leased to the account (its Cloudflare-made address map)"),
    ("receiver.example", "203.0.113.200", "delegated to the account by another"),
    ("owner.example", "203.0.113.129", "the owner's prefix, delegated away (chosen: still its)"),
]


@pytest.mark.parametrize(("zone", "ip", "why"), CLEAN, ids=[c[2].split(" (")[0] for c in CLEAN])
def test_plan_strict_passes_and_apply_writes(
    run_cli, tmp_path: Path, zone: str, ip: str, why: str
) -> None:  # type: ignore[no-untyped-def]
    emulator = accounts_emulator()
    config = write(tmp_path / "c", zone, ip)
    env = {"CLOUDFLARE_API_TOKEN": TOKEN}
    with loopback(emulator) as url:
        plan = run_cli(["plan", *url, "--strict", "--format", "json", config], env=env)
        assert plan.exit_code == 0, why + ": " + plan.stderr
        assert json.loads(plan.stdout)["warnings"] == [], why
        applied = run_cli(["apply", *url, "--strict", "--auto-approve", config], env=env)
        assert applied.exit_code == 0, why + ": " + applied.stderr
    assert len(emulator.apps(emulator.ensure_zone(zone)["id"])) == 1, why


@pytest.mark.parametrize(
    ("zone", "ip"),
    [
        ("mine.example", "192.0.2.10"),  # nobody's
        ("mine.example", "203.0.113.10"),  # another account's prefix, not delegated here
        ("receiver.example", "172.65.64.13"),  # leased to another account
    ],
)
def test_an_ip_nothing_vouches_for_still_warns(run_cli, tmp_path: Path, zone: str, ip: str) -> None:  # type: ignore[no-untyped-def]
    emulator = accounts_emulator()
    config = write(tmp_path / "c", zone, ip)
    with loopback(emulator) as url:
        result = run_cli(["plan", *url, "--strict", config], env={"CLOUDFLARE_API_TOKEN": TOKEN})
    assert result.exit_code == 1 and "[ip_not_byoip]" in result.stderr, result.stderr
    assert f"edge IP {ip}" in result.stderr


def _address_map_reads(emulator: Emulator) -> dict[str, int]:
    return {r: n for r, n in emulator.stats()["requests"].items() if "address_maps" in r}


def test_maps_are_read_only_for_ips_outside_the_account_s_prefixes(tmp_path: Path) -> None:
    emulator = accounts_emulator()
    own = workflow.load([write(tmp_path / "own", "mine.example", "198.51.100.10")])
    with make_client(emulator) as client:
        emulator.reset_stats()
        workflow.plan_for(own, client)
    assert _address_map_reads(emulator) == {}


def test_maps_cost_one_list_and_one_map_once_per_account(tmp_path: Path) -> None:
    emulator = accounts_emulator()
    directory = tmp_path / "c"
    directory.mkdir()
    apps = [static_app(f"a{n}.mine.example", f"172.65.64.{n}") for n in range(1, 6)]
    (directory / "apps.yaml").write_text(json.dumps({"zone": "mine.example", "apps": apps}))
    desired = workflow.load([str(directory)])
    with make_client(emulator) as client:
        emulator.reset_stats()
        plan = workflow.plan_for(desired, client)
    assert plan.warnings == ()
    assert _address_map_reads(emulator) == {
        "GET /accounts/{account_id}/addressing/address_maps": 1,
        "GET /accounts/{account_id}/addressing/address_maps/{address_map_id}": 1,
    }


def test_maps_stop_being_read_once_every_ip_is_found(tmp_path: Path) -> None:
    """Two Cloudflare-made maps (the lease, a delegation): the leased IP is in the first."""
    emulator = make_emulator(
        zones=("mine.example",),
        byoip_prefixes=(f"203.0.113.0/24,account={OWNER}",),
        leased_prefixes=("172.65.64.0/24",),
        delegations=(f"203.0.113.0/28,to={DEFAULT_ACCOUNT_ID}",),
    )
    desired = workflow.load([write(tmp_path / "c", "mine.example", "172.65.64.13")])
    with make_client(emulator) as client:
        emulator.reset_stats()
        assert workflow.plan_for(desired, client).warnings == ()
    assert _address_map_reads(emulator) == {
        "GET /accounts/{account_id}/addressing/address_maps": 1,
        "GET /accounts/{account_id}/addressing/address_maps/{address_map_id}": 1,
    }


class _Refusing:
    """A transport whose token may not read address maps."""

    def request(self, method: str, path: str) -> Any:
        raise PermissionDeniedError(method, path, status=403)


def test_maps_the_token_may_not_read_leave_the_warning_saying_so() -> None:
    reader = AddressMapReader(_Refusing(), lambda path: _Refusing().request("GET", path))  # type: ignore[arg-type]
    wanted = frozenset({ipaddress.ip_address("172.65.64.13")})
    assert reader.mapped("acc", wanted) == MappedIPs(unread=UNREADABLE)


def test_the_addresses_view_says_which_outside_ips_the_maps_list(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emulator = accounts_emulator()
    directory = tmp_path / "c"
    directory.mkdir()
    apps = [
        static_app("a.mine.example", "172.65.64.13"),
        static_app("b.mine.example", "192.0.2.10"),
    ]
    (directory / "apps.yaml").write_text(json.dumps({"zone": "mine.example", "apps": apps}))
    env = {"CLOUDFLARE_API_TOKEN": TOKEN}
    with loopback(emulator) as url:
        result = run_cli(["addresses", *url, "--format", "json", str(directory)], env=env)
    assert result.exit_code == 0, result.stderr
    check(json.loads(result.stdout), "addresses.schema.json")  # the field is in its schema
    (account,) = json.loads(result.stdout)["accounts"]
    outside = {o["ip"]: o["in_address_map"] for o in account["outside_prefixes"]}
    assert outside == {"172.65.64.13": True, "192.0.2.10": False}


def test_an_api_without_address_maps_vouches_for_nothing_and_says_nothing() -> None:
    def missing(path: str) -> Any:
        raise NotFoundError("GET", path, status=404)

    reader = AddressMapReader(_Refusing(), missing)  # type: ignore[arg-type]
    wanted = frozenset({ipaddress.ip_address("172.65.64.13")})
    assert reader.mapped("acc", wanted) == MappedIPs()
