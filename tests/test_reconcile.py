"""reconcile: --once for a CronJob, a loop for a Deployment — drift, self-heal, metrics, webhook.

Every test runs against the emulator over loopback (the command's own HTTP path), with short
intervals; none asserts on time.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.emulator import EmulatorServer, serve
from reconciler.live.accounts import Accounts
from reconciler.live.connect import Connection
from reconciler.live.ratelimit import RateLimiter
from reconciler.model import LiveZone, ZoneSpec
from reconciler.running import reconcile as loop
from reconciler.running.cycle import CycleResult, Outcome
from reconciler.running.metrics import Metrics
from reconciler.running.notify import Notifier
from tests.conftest import make_emulator
from tests.reconcile_helpers import (
    converge,
    edit_origin,
    live_app,
    webhook,
    write_config,
    zone_file,
)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path / "apps", example=zone_file("example.com"))


@pytest.fixture
def api(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The command-line flags that reach the loopback emulator, with a token set."""
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "token-for-tests-0001")
    return ["--base-url", server.base_url]


def samples(path: Path, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Every sample of ``name`` in a metrics file, parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(path.read_text()):
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def drift_gauge(path: Path, zone: str, kind: str) -> float:
    key = (("kind", kind), ("zone", zone))
    return samples(path, "spectrum_reconciler_drift_apps")[key]


# --- --once ------------------------------------------------------------------------------------


def test_once_in_sync_exits_0_and_writes_a_zero_gauge(run_cli, api, server, config, tmp_path):
    converge(server.emulator, config)
    metrics = tmp_path / "spectrum.prom"
    result = run_cli(["reconcile", "--once", str(config), *api, "--metrics-file", str(metrics)])
    assert result.exit_code == 0, result.stderr
    assert drift_gauge(metrics, "example.com", "changed") == 0
    assert samples(metrics, "spectrum_reconciler_last_success_timestamp_seconds")[()] > 0


def test_drift_appears_exit_2_and_the_metrics_file_carries_the_gauge(
    run_cli, api, server, config, tmp_path
):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    metrics = tmp_path / "spectrum.prom"
    result = run_cli(["reconcile", "--once", str(config), *api, "--metrics-file", str(metrics)])
    assert result.exit_code == 2, result.stderr
    assert drift_gauge(metrics, "example.com", "changed") == 1
    assert drift_gauge(metrics, "example.com", "missing") == 0
    requests = samples(metrics, "spectrum_reconciler_api_requests_total")
    assert requests[(("method", "GET"), ("status", "200"))] >= 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["apps", "spectrum.prom"]  # no temp left


def test_self_heal_repairs_the_drift_and_the_gauge_returns_to_0(
    run_cli, api, server, config, tmp_path
):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    metrics = tmp_path / "spectrum.prom"
    once = ["reconcile", "--once", str(config), *api, "--metrics-file", str(metrics)]
    assert run_cli(once).exit_code == 2
    assert drift_gauge(metrics, "example.com", "changed") == 1

    healed = run_cli([*once, "--self-heal"])
    assert healed.exit_code == 0, healed.stdout + healed.stderr
    assert drift_gauge(metrics, "example.com", "changed") == 0
    assert live_app(server.emulator, "example.com", "ssh")["origin_direct"] == [
        "tcp://192.0.2.1:22"
    ]
    applied = samples(metrics, "spectrum_reconciler_apply_actions_total")
    assert applied == {(("action", "update"), ("outcome", "done")): 1}
    assert run_cli(once).exit_code == 0  # and the next look finds nothing


def test_self_heal_refused_by_the_safety_gate_exits_3_counts_it_and_deletes_nothing(
    run_cli, api, server, config, tmp_path
):
    converge(server.emulator, config)
    (config / "example.yaml").write_text(zone_file("example.com", apps=2))  # db left out: 1 of 3
    metrics = tmp_path / "spectrum.prom"
    result = run_cli(
        ["reconcile", "--once", "--self-heal", str(config), *api, "--metrics-file", str(metrics)]
    )
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "refused" in result.stdout
    assert "re-run with" not in result.stdout  # reconcile has no --force (issue 25 item 7)
    assert "reconcile never overrides this: run `apply --force` by hand" in result.stdout
    assert samples(metrics, "spectrum_reconciler_safety_refusals_total")[()] == 1
    assert drift_gauge(metrics, "example.com", "unmanaged") == 1
    assert live_app(server.emulator, "example.com", "db")  # still there: nothing forced


def test_self_heal_holds_every_guardrail_protect_included(run_cli, api, server, config, tmp_path):
    converge(server.emulator, config)
    protected = zone_file(
        "example.com",
        apps=2,
        extra='protect: ["db.*"]\nsafety: {max_destructive_percent: 100, allow_delete_all: true}',
    )
    (config / "example.yaml").write_text(protected)  # db dropped, but protected
    result = run_cli(["reconcile", "--once", "--self-heal", str(config), *api])
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "protect" in result.stdout
    assert live_app(server.emulator, "example.com", "db")


def test_self_heal_in_a_frozen_zone_hints_what_works_there(run_cli, api, server, config):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    frozen = 'freeze: [{until: "2999-01-01T00:00:00Z", reason: release}]'
    (config / "example.yaml").write_text(zone_file("example.com", extra=frozen))
    result = run_cli(["reconcile", "--once", "--self-heal", str(config), *api])
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "re-run with" not in result.stdout
    assert 'run `apply --break-glass "why"` by hand' in result.stdout


def test_self_heal_in_an_observe_zone_writes_nothing_and_the_drift_stands(
    run_cli, api, server, config, tmp_path
):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    (config / "example.yaml").write_text(zone_file("example.com", extra="mode: observe"))
    metrics = tmp_path / "spectrum.prom"
    once = ["reconcile", "--once", "--self-heal", str(config), *api, "--metrics-file", str(metrics)]
    result = run_cli(once)
    assert result.exit_code == 0  # as apply: observe is not an error
    assert result.stdout.startswith("cycle 1: held (1 changed")
    assert drift_gauge(metrics, "example.com", "changed") == 1
    assert live_app(server.emulator, "example.com", "ssh")["origin_direct"] == [
        "tcp://192.0.2.99:22"
    ]


def test_self_heal_that_applied_its_fix_is_healed_though_prune_false_keeps_an_app(
    run_cli, api, server, config, tmp_path
):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    (config / "example.yaml").write_text(zone_file("example.com", apps=2, extra="prune: false"))
    metrics = tmp_path / "spectrum.prom"
    once = ["reconcile", "--once", "--self-heal", str(config), *api, "--metrics-file", str(metrics)]
    result = run_cli(once)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("cycle 1: healed (1 changed, 1 unmanaged"), result.stdout
    assert samples(metrics, "spectrum_reconciler_cycles_total") == {(("outcome", "healed"),): 1}
    assert drift_gauge(metrics, "example.com", "unmanaged") == 1  # db: kept, still reported
    assert live_app(server.emulator, "example.com", "ssh")["origin_direct"] == [
        "tcp://192.0.2.1:22"
    ]
    assert live_app(server.emulator, "example.com", "db")


def test_a_file_that_fails_validation_fails_the_cycle_and_plans_nothing(
    run_cli, api, server, config, tmp_path
):
    converge(server.emulator, config)
    (config / "broken.yaml").write_text("zone: example.com\napps:\n  - protocol: tcp/22\n")
    metrics = tmp_path / "spectrum.prom"
    result = run_cli(
        ["reconcile", "--once", "--self-heal", str(config), *api, "--metrics-file", str(metrics),
         "--log-format", "json"]
    )  # fmt: skip
    assert result.exit_code == 1
    record = json.loads(result.stdout)
    assert record["outcome"] == "failed" and "broken.yaml:3:" in record["error"]
    assert "broken.yaml:3:5" in result.stderr  # every problem, located
    assert samples(metrics, "spectrum_reconciler_cycles_total") == {(("outcome", "failed"),): 1}
    assert samples(metrics, "spectrum_reconciler_last_success_timestamp_seconds")[()] == 0
    assert len(server.emulator.apps(server.emulator.ensure_zone("example.com")["id"])) == 3


def test_json_log_is_one_line_per_cycle(run_cli, api, server, config):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "www", "192.0.2.98")
    result = run_cli(["reconcile", "--once", str(config), *api, "--log-format", "json"])
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    assert record["outcome"] == "drift" and record["drift"]["changed"] == 1
    assert "192.0.2.98" not in line and "token-for-tests" not in line


