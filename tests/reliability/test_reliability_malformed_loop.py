"""Malformed server values in a running ``reconcile --self-heal`` loop: counts that are no numbers,
objects that are not objects, error codes that are not codes, apps whose identity cannot be read.
Every cycle ends with a result (never an exception out of the loop), the next cycle runs, and no
app is deleted or duplicated because an answer was malformed."""

from __future__ import annotations

import json
import random
import threading
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import ZONE, extra_app, make_emulator, note, zone_id

from reconciler.emulator import serve
from reconciler.emulator.envelope import EmulatorResponse
from reconciler.live.accounts import Accounts
from reconciler.live.connect import Connection
from reconciler.running import reconcile as loop
from reconciler.running.cycle import CycleResult, Outcome
from reconciler.running.metrics import Metrics

pytestmark = pytest.mark.reliability

CYCLES = 30
NAMES = [f"m{i}.{ZONE}" for i in range(6)]


def _info(field: str, value: Any) -> Any:
    def spoil(body: dict[str, Any]) -> None:
        body["result_info"][field] = value

    return spoil


def _whole_info(body: dict[str, Any]) -> None:
    body["result_info"] = "x"


def _app(change: dict[str, Any]) -> Any:
    def spoil(body: dict[str, Any]) -> None:
        if body["result"]:
            body["result"][0].update(change)

    return spoil


SPOILS = [
    _info("total_pages", "x"),
    _info("total_count", "abc"),
    _info("per_page", "abc"),
    _info("total_count", True),
    _whole_info,
    _app({"dns": "x"}),
    _app({"dns": {"type": "CNAME", "name": 7}}),
    _app({"protocol": None}),
    _app({"edge_ips": "x"}),
    _app({"origin_dns": [1]}),
]


def refused_with_a_bad_code(_: Any) -> EmulatorResponse:
    body = {"success": False, "errors": [{"code": "abc", "message": "no"}], "result": None}
    return EmulatorResponse(400, json.dumps(body).encode(), {"content-type": "application/json"})


def test_a_self_heal_loop_survives_malformed_answers_and_deletes_nothing(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = make_emulator()
    config = tmp_path / "zone.yaml"
    declared = [extra_app(name, 2000 + i) for i, name in enumerate(NAMES)]
    config.write_text(json.dumps({"zone": ZONE, "apps": declared}))
    rng, spoiled = random.Random(7), {"answers": 0}
    inner = emulator.handle

    def handle(method, path, query, headers, body):  # type: ignore[no-untyped-def]
        response = inner(method, path, query, headers, body)
        listing = method == "GET" and path.endswith("/spectrum/apps")
        if not listing or rng.random() > 0.6 or not isinstance(response, EmulatorResponse):
            return response
        spoiled["answers"] += 1
        spoil = rng.choice([*SPOILS, refused_with_a_bad_code])
        if spoil is refused_with_a_bad_code:
            return refused_with_a_bad_code(response)
        payload = json.loads(response.body)
        spoil(payload)
        return EmulatorResponse(response.status, json.dumps(payload).encode(), response.headers)

    emulator.handle = handle  # type: ignore[method-assign]
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "token-for-reliability-0001")
    seen: list[CycleResult] = []
    stop = threading.Event()

    def report(result: CycleResult) -> None:
        seen.append(result)
        if result.number == CYCLES:
            stop.set()

    with serve(emulator) as running:
        connection = Connection(base_url=running.base_url)
        settings = loop.Settings((str(config),), self_heal=True)
        metrics = Metrics()
        with Accounts(connection, observer=metrics.observe_request) as accounts:
            assert loop.run(settings, accounts, report, every=0.001, stop=stop) == 0  # type: ignore[arg-type]
        emulator.handle = inner  # type: ignore[method-assign]
        live = sorted(a["dns"]["name"] for a in emulator.apps(zone_id(emulator)))
    assert len(seen) == CYCLES
    outcomes = {r.outcome for r in seen}
    assert outcomes <= {Outcome.FAILED, Outcome.HEALED, Outcome.IN_SYNC, Outcome.PARTIAL}
    assert Outcome.FAILED in outcomes and (outcomes & {Outcome.HEALED, Outcome.IN_SYNC})
    assert all(
        "unexpected shape" in (r.error or "") or "400" in (r.error or "") or r.error is None
        for r in seen
    )
    assert live == sorted(NAMES)  # nothing deleted or doubled because an answer was malformed
    note(
        malformed_loop_cycles=len(seen),
        malformed_loop_answers=spoiled["answers"],
        malformed_loop_failed_cycles=sum(r.outcome is Outcome.FAILED for r in seen),
        malformed_loop_apps_lost=len(set(NAMES) - set(live)),
    )
