"""Metrics: derived from cycle results, written atomically, continued across runs, served."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from reconciler.errors import OutputFileError, ReconcilerError
from reconciler.model import AppKey
from reconciler.plan import ActionKind
from reconciler.planning.planner import Drift
from reconciler.running.cycle import CycleResult
from reconciler.running.metrics import Health, Metrics
from tests.test_notify import action


def values(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def drifted(number: int = 1) -> CycleResult:
    changed = action(ActionKind.UPDATE, AppKey.of("example.com", "ssh.example.com", "tcp/22"))
    return CycleResult(
        number, 1000.0, 0.5, zones=("example.com",), drift=Drift(changed=(changed,)),
        budget={"CLOUDFLARE_API_TOKEN": 1190},
    )  # fmt: skip


def test_every_metric_comes_from_the_cycle_result() -> None:
    metrics = Metrics()
    metrics.record(drifted())
    got = values(metrics)
    prefix = "spectrum_reconciler_"
    assert got[(prefix + "drift_apps", (("kind", "changed"), ("zone", "example.com")))] == 1
    assert got[(prefix + "drift_apps", (("kind", "missing"), ("zone", "example.com")))] == 0
    assert got[(prefix + "last_success_timestamp_seconds", ())] == 1000.5
    assert got[(prefix + "cycle_duration_seconds", ())] == 0.5
    assert got[(prefix + "cycles_total", (("outcome", "drift"),))] == 1
    assert got[(prefix + "rate_limit_remaining", (("token_env", "CLOUDFLARE_API_TOKEN"),))] == 1190


def test_a_failed_cycle_keeps_the_last_drift_seen_and_the_last_success() -> None:
    metrics = Metrics()
    metrics.record(drifted())
    metrics.record(CycleResult(2, 2000.0, 0.1, error="GET /zones: no response"))
    got = values(metrics)
    assert (
        got[("spectrum_reconciler_drift_apps", (("kind", "changed"), ("zone", "example.com")))] == 1
    )
    assert got[("spectrum_reconciler_last_success_timestamp_seconds", ())] == 1000.5
    assert got[("spectrum_reconciler_cycles_total", (("outcome", "failed"),))] == 1


def test_requests_and_error_codes_are_counted_by_the_observer() -> None:
    metrics = Metrics()
    metrics.observe_request("GET", 200, ())
    metrics.observe_request("POST", 400, (11000, 11004))
    metrics.observe_request("GET", 0, ())
    got = values(metrics)
    assert (
        got[("spectrum_reconciler_api_requests_total", (("method", "POST"), ("status", "400")))]
        == 1
    )
    assert (
        got[("spectrum_reconciler_api_requests_total", (("method", "GET"), ("status", "0")))] == 1
    )
    assert got[("spectrum_reconciler_api_errors_total", (("code", "11004"),))] == 1


def test_a_textfile_run_continues_the_counters_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "spectrum.prom"
    first = Metrics()
    first.observe_request("GET", 200, ())
    first.record(drifted())
    first.write(str(path))
    second = Metrics()
    second.continue_from(str(path))
    second.observe_request("GET", 200, ())
    second.record(CycleResult(2, 3000.0, 0.1, error="boom"))
    got = values(second)
    assert (
        got[("spectrum_reconciler_api_requests_total", (("method", "GET"), ("status", "200")))] == 2
    )
    assert got[("spectrum_reconciler_last_success_timestamp_seconds", ())] == 1000.5


def test_a_textfile_that_does_not_parse_is_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "spectrum.prom"
    path.write_text("this is { not prometheus\n")
    metrics = Metrics()
    metrics.continue_from(str(path))
    assert values(metrics)[("spectrum_reconciler_last_success_timestamp_seconds", ())] == 0


@pytest.mark.parametrize("bad", ["NaN", "+Inf", "-Inf", "-3"])
def test_a_value_edited_to_no_count_is_dropped_not_continued(tmp_path: Path, bad: str) -> None:
    path = tmp_path / "spectrum.prom"
    first = Metrics()
    first.observe_request("GET", 200, ())
    first.record(drifted())
    first.write(str(path))
    text = path.read_text()
    requests = r'^(spectrum_reconciler_api_requests_total\{method="GET",status="200"\}) \S+$'
    text = re.sub(requests, rf"\1 {bad}", text, flags=re.M)
    last = r"^(spectrum_reconciler_last_success_timestamp_seconds) \S+$"
    text = re.sub(last, rf"\1 {bad}", text, flags=re.M)
    assert text.count(f" {bad}\n") == 2
    path.write_text(text)
    second = Metrics()
    second.continue_from(str(path))
    second.observe_request("GET", 200, ())
    got = values(second)
    key = ("spectrum_reconciler_api_requests_total", (("method", "GET"), ("status", "200")))
    assert got[key] == 1  # started afresh, not NaN forever
    assert got[("spectrum_reconciler_last_success_timestamp_seconds", ())] == 0


def test_an_unwritable_metrics_file_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputFileError, match="cannot write"):
        Metrics().write(str(tmp_path / "missing-dir" / "spectrum.prom"))


def test_the_server_serves_metrics_and_a_health_probe_that_goes_stale() -> None:
    now = [0.0]
    health = Health(stale_after=10.0, clock=lambda: now[0])
    metrics = Metrics()
    metrics.record(drifted())
    server = metrics.serve(0, health, host="127.0.0.1")
    try:
        base = f"http://127.0.0.1:{server.port}"
        scraped = httpx.get(base + "/metrics")
        assert scraped.status_code == 200 and "spectrum_reconciler_drift_apps" in scraped.text
        assert httpx.get(base + "/healthz").status_code == 200
        now[0] = 11.0  # no cycle for longer than allowed: the probe fails, Kubernetes restarts
        assert httpx.get(base + "/healthz").status_code == 503
        health.beat()
        assert httpx.get(base + "/healthz").status_code == 200
    finally:
        server.close()


def test_a_port_in_use_is_one_clear_error() -> None:
    metrics = Metrics()
    first = metrics.serve(0, Health(60.0), host="127.0.0.1")
    try:
        with pytest.raises(ReconcilerError, match=f"cannot serve metrics on port {first.port}"):
            metrics.serve(first.port, Health(60.0), host="127.0.0.1")
    finally:
        first.close()