def test_a_failed_run_keeps_the_last_success_time_and_counters_of_the_file(
    run_cli, api, server, config, tmp_path
):
    converge(server.emulator, config)
    metrics = tmp_path / "spectrum.prom"
    once = ["reconcile", "--once", str(config), *api, "--metrics-file", str(metrics)]
    assert run_cli(once).exit_code == 0
    succeeded_at = samples(metrics, "spectrum_reconciler_last_success_timestamp_seconds")[()]
    (config / "broken.yaml").write_text("zone: example.com\napps: 3\n")
    assert run_cli(once).exit_code == 1
    assert (
        samples(metrics, "spectrum_reconciler_last_success_timestamp_seconds")[()] == succeeded_at
    )
    assert samples(metrics, "spectrum_reconciler_cycles_total") == {
        (("outcome", "in_sync"),): 1,
        (("outcome", "failed"),): 1,
    }


def test_once_and_every_together_are_a_usage_error(run_cli, config):
    result = run_cli(["reconcile", "--once", "--every", "5m", str(config), "--sandbox"])
    assert result.exit_code != 0 and "not both" in result.stderr  # main() makes it 1


def test_a_bad_duration_is_one_clear_line(run_cli, config):
    result = run_cli(["reconcile", "--every", "soon", str(config), "--sandbox"])
    assert result.exit_code != 0 and "'soon' is not a duration" in result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("5m", 300.0), ("1h30m", 5400.0), ("250ms", 0.25), ("2", 2.0), ("0.5s", 0.5)],
)
def test_durations(text: str, seconds: float) -> None:
    assert loop.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0s", "5 m", "m5", "-1", "1d"])
