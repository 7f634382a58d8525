"""A read that fails is never taken for an empty or shorter zone: whichever way the listing
breaks (refused token, 5xx on a page through every retry, a page dropped, pages cut short,
``success: false``), plan, drift and apply exit 1, print no plan, and write nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    FAST_RETRY,
    ZONE,
    app_config,
    apps_gone,
    extra_app,
    live_ids,
    make_client,
    make_emulator,
    note,
    write_big_config,
    write_count,
    zone_id,
)

from reconciler.emulator import Emulator, serve
from reconciler.emulator.envelope import EmulatorResponse
from reconciler.live import cloudflare
from reconciler.model import AppKey
from reconciler.planning.normalize import request_body

pytestmark = pytest.mark.reliability

STRAYS = 50  # live apps no file declares: a complete read plans 50 deletions
Tamper = Callable[[Mapping[str, str], EmulatorResponse], EmulatorResponse]


def envelope(response: EmulatorResponse) -> dict[str, Any]:
    return json.loads(response.body)


def rewritten(response: EmulatorResponse, status: int, body: dict[str, Any]) -> EmulatorResponse:
    return EmulatorResponse(status, json.dumps(body).encode(), dict(response.headers))


def server_error(query: Mapping[str, str], response: EmulatorResponse) -> EmulatorResponse:
    failure = {"success": False, "errors": [{"code": 10002, "message": "boom"}], "result": None}
    return rewritten(response, 503, {**failure, "messages": []})


def page_dropped(query: Mapping[str, str], response: EmulatorResponse) -> EmulatorResponse:
    return rewritten(response, 200, {**envelope(response), "result": []})


def pages_cut_short(query: Mapping[str, str], response: EmulatorResponse) -> EmulatorResponse:
    body = envelope(response)  # page 1 claims to be the only page
    body["result_info"] = {**body["result_info"], "total_pages": 1}
    return rewritten(response, 200, body)


def success_false(query: Mapping[str, str], response: EmulatorResponse) -> EmulatorResponse:
    return rewritten(response, 200, {**envelope(response), "success": False})


TAMPERS: dict[str, tuple[str, Tamper]] = {
    "5xx-on-page-2-every-retry": ("2", server_error),
    "page-2-dropped": ("2", page_dropped),
    "page-1-says-it-is-the-last": ("1", pages_cut_short),
    "success-false-on-page-2": ("2", success_false),
}


class TamperedListing:
    """Stands where serve() expects an Emulator: the app listing's chosen page is tampered with."""

    def __init__(self, emulator: Emulator, page: str, tamper: Tamper) -> None:
        self.emulator, self.page, self.tamper = emulator, page, tamper
        self.tampered = 0

    def handle(self, method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        result = self.emulator.handle(method, path, query, headers, body)
        listing = method == "GET" and path.endswith("/spectrum/apps")
        if listing and query.get("page", "1") == self.page and isinstance(result, EmulatorResponse):
            self.tampered += 1
            return self.tamper(query, result)
        return result


@pytest.fixture
def populated(tmp_path: Path) -> tuple[Emulator, str]:
    emulator = make_emulator(token="the-real-token")
    config = write_big_config(tmp_path / "config")
    with make_client(emulator, token="the-real-token") as client:
        zid = zone_id(emulator)
        for i in range(100):
            body = request_body(app_config(i))
            client.create_app(zid, AppKey.of(ZONE, body["dns"]["name"], body["protocol"]), body)
        for i in range(STRAYS):
            body = extra_app(f"stray{i}.{ZONE}", 9000 + i)
            client.create_app(zid, AppKey.of(ZONE, body["dns"]["name"], body["protocol"]), body)
    return emulator, config


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The CLI's retry policy with millisecond backoff: every retry still happens."""
    monkeypatch.setattr(cloudflare.client, "RetryPolicy", lambda: FAST_RETRY)
    yield


def commands(base_url: str, config: str, tmp_path: Path, saved: Path) -> dict[str, list[str]]:
    api = ["--base-url", base_url, "--rate-limit", "1000000/1"]
    return {
        "plan": ["plan", *api, "--out", str(tmp_path / "never.json"), config],
        "drift": ["drift", *api, config],
        "apply": ["apply", "--auto-approve", *api, config],
        "apply --plan": ["apply", "--plan", str(saved), *api],
    }


def assert_nothing_planned_nor_written(
    run_cli, emulator: Emulator, base_url: str, config: str, tmp_path: Path, token: str, saved: Path
) -> int:  # type: ignore[no-untyped-def]
    """Every command refused, nothing written; each run's deletions are counted before the
    checks (apps read back by id), so a regression shows in the figures too."""
    writes = write_count(emulator.stats())
    apps = emulator.apps(zone_id(emulator))
    tried = 0
    for name, args in commands(base_url, config, tmp_path, saved).items():
        before = live_ids(emulator)
        result = run_cli(args, env={"CLOUDFLARE_API_TOKEN": token})
        refused = result.exit_code == 1 and result.stdout == ""
        note(
            failed_read_commands=1,
            failed_read_commands_refused=int(refused),
            failed_read_apps_deleted=apps_gone(emulator, before),
        )
        assert result.exit_code == 1, (name, result.stdout, result.stderr)
        assert result.stdout == "", (name, result.stdout)  # no plan printed, no summary
        *notices, last = result.stderr.splitlines()
        assert last.startswith("error: "), result.stderr  # one error line, after any notices
        assert all(line.startswith("retrying (") for line in notices), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
        assert not (tmp_path / "never.json").exists()
        tried += 1
    assert write_count(emulator.stats()) == writes
    assert emulator.apps(zone_id(emulator)) == apps
    return tried


def save_a_good_plan(run_cli, base_url: str, config: str, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    saved = tmp_path / "saved.json"
    made = run_cli(
        ["plan", "--base-url", base_url, "--out", str(saved), config],
        env={"CLOUDFLARE_API_TOKEN": "the-real-token"},
    )
    assert made.exit_code == 0, made.stderr
    assert json.loads(saved.read_text())["summary"]["delete"] == STRAYS  # a complete read deletes
    return saved


@pytest.mark.parametrize("case", list(TAMPERS))
def test_a_broken_listing_never_plans_nor_applies_deletions(
    case: str, populated: tuple[Emulator, str], run_cli, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    emulator, config = populated
    with serve(emulator) as honest:
        saved = save_a_good_plan(run_cli, honest.base_url, config, tmp_path)
    page, tamper = TAMPERS[case]
    front = TamperedListing(emulator, page, tamper)
    with serve(front) as running:  # type: ignore[arg-type]
        tried = assert_nothing_planned_nor_written(
            run_cli, emulator, running.base_url, config, tmp_path, "the-real-token", saved
        )
    assert front.tampered >= tried
    figures(failed_read_cases=1)


def test_a_refused_token_never_plans_nor_applies_deletions(
    populated: tuple[Emulator, str], run_cli, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    emulator, config = populated
    with serve(emulator) as running:
        saved = save_a_good_plan(run_cli, running.base_url, config, tmp_path)
        assert_nothing_planned_nor_written(
            run_cli, emulator, running.base_url, config, tmp_path, "a-wrong-token", saved
        )
    figures(failed_read_cases=1)
