"""The origin's zone (11050): the emulator refuses an origin_dns name outside the account's zones
under ``--origin-dns-policy account``; ``plan`` warns ``origin_dns_outside_account`` first
(``--strict`` refuses), reading each account's zone list once and only when a write has an
origin_dns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.checks.static_ips import AddressChecks
from reconciler.emulator.origin_zone import ORIGIN_ZONE_TEXT
from tests.test_preflight import ENV, TOKEN, app, emulator_with, loopback, write


def origin_app(name: str, origin: str) -> dict[str, Any]:
    body = app(name)
    del body["origin_direct"]
    return {**body, "origin_dns": {"name": origin}, "origin_port": 22}


@pytest.mark.parametrize(
    ("policy", "origin", "refused"),
    [
        ("account", "db.example.org", True),
        ("account", "db.example.net", False),  # another zone of the same account
        ("account", "db.example.com", False),
        ("any", "db.example.org", False),
    ],
)
def test_the_emulator_refuses_an_origin_outside_the_account_under_account(
    policy: str, origin: str, refused: bool
) -> None:
    emulator = emulator_with(origin_dns_policy=policy)
    zone_id = emulator.ensure_zone("example.com")["id"]
    with loopback(emulator) as url:
        answer = httpx.post(
            f"{url[1]}/zones/{zone_id}/spectrum/apps",
            json=origin_app("ssh", origin),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    if refused:
        assert answer.status_code == 400
        assert answer.json()["errors"] == [{"code": 11050, "message": ORIGIN_ZONE_TEXT}]
    else:
        assert answer.status_code == 200, answer.text


def test_plan_warns_and_strict_refuses(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emulator = emulator_with(origin_dns_policy="account")
    config = write(tmp_path / "cfg", "example.com", [origin_app("ssh", "db.example.org")])
    with loopback(emulator) as url:
        plan = run_cli(["plan", *url, "--format", "json", config], env=ENV)
        strict = run_cli(["plan", *url, "--strict", config], env=ENV)
        applied = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
    assert plan.exit_code == 0, plan.stderr
    (warning,) = json.loads(plan.stdout)["warnings"]
    assert warning["kind"] == "origin_dns_outside_account"
    assert "db.example.org" in warning["message"] and "11050" in warning["message"]
    assert strict.exit_code == 1 and "[origin_dns_outside_account]" in strict.stderr
    assert f"{config}/apps.yaml:1:" in strict.stderr
    assert applied.exit_code == 1 and "11050" in applied.stdout + applied.stderr  # as warned
    assert "nothing was written" in applied.stderr  # its one write was refused: not partial


def test_an_origin_in_another_zone_of_the_account_is_fine(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emulator = emulator_with(origin_dns_policy="account")
    config = write(tmp_path / "cfg", "example.com", [origin_app("ssh", "db.example.net")])
    with loopback(emulator) as url:
        plan = run_cli(["plan", *url, "--strict", "--format", "json", config], env=ENV)
    assert plan.exit_code == 0, plan.stderr
    assert json.loads(plan.stdout)["warnings"] == []


def test_the_account_s_zones_are_read_once_and_only_for_origin_dns(tmp_path: Path) -> None:
    from reconciler.applying import workflow
    from tests.conftest import make_client

    emulator = emulator_with()
    direct = write(tmp_path / "direct", "example.com", [app("a"), app("b")])
    origins = [origin_app("c", "x.example.org"), origin_app("d", "y.example.org")]
    by_dns = write(tmp_path / "dns", "example.com", origins)
    with make_client(emulator) as client:
        workflow.plan_for(workflow.load([direct]), client)
        assert emulator.stats()["requests"]["GET /zones"] == 1  # the lookup by name only
    emulator.reset_stats()
    with make_client(emulator) as client:
        wide = AddressChecks(account_wide=True)  # the quota lists the account's zones too
        plan = workflow.plan_for(workflow.load([by_dns]), client, checks=wide)
    assert emulator.stats()["requests"]["GET /zones"] == 2  # the lookup, then the account's list
    assert [w.kind for w in plan.warnings] == ["origin_dns_outside_account"] * 2


def test_a_bad_policy_is_a_usage_error(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["emulator", "--port", "0", "--origin-dns-policy", "zone"])
    assert result.exit_code == 2 and "'zone' is not one of 'any', 'account'" in result.stderr
