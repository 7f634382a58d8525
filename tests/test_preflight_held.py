"""A preflight refusal holds only its own zone when nothing is written there: a frozen or
``mode: observe`` zone's findings are warnings saying so, and the other zones apply (over
loopback, as the address check's findings already do)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.test_preflight import ENV, app, emulator_with, loopback, write

FROZEN = {"freeze": {"until": "2999-01-01T00:00:00Z", "reason": "release"}}
OBSERVE = {"mode": "observe"}


def two_zones(tmp_path: Path, policy: dict[str, Any]) -> str:
    root = tmp_path / "cfg"
    (root / "com").mkdir(parents=True)
    com = {"zone": "example.com", **policy, "apps": [app("ssh")]}
    (root / "com" / "apps.yaml").write_text(json.dumps(com))
    write(root / "net", "example.net", [app("web", zone="example.net")])
    return str(root)


def live_count(emulator: Any, zone: str) -> int:
    return len(emulator.apps(emulator.ensure_zone(zone)["id"]))


def conflicted() -> Any:
    return emulator_with(dns_records=("ssh.example.com,type=A,content=192.0.2.7",))


@pytest.mark.parametrize(
    ("policy", "code"),
    [pytest.param(FROZEN, 3, id="frozen"), pytest.param(OBSERVE, 0, id="observe")],
)
def test_a_held_zones_conflict_is_a_warning_and_the_other_zone_applies(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path, policy: dict[str, Any], code: int
) -> None:
    emulator = conflicted()
    config = two_zones(tmp_path, policy)
    with loopback(emulator) as url:
        result = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
    assert result.exit_code == code, result.stdout + result.stderr
    assert live_count(emulator, "example.net") == 1 and live_count(emulator, "example.com") == 0
    assert "[dns_record_conflict]" not in result.stderr  # not a refusal
    shown = [line for line in result.stdout.splitlines() if "already exists with that host" in line]
    assert shown and "not refused: zone example.com is not written to" in shown[0]


def test_an_observe_zones_conflict_in_the_plan_document_is_a_warning(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path
) -> None:
    emulator = conflicted()
    config = two_zones(tmp_path, OBSERVE)
    with loopback(emulator) as url:
        plan = run_cli(["plan", *url, "--format", "json", config], env=ENV)
    assert plan.exit_code == 0, plan.stderr
    document = json.loads(plan.stdout)
    assert document["refusals"] == []
    assert [w["kind"] for w in document["warnings"]] == ["dns_record_conflict"]


def test_the_zone_that_will_be_written_is_still_refused(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emulator = conflicted()
    config = two_zones(tmp_path, {})
    with loopback(emulator) as url:
        result = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
    assert result.exit_code == 1 and "[dns_record_conflict]" in result.stderr
    assert live_count(emulator, "example.net") == 0


def test_a_held_zone_does_not_excuse_another_zones_conflict(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Holding one zone demotes that zone's findings only: the written zone's stay refusals."""
    emulator = emulator_with(
        dns_records=(
            "ssh.example.com,type=A,content=192.0.2.7",
            "web.example.net,type=A,content=192.0.2.8",
        )
    )
    config = two_zones(tmp_path, OBSERVE)
    with loopback(emulator) as url:
        result = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "[dns_record_conflict]" in result.stderr and "web.example.net" in result.stderr
    assert live_count(emulator, "example.net") == 0 and live_count(emulator, "example.com") == 0