def test_not_durations(text: str) -> None:
    with pytest.raises(ValueError):
        loop.parse_duration(text)


# --- the loop ----------------------------------------------------------------------------------


def run_loop(
    connection: Connection,
    config: Path,
    *,
    cycles: int,
    notifier: Notifier | None = None,
    self_heal: bool = False,
    between: dict[int, object] | None = None,
) -> list[CycleResult]:
    """Loop with a 10 ms sleep until ``cycles`` have run; ``between[n]()`` runs after cycle n."""
    stop, seen = threading.Event(), []
    metrics = Metrics()
    reporter = loop.Reporter(metrics, _Sink(), notifier=notifier)

    def report(result: CycleResult) -> None:
        reporter(result)
        seen.append(result)
        action = (between or {}).get(result.number)
        if callable(action):
            action()
        if result.number == cycles:
            stop.set()

    settings = loop.Settings((str(config),), self_heal=self_heal)
    with Accounts(connection, observer=metrics.observe_request) as accounts:
        assert loop.run(settings, accounts, report, every=0.01, stop=stop) == 0  # type: ignore[arg-type]
    return seen


class _Sink:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture
def connection(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Connection:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "token-for-tests-0001")
    return Connection(base_url=server.base_url)


@pytest.fixture
def hook() -> Iterator[object]:
    with webhook() as receiver:
        yield receiver


