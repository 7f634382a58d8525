"""Two applies at once never silently overwrite each other: before writing to a live app, the
executor reads it again, and an app changed (or gone) since the plan is not written; the action
is reported stale, and no new action starts in that zone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.applying.report import ApplyReport, Status
from reconciler.cli.apply import exit_code
from reconciler.emulator import Emulator
from reconciler.plan import ActionKind, Plan
from tests.conftest import make_client

SSH = {
    "dns": {"type": "CNAME", "name": "ssh.example.com"},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
}
WEB = {**SSH, "dns": {"type": "CNAME", "name": "web.example.com"}, "protocol": "tcp/80"}
NET = {**SSH, "dns": {"type": "CNAME", "name": "ssh.example.net"}}


def write_config(directory: Path, zones: dict[str, list[dict[str, Any]]]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    for zone, apps in zones.items():
        (directory / f"{zone}.yaml").write_text(json.dumps({"zone": zone, "apps": apps}))
    return str(directory)


def plan_of(emulator: Emulator, config: str) -> Plan:
    with make_client(emulator) as client:
        return workflow.plan_for(workflow.load([config]), client)


def apply(emulator: Emulator, plan: Plan) -> ApplyReport:
    with make_client(emulator) as client:
        return Executor(client, parallelism=1).apply(plan)


def live(emulator: Emulator, name: str, zone: str = "example.com") -> dict[str, Any]:
    apps = emulator.apps(emulator.ensure_zone(zone)["id"])
    return next(a for a in apps if a["dns"]["name"] == name)


@pytest.fixture
def applied(emulator: Emulator, tmp_path: Path) -> Emulator:
    config = write_config(tmp_path / "v1", {"example.com": [SSH, WEB], "example.net": [NET]})
    assert apply(emulator, plan_of(emulator, config)).complete
    return emulator


def outcome(report: ApplyReport, kind: ActionKind, name: str) -> Any:
    return next(
        o for o in report.outcomes if o.action.kind is kind and o.action.key.dns_name == name
    )


@pytest.mark.parametrize(
    ("after", "kind"),
    [
        ({"tls": "full"}, ActionKind.UPDATE),
        ({"dns": {"type": "ADDRESS", "name": "ssh.example.com"},
          "edge_ips": {"type": "static", "ips": ["198.51.100.10"]}}, ActionKind.RECREATE),
        (None, ActionKind.DELETE),
    ],
)  # fmt: skip
def test_a_target_changed_since_the_plan_is_not_written_and_is_reported_stale(
    applied: Emulator, tmp_path: Path, after: dict[str, Any] | None, kind: ActionKind
) -> None:
    apps = [WEB] if after is None else [WEB, {**SSH, **after}]
    mine = plan_of(applied, write_config(tmp_path / "mine", {"example.com": apps}))
    theirs = write_config(tmp_path / "theirs", {"example.com": [{**SSH, "tls": "strict"}, WEB]})
    assert apply(applied, plan_of(applied, theirs)).complete  # the other apply lands first

    report = apply(applied, mine)
    stale = outcome(report, kind, "ssh.example.com")
    assert stale.status is Status.STALE
    assert 'tls "off" -> "strict"' in stale.detail and "plan again" in stale.detail
    assert live(applied, "ssh.example.com")["tls"] == "strict"  # theirs, not overwritten
    assert len(applied.apps(applied.ensure_zone("example.com")["id"])) == 2
    assert exit_code(report) == 3


def test_an_app_deleted_since_the_plan_is_stale_and_the_zone_stops(
    applied: Emulator, tmp_path: Path
) -> None:
    mine = plan_of(
        applied,
        write_config(
            tmp_path / "mine",
            {
                "example.com": [{**SSH, "tls": "full"}, {**WEB, "tls": "full"}],
                "example.net": [{**NET, "tls": "full"}],
            },
        ),
    )
    zone_id = applied.ensure_zone("example.com")["id"]
    with make_client(applied) as client:
        client.delete_app(zone_id, live(applied, "ssh.example.com")["id"])

    report = apply(applied, mine)
    stale = outcome(report, ActionKind.UPDATE, "ssh.example.com")
    assert stale.status is Status.STALE and "deleted since the plan" in stale.detail
    assert outcome(report, ActionKind.UPDATE, "web.example.com").status is Status.SKIPPED
    net = outcome(report, ActionKind.UPDATE, "ssh.example.net")
    assert net.status is Status.DONE  # other zones go on
    assert exit_code(report) == 4  # something was written
    assert [a["dns"]["name"] for a in applied.apps(zone_id)] == ["web.example.com"]
