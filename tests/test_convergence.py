"""Apply, then plan: empty, whatever the API does with what it was not told.

Two behaviours of the Spectrum API are undocumented, and a wrong guess shared by the client and
the emulator would hide itself: the default of ``ip_firewall`` (absent, false or true) and
whether a PUT resets the fields it omits or keeps them. The emulator can play every combination;
under each, an apply converges and removing an optional field takes effect. The emulator can
also hold fields this tool does not know (as Cloudflare will, once it adds some): an update keeps
them, a stale saved plan notices them, and a rollback restores them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.applying.report import Status
from reconciler.emulator import Emulator
from reconciler.errors import StalePlanError
from reconciler.model import AppKey
from reconciler.plan import ActionKind, Plan
from tests.conftest import make_client, make_emulator

VNET = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"
BASE = {
    "dns": {"type": "CNAME", "name": "ssh.example.com"},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
}
FULL = {**BASE, "ip_firewall": True, "virtual_network_id": VNET, "tls": "full"}
COMBINATIONS = [
    pytest.param(default, keeps, id=f"ip_firewall={default}-put-{'keeps' if keeps else 'resets'}")
    for default in (None, False, True)
    for keeps in (False, True)
]


def emulator_for(ip_firewall_default: bool | None, put_keeps: bool, **more: Any) -> Emulator:
    return make_emulator(
        ip_firewall_default=ip_firewall_default,
        put_keeps_omitted=put_keeps,
        virtual_networks={VNET: ["192.0.2.0/24"]},
        **more,
    )


def write(directory: Path, *apps: dict[str, Any]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": "example.com", "apps": list(apps)}))
    return str(directory)


def plan(emulator: Emulator, config: str, **client: Any) -> Plan:
    with make_client(emulator, **client) as made:
        return workflow.plan_for(workflow.load([config]), made)


def apply(emulator: Emulator, config: str, **client: Any) -> Any:
    with make_client(emulator, **client) as made:
        the_plan = workflow.plan_for(workflow.load([config]), made)
        return Executor(made).apply(the_plan)


def live(emulator: Emulator) -> list[dict[str, Any]]:
    return emulator.apps(str(emulator.ensure_zone("example.com")["id"]))


@pytest.mark.parametrize(("ip_firewall_default", "put_keeps"), COMBINATIONS)
def test_apply_converges_and_removing_optional_fields_takes_effect(
    ip_firewall_default: bool | None, put_keeps: bool, tmp_path: Path
) -> None:
    emulator = emulator_for(ip_firewall_default, put_keeps)
    steps = [("minimal", BASE), ("every field", FULL), ("fields removed", BASE)]
    for name, app in steps:
        config = write(tmp_path / name, app)
        assert apply(emulator, config).complete, name
        assert plan(emulator, config).actions == (), f"not converged after {name}"
    (app,) = live(emulator)
    assert "virtual_network_id" not in app
    assert app.get("ip_firewall", False) is False and app["tls"] == "off"


@pytest.mark.parametrize(("ip_firewall_default", "put_keeps"), COMBINATIONS)
def test_switching_the_origin_form_converges(
    ip_firewall_default: bool | None, put_keeps: bool, tmp_path: Path
) -> None:
    emulator = emulator_for(ip_firewall_default, put_keeps)
    by_name = {k: v for k, v in BASE.items() if k != "origin_direct"}
    by_name |= {"origin_dns": {"name": "origin.example.net"}, "origin_port": 22}
    for name, app in [("direct", BASE), ("dns", by_name), ("direct again", BASE)]:
        config = write(tmp_path / name, app)
        report = apply(emulator, config)
        assert report.complete, [o.detail for o in report.outcomes]
        assert plan(emulator, config).actions == (), f"not converged after {name}"


# --- fields this tool does not know -------------------------------------------------------

FUTURE = {"future_setting": {"mode": "fast"}}  # a top-level field Cloudflare might add
NESTED_TTL = 300  # and a nested one: dns.ttl


def seed_future_app(emulator: Emulator) -> dict[str, Any]:
    """The app as Cloudflare would hold it once it has fields newer than this tool."""
    body = {**BASE, **FUTURE, "dns": {**BASE["dns"], "ttl": NESTED_TTL}}
    zone = str(emulator.ensure_zone("example.com")["id"])
    with make_client(emulator) as client:
        client.create_app(zone, AppKey.of("example.com", "ssh.example.com", "tcp/22"), body)
    (app,) = live(emulator)
    assert app["future_setting"] == FUTURE["future_setting"] and app["dns"]["ttl"] == NESTED_TTL
    return app


@pytest.mark.parametrize("put_keeps", [False, True], ids=["put-resets", "put-keeps"])
def test_an_update_keeps_fields_this_tool_does_not_know(put_keeps: bool, tmp_path: Path) -> None:
    emulator = emulator_for(None, put_keeps, keep_unknown_fields=True)
    seed_future_app(emulator)
    assert plan(emulator, write(tmp_path / "same", BASE)).actions == (), "no diff from dns.ttl"
    changed = write(tmp_path / "tls", {**BASE, "tls": "full"})
    (update,) = plan(emulator, changed).actions
    assert update.kind is ActionKind.UPDATE
    assert any("future_setting" in r and "dns.ttl" in r for r in update.reasons), update.reasons
    assert apply(emulator, changed).complete
    (app,) = live(emulator)
    assert app["tls"] == "full"
    assert app["future_setting"] == FUTURE["future_setting"] and app["dns"]["ttl"] == NESTED_TTL
    assert plan(emulator, changed).actions == ()


def test_a_saved_plan_is_stale_when_only_an_unknown_field_moved(tmp_path: Path) -> None:
    emulator = emulator_for(None, False, keep_unknown_fields=True)
    app = seed_future_app(emulator)
    saved = plan(emulator, write(tmp_path / "tls", {**BASE, "tls": "full"}))
    zone = str(emulator.ensure_zone("example.com")["id"])
    with make_client(emulator) as client:
        workflow.check_not_stale(saved, client)  # nothing moved yet: not stale
        moved = {k: v for k, v in app.items() if k not in ("id", "created_on", "modified_on")}
        client.update_app(zone, app["id"], {**moved, "future_setting": {"mode": "slow"}})
        with pytest.raises(StalePlanError, match="future_setting"):
            workflow.check_not_stale(saved, client)


def test_a_rollback_restores_fields_this_tool_does_not_know(tmp_path: Path) -> None:
    emulator = emulator_for(None, False, keep_unknown_fields=True)
    seed_future_app(emulator)
    byoip = {
        **BASE,
        "dns": {"type": "ADDRESS", "name": "ssh.example.com"},
        "edge_ips": {"type": "static", "ips": ["198.51.100.10"]},
    }
    inner = emulator.transport()

    def refuse_static(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and b'"static"' in request.content:
            error = {"success": False, "errors": [{"code": 11019, "message": "no"}], "result": None}
            return httpx.Response(400, json=error)
        return inner.handle_request(request)

    report = apply(
        emulator, write(tmp_path / "byoip", byoip), transport=httpx.MockTransport(refuse_static)
    )
    (outcome,) = report.outcomes
    assert outcome.status is Status.FAILED and "restored" in outcome.detail
    (back,) = live(emulator)
    assert back["future_setting"] == FUTURE["future_setting"] and back["dns"]["ttl"] == NESTED_TTL