def test_a_drift_seen_in_three_cycles_is_announced_exactly_once(connection, server, config, hook):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    notifier = Notifier(hook.url)
    seen = run_loop(connection, config, cycles=3, notifier=notifier)
    assert [r.outcome for r in seen] == [Outcome.DRIFT] * 3
    assert [m["event"] for m in hook.received] == ["drift_appeared"]
    text = hook.received[0]["text"]
    assert "ssh.example.com tcp/22" in text and "origin_direct" in text
    assert "192.0.2.99" not in text and "origin-" in text  # origins redacted by default


def test_drift_that_clears_is_announced_and_the_dedup_survives_a_restart(
    connection, server, config, hook, tmp_path
):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    state = str(tmp_path / "notified.json")
    run_loop(connection, config, cycles=2, notifier=Notifier(hook.url, state_path=state))
    assert [m["event"] for m in hook.received] == ["drift_appeared"]

    edit_back = lambda: edit_origin(server.emulator, "example.com", "ssh", "192.0.2.1")  # noqa: E731
    restarted = Notifier(hook.url, state_path=state)  # a new process: same state file
    run_loop(connection, config, cycles=3, notifier=restarted, between={1: edit_back})
    assert [m["event"] for m in hook.received] == ["drift_appeared", "drift_cleared"]


def test_self_heal_in_the_loop_repairs_once_and_then_stays_quiet(connection, server, config, hook):
    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    seen = run_loop(connection, config, cycles=3, notifier=Notifier(hook.url), self_heal=True)
    assert [r.outcome for r in seen] == [Outcome.HEALED, Outcome.IN_SYNC, Outcome.IN_SYNC]
    assert [m["event"] for m in hook.received] == ["drift_repaired"]
    assert seen[0].drift_counts()[("example.com", "changed")] == 0


def test_a_failing_cycle_is_announced_once_and_its_recovery_once(connection, server, config, hook):
    converge(server.emulator, config)
    broken = config / "broken.yaml"
    broken.write_text("zone: example.com\napps: 3\n")
    seen = run_loop(
        connection, config, cycles=4, notifier=Notifier(hook.url), between={2: broken.unlink}
    )
    assert [r.outcome for r in seen] == [Outcome.FAILED] * 2 + [Outcome.IN_SYNC] * 2
    assert [m["event"] for m in hook.received] == ["cycle_failed", "cycle_recovered"]


# --- several accounts --------------------------------------------------------------------------


def test_two_tokens_in_one_config_get_two_limiters(run_cli, server, tmp_path, monkeypatch):
    config = write_config(
        tmp_path / "apps",
        com=zone_file("example.com", token_env="TEAM_A_TOKEN"),
        net=zone_file("example.net", token_env="TEAM_B_TOKEN"),
    )
    monkeypatch.setenv("TEAM_A_TOKEN", "token-of-team-a-0001")
    monkeypatch.setenv("TEAM_B_TOKEN", "token-of-team-b-0002")
    metrics = tmp_path / "spectrum.prom"
    result = run_cli(
        ["reconcile", "--once", str(config), "--base-url", server.base_url,
         "--metrics-file", str(metrics)]
    )  # fmt: skip
    assert result.exit_code == 2, result.stderr  # both zones are empty: 6 apps missing
    by_token = server.emulator.stats()["requests_by_token"]
    fingerprint = {
        t: hashlib.sha256(t.encode()).hexdigest()[:12]
        for t in ("token-of-team-a-0001", "token-of-team-b-0002")
    }
    # each token read only its own zone: one zone lookup and one page of apps
    assert by_token == {
        fingerprint["token-of-team-a-0001"]: 2,
        fingerprint["token-of-team-b-0002"]: 2,
    }
    budget = samples(metrics, "spectrum_reconciler_rate_limit_remaining")
    assert budget == {
        (("token_env", "TEAM_A_TOKEN"),): 1198,
        (("token_env", "TEAM_B_TOKEN"),): 1198,
    }
    assert "token-of-team" not in metrics.read_text() + result.stdout + result.stderr


