"""An apply whose every write Cloudflare refused with a definite answer wrote nothing.

A 4xx answer to a create or an update, and a failed delete after which the app is read back
intact, are refusals: the write certainly did not happen. A timeout, a dropped connection or a
5xx may have landed, even when a repeat of it was refused: those leave live state unknown.
Each case runs the executor against the emulator through a transport that answers the writes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.applying.failure import refused_for_certain
from reconciler.applying.report import ApplyReport, Status
from reconciler.emulator import Emulator, serve
from reconciler.errors import ApiError, TransportError, UnclearWriteError
from tests.conftest import make_client, make_emulator
from tests.test_executor import SSH_BYOIP, SSH_DYNAMIC, write_config
from tests.test_output_schemas import Failing

WWW = {
    "dns": {"type": "CNAME", "name": "www.example.com"},
    "protocol": "tcp/80",
    "origin_direct": ["tcp://192.0.2.2:80"],
    "ip_firewall": True,
}
DB = {**WWW, "dns": {"type": "CNAME", "name": "db.example.com"}, "protocol": "tcp/5432"}
SSH_MOVED = {**SSH_DYNAMIC, "origin_direct": ["tcp://192.0.2.9:22"]}

Answer = Callable[[httpx.Request, int], httpx.Response | None]  # (request, its number) -> reply


def refusal(status: int = 400, code: int = 11004) -> httpx.Response:
    body = {"success": False, "errors": [{"code": code, "message": "refused"}], "result": None}
    return httpx.Response(status, json=body)


def apply_through(emulator: Emulator, config: str, answer: Answer) -> ApplyReport:
    """Plan ``config`` and apply it, each write answered by ``answer`` (None: the emulator)."""
    inner = emulator.transport()
    writes: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            writes.append(request)
            response = answer(request, len(writes))
            if response is not None:
                return response
        return inner.handle_request(request)

    with make_client(emulator, transport=httpx.MockTransport(handle)) as client:
        plan = workflow.plan_for(workflow.load([config]), client)
        return Executor(client).apply(plan)


@pytest.fixture
def converged(emulator: Emulator, tmp_path: Path) -> Emulator:
    with make_client(emulator) as client:
        plan = workflow.plan_for(
            workflow.load([write_config(tmp_path / "v1", [SSH_DYNAMIC, WWW])]), client
        )
        assert Executor(client).apply(plan).complete
    return emulator


@pytest.mark.parametrize("status", [400, 403, 409])
def test_creates_updates_and_deletes_all_refused_wrote_nothing(
    status: int, converged: Emulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "v2", [SSH_MOVED, DB])  # update ssh, create db, delete www
    report = apply_through(converged, config, lambda request, n: refusal(status))
    assert {o.status for o in report.outcomes} <= {Status.FAILED, Status.SKIPPED}
    assert all(o.refused for o in report.outcomes if o.status is Status.FAILED)
    assert report.count(Status.FAILED) >= 1
    assert not report.wrote and report.nothing_written


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(lambda request, n: refusal(503, 10002), id="5xx"),
        pytest.param(lambda request, n: refusal(503, 10002) if n == 1 else refusal(), id="5xx-4xx"),
        pytest.param(lambda request, n: refusal(200), id="200-success-false"),
    ],
)
def test_an_update_that_may_have_landed_is_not_a_refusal(
    answer: Answer, converged: Emulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "v2", [SSH_MOVED, WWW])
    report = apply_through(converged, config, answer)
    (outcome,) = report.outcomes
    assert outcome.status is Status.FAILED and not outcome.refused
    assert report.wrote and not report.nothing_written


def test_a_create_whose_connection_dropped_is_not_a_refusal(
    converged: Emulator, tmp_path: Path
) -> None:
    def dropped(request: httpx.Request, n: int) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected without sending a response")

    report = apply_through(
        converged, write_config(tmp_path / "v2", [SSH_DYNAMIC, WWW, DB]), dropped
    )
    (outcome,) = report.outcomes
    assert outcome.status is Status.FAILED and not outcome.refused
    assert report.wrote and not report.nothing_written


def test_a_recreate_whose_create_was_refused_wrote_its_delete(
    converged: Emulator, tmp_path: Path
) -> None:
    def refuse_creates(request: httpx.Request, n: int) -> httpx.Response | None:
        return refusal() if request.method == "POST" and b'"static"' in request.content else None

    config = write_config(tmp_path / "v2", [SSH_BYOIP, WWW])
    report = apply_through(converged, config, refuse_creates)
    (outcome,) = report.outcomes
    assert outcome.status is Status.FAILED and not outcome.refused  # deleted, then restored
    assert report.wrote and not report.nothing_written


def test_a_failed_delete_of_an_app_read_back_intact_is_a_refusal(
    converged: Emulator, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "v2", [SSH_DYNAMIC])
    report = apply_through(converged, config, lambda request, n: refusal(503, 10002))
    (outcome,) = report.outcomes
    assert outcome.status is Status.FAILED and outcome.refused
    assert "still there, intact" in outcome.detail
    assert report.nothing_written


def test_apply_whose_every_create_was_refused_says_nothing_was_written(
    run_cli: Any, tmp_path: Path
) -> None:
    emulator = make_emulator()
    config = write_config(tmp_path / "v1", [SSH_DYNAMIC, WWW])
    with serve(Failing(emulator, "example.com")) as running:  # type: ignore[arg-type]
        result = run_cli(
            ["apply", "--auto-approve", config, "--base-url", running.base_url],
            env={"CLOUDFLARE_API_TOKEN": "token-for-tests-0001"},
        )
    assert result.exit_code == 1, result.stdout + result.stderr
    assert "Apply wrote NOTHING — Cloudflare refused every write" in result.stdout
    assert "INCOMPLETE" not in result.stdout + result.stderr
    assert "refused for the test" in result.stdout  # each refusal, on its action's line
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: nothing was written: Cloudflare refused every write"), last
    assert emulator.apps(str(emulator.ensure_zone("example.com")["id"])) == []


WRITE_REFUSED = ApiError("POST", "/zones/z/spectrum/apps", status=400)


def _after_unclear(error: ApiError) -> ApiError:
    error.after_unclear_attempt = True
    return error


@pytest.mark.parametrize(
    ("error", "certain"),
    [
        pytest.param(WRITE_REFUSED, True, id="4xx"),
        pytest.param(ApiError("PUT", "/p", status=503), False, id="5xx-last-attempt"),
        pytest.param(_after_unclear(ApiError("PUT", "/p", status=400)), False, id="4xx-after-5xx"),
        pytest.param(TransportError("POST", "/p", status=400), False, id="4xx-not-envelope"),
        pytest.param(TransportError("POST", "/p"), False, id="no-answer"),
        pytest.param(
            UnclearWriteError(WRITE_REFUSED, "the app is still there, intact", known=True),
            True,
            id="delete-read-back-intact",
        ),
        pytest.param(
            UnclearWriteError(WRITE_REFUSED, "the zone could not be read", known=False),
            False,
            id="delete-read-back-failed",
        ),
    ],
)
def test_only_a_definite_refusal_is_certain(error: ApiError, certain: bool) -> None:
    """Each way a write's answer can leave its effect open is not a refusal for certain."""
    assert refused_for_certain(error) is certain