def test_a_missing_token_variable_is_one_line_naming_it(run_cli, server, tmp_path, monkeypatch):
    config = write_config(tmp_path / "apps", com=zone_file("example.com", token_env="TEAM_A_TOKEN"))
    monkeypatch.delenv("TEAM_A_TOKEN", raising=False)
    result = run_cli(["reconcile", "--once", str(config), "--base-url", server.base_url])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: TEAM_A_TOKEN is not set")
    assert server.emulator.stats()["total"] == 0


def test_files_that_name_different_token_envs_for_one_zone_are_invalid(run_cli, tmp_path):
    config = write_config(
        tmp_path / "apps",
        a=zone_file("example.com", token_env="TEAM_A_TOKEN", apps=1),
        b="zone: example.com\ntoken_env: TEAM_B_TOKEN\napps: []\n",
    )
    result = run_cli(["validate", str(config)])
    assert result.exit_code == 1
    assert "b.yaml:2:" in result.stderr and "TEAM_B_TOKEN" in result.stderr


# --- SIGTERM -----------------------------------------------------------------------------------


class Arrivals:
    """Stands where serve() expects an Emulator and notes each API request as it arrives, before
    the emulator's latency: ``arrived(n)`` waits until request n is in flight."""

    def __init__(self, emulator: Any) -> None:
        self.emulator, self.count, self.changed = emulator, 0, threading.Condition()

    def handle(self, method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        if path.startswith("/client/v4/"):
            with self.changed:
                self.count += 1
                self.changed.notify_all()
        return self.emulator.handle(method, path, query, headers, body)

    def arrived(self, n: int, timeout: float = 30.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.count >= n, timeout)


def test_sigterm_mid_loop_ends_the_loop_after_the_running_cycle(tmp_path):
    # Cycle 1 looks the zone up and lists it (requests 1 and 2); cycle 2 lists it again
    # (request 3, 0.3 s in the emulator). The signal is sent while request 3 is in flight, so it
    # lands inside cycle 2: that cycle finishes, and no cycle 3 begins.
    emulator = make_emulator(latency_ms=300)
    front = Arrivals(emulator)
    config = write_config(tmp_path / "apps", example=zone_file("example.com"))
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "token-for-tests-0001"}
    with serve(front) as server:  # type: ignore[arg-type]
        argv = [sys.executable, "-m", "reconciler", "reconcile", "--every", "50ms", str(config),
                "--base-url", server.base_url, "--log-format", "json",
                "--metrics-file", str(tmp_path / "spectrum.prom")]  # fmt: skip
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        try:
            assert front.arrived(3), "cycle 2 never began"
            assert emulator.stats()["total"] <= 2  # request 3 not answered yet: inside cycle 2
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=60)
        finally:
            process.kill()
        requests = emulator.stats()["total"]
    assert process.returncode == 0, err
    said = [json.loads(line)["message"] for line in err.splitlines()]  # --log-format json
    assert "reconcile: stopped after cycle 2" in said
    interval = samples(tmp_path / "spectrum.prom", "spectrum_reconciler_cycle_interval_seconds")
    assert interval == {(): 0.05}  # --every, for the "no success for two intervals" alert
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["cycle"] for r in records] == [1, 2]
    assert all(r["outcome"] == "drift" for r in records)  # the cycle running at the signal finished
    assert front.count == requests == 3  # and no third cycle sent a request


def test_plan_takes_the_token_from_the_zones_token_env(run_cli, server, tmp_path, monkeypatch):
    config = write_config(tmp_path / "apps", com=zone_file("example.com", token_env="TEAM_A_TOKEN"))
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "the-default-token-0000")
    monkeypatch.delenv("TEAM_A_TOKEN", raising=False)
    missing = run_cli(["plan", str(config), "--base-url", server.base_url])
    assert missing.exit_code == 1 and "TEAM_A_TOKEN is not set" in missing.stderr
    monkeypatch.setenv("TEAM_A_TOKEN", "token-of-team-a-0001")
    assert run_cli(["plan", str(config), "--base-url", server.base_url]).exit_code == 0
    fingerprint = hashlib.sha256(b"token-of-team-a-0001").hexdigest()[:12]
    assert set(server.emulator.stats()["requests_by_token"]) == {fingerprint}


def test_commands_with_one_client_refuse_files_of_several_tokens(run_cli, server, tmp_path):
    config = write_config(
        tmp_path / "apps",
        com=zone_file("example.com", token_env="TEAM_A_TOKEN"),
        net=zone_file("example.net", token_env="TEAM_B_TOKEN"),
    )
    for command in ("addresses",):  # plan, drift and apply take several (test_several_tokens)
        result = run_cli([command, str(config), "--base-url", server.base_url])
        assert result.exit_code == 1
        assert "(TEAM_A_TOKEN, TEAM_B_TOKEN)" in result.stderr and "reconcile" in result.stderr
    assert server.emulator.stats()["total"] == 0


def test_the_zones_of_different_tokens_are_read_at_the_same_time() -> None:
    both_reading = threading.Barrier(2, timeout=10)  # broken unless both reads overlap

    class Reader:
        def __init__(self) -> None:
            self.limiter = RateLimiter()

        def fetch_live(self, zones: object) -> tuple[LiveZone, ...]:
            both_reading.wait()
            return ()

    accounts = Accounts(Connection())
    accounts.clients = {"TEAM_A_TOKEN": Reader(), "TEAM_B_TOKEN": Reader()}  # type: ignore[dict-item]
    zones = [ZoneSpec("a.example", None, token_env="TEAM_A_TOKEN"),
             ZoneSpec("b.example", None, token_env="TEAM_B_TOKEN")]  # fmt: skip
    assert accounts.fetch_live(zones) == ()


def test_apply_of_a_saved_plan_uses_the_token_its_files_name(
    run_cli, server, tmp_path, monkeypatch
):
    config = write_config(tmp_path / "apps", com=zone_file("example.com", token_env="TEAM_A_TOKEN"))
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    monkeypatch.setenv("TEAM_A_TOKEN", "token-of-team-a-0001")
    saved = tmp_path / "plan.json"
    api = ["--base-url", server.base_url]
    assert run_cli(["plan", str(config), "--out", str(saved), *api]).exit_code == 0
    applied = run_cli(["apply", "--plan", str(saved), *api])
    assert applied.exit_code == 0, applied.stderr
    assert len(server.emulator.apps(server.emulator.ensure_zone("example.com")["id"])) == 3
    fingerprint = hashlib.sha256(b"token-of-team-a-0001").hexdigest()[:12]
    assert set(server.emulator.stats()["requests_by_token"]) == {fingerprint}


@pytest.mark.parametrize("url", ["https://example.com:abc/x", "https://[::1/x"])
def test_an_unusable_webhook_url_is_refused_at_start_in_one_line(run_cli, api, config, url):
    result = run_cli(["reconcile", "--every", "1h", str(config), *api, "--notify-webhook", url])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: --notify-webhook is not a usable URL") and url not in line


def test_any_exception_of_one_cycle_is_reported_counted_notified_and_the_next_runs(
    connection, server, config, hook, monkeypatch
):
    converge(server.emulator, config)
    real = Accounts.fetch_live
    calls = []

    def first_one_breaks(self, zones):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise KeyError("a bug nobody foresaw")
        return real(self, zones)

    monkeypatch.setattr(Accounts, "fetch_live", first_one_breaks)
    metrics = Metrics()
    stop, seen = threading.Event(), []
    reporter = loop.Reporter(metrics, _Sink(), notifier=Notifier(hook.url))

    def report(result: CycleResult) -> None:
        reporter(result)
        seen.append(result)
        if result.number == 2:
            stop.set()

    settings = loop.Settings((str(config),))
    with Accounts(connection, observer=metrics.observe_request) as accounts:
        assert loop.run(settings, accounts, report, every=0.01, stop=stop) == 0  # type: ignore[arg-type]
    assert [r.outcome for r in seen] == [Outcome.ERROR, Outcome.IN_SYNC]
    assert seen[0].error and "KeyError" in seen[0].error and "a bug nobody foresaw" in seen[0].error
    text = generate_latest(metrics.registry).decode()
    counted = {
        s.labels.get("outcome"): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == "spectrum_reconciler_cycles_total"
    }
    assert counted["error"] == 1 and counted["in_sync"] == 1, text
    assert [m["event"] for m in hook.received] == ["cycle_failed", "cycle_recovered"]


def test_a_malformed_listing_fails_the_cycle_cleanly_and_the_loop_goes_on(
    connection, server, config
):
    converge(server.emulator, config)
    spoiled = {"left": 3}  # every read of the first cycle's listings (each read three times)
    inner = server.emulator.handle

    def handle(method, path, query, headers, body):  # type: ignore[no-untyped-def]
        response = inner(method, path, query, headers, body)
        if method == "GET" and path.endswith("/spectrum/apps") and spoiled["left"] > 0:
            spoiled["left"] -= 1
            payload = json.loads(response.body)
            payload["result_info"]["total_pages"] = "x"
            return type(response)(response.status, json.dumps(payload).encode(), response.headers)
        return response

    server.emulator.handle = handle  # type: ignore[method-assign]
    seen = run_loop(connection, config, cycles=2)
    assert seen[0].outcome is Outcome.FAILED and "unexpected shape" in (seen[0].error or "")
    assert seen[1].outcome is Outcome.IN_SYNC


def test_the_loop_signs_its_webhooks_with_the_secret_from_the_environment(
    run_cli, api, server, config, hook
):
    import hmac

    converge(server.emulator, config)
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    secret = "webhook-signing-secret-0123"
    args = ["reconcile", "--once", str(config), *api, "--notify-webhook", hook.url]
    result = run_cli(args, env={"SPECTRUM_RECONCILER_WEBHOOK_SECRET": secret})
    assert result.exit_code == 2, result.stderr
    ((body, headers),) = hook.raw
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Spectrum-Reconciler-Signature"] == f"sha256={expected}"
    assert secret not in result.stdout + result.stderr


def test_an_empty_webhook_secret_is_refused_at_start(run_cli, api, config, hook):
    args = ["reconcile", "--once", str(config), *api, "--notify-webhook", hook.url]
    result = run_cli(args, env={"SPECTRUM_RECONCILER_WEBHOOK_SECRET": ""})
    assert result.exit_code == 1 and hook.raw == []
    assert result.stderr.splitlines() == [
        "error: SPECTRUM_RECONCILER_WEBHOOK_SECRET is set but empty — give it a secret, or unset it"
    ]


def test_self_heal_that_fixed_one_zone_is_healed_though_an_observe_zone_still_drifts(
    run_cli, api, server, tmp_path
):
    server.emulator.ensure_zone("example.org")
    config = write_config(
        tmp_path / "apps", example=zone_file("example.com"), observed=zone_file("example.org")
    )
    converge(server.emulator, config)
    (config / "observed.yaml").write_text(zone_file("example.org", extra="mode: observe"))
    edit_origin(server.emulator, "example.com", "ssh", "192.0.2.99")
    edit_origin(server.emulator, "example.org", "ssh", "192.0.2.99")
    metrics = tmp_path / "spectrum.prom"
    once = ["reconcile", "--once", "--self-heal", str(config), *api, "--metrics-file", str(metrics)]
    result = run_cli(once)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.startswith("cycle 1: healed (2 changed"), result.stdout
    assert samples(metrics, "spectrum_reconciler_cycles_total") == {(("outcome", "healed"),): 1}
    assert drift_gauge(metrics, "example.com", "changed") == 0
    assert drift_gauge(metrics, "example.org", "changed") == 1  # observed: reported, not written
    assert live_app(server.emulator, "example.org", "ssh")["origin_direct"] == [
        "tcp://192.0.2.99:22"
    ]
