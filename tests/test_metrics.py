"""Metrics: derived from cycle results, written atomically, continued across runs, served."""

from __future__ import annotations

import re
import socket
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
    assert got[(prefix + "last_cycle_duration_seconds", ())] == 0.5
    assert got[(prefix + "cycle_duration_seconds_bucket", (("le", "0.5"),))] == 1
    assert got[(prefix + "cycle_duration_seconds_count", ())] == 1
    assert got[(prefix + "cycle_duration_seconds_sum", ())] == 0.5
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
        assert "process_resident_memory_bytes" in scraped.text  # the pod's memory, beside ours
        assert httpx.get(base + "/healthz").status_code == 200
        now[0] = 11.0  # no cycle for longer than allowed: the probe fails, Kubernetes restarts
        assert httpx.get(base + "/healthz").status_code == 503
        health.beat()
        assert httpx.get(base + "/healthz").status_code == 200
    finally:
        server.close()


def test_a_client_that_stalls_mid_request_does_not_block_the_health_probe() -> None:
    # issue 25 item 21: one thread meant a half-sent request held /healthz, and Kubernetes
    # restarted the pod
    server = Metrics().serve(0, Health(60.0), host="127.0.0.1")
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as stalled:
            stalled.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")  # and never the rest
            probe = httpx.get(f"http://127.0.0.1:{server.port}/healthz", timeout=1.0)
            assert probe.status_code == 200
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


# --- the duration histogram, build info, the process collectors -----------------------------

DURATION = "spectrum_reconciler_cycle_duration_seconds"


def buckets(metrics: Metrics) -> dict[str, float]:
    got = values(metrics)
    return {labels[0][1]: v for (name, labels), v in got.items() if name == DURATION + "_bucket"}


def test_cycle_durations_fill_cumulative_buckets() -> None:
    metrics = Metrics()
    for duration in (0.2, 0.7, 45.0, 900.0):
        metrics.record(CycleResult(1, 1000.0, duration, error="x"))
    got = buckets(metrics)
    assert got["0.5"] == 1 and got["1.0"] == 2 and got["30.0"] == 2 and got["60.0"] == 3
    assert got["600.0"] == 3 and got["+Inf"] == 4
    assert values(metrics)[(DURATION + "_sum", ())] == 0.2 + 0.7 + 45.0 + 900.0


def test_a_textfile_run_continues_the_histogram_of_the_file_it_replaces(tmp_path: Path) -> None:
    path = tmp_path / "spectrum.prom"
    first = Metrics()
    first.record(CycleResult(1, 1000.0, 0.7, error="x"))
    first.write(str(path))
    second = Metrics()
    second.continue_from(str(path))
    second.record(CycleResult(2, 2000.0, 3.0, error="x"))
    got = buckets(second)
    assert got["0.5"] == 0 and got["1.0"] == 1 and got["5.0"] == 2 and got["+Inf"] == 2
    assert values(second)[(DURATION + "_count", ())] == 2


@pytest.mark.parametrize(
    "earlier",
    [
        f"# TYPE {DURATION} gauge\n{DURATION} 0.5\n",  # 0.1.0 wrote a gauge of that name
        f'# TYPE {DURATION} histogram\n{DURATION}_bucket{{le="7.0"}} 1\n'
        f'{DURATION}_bucket{{le="+Inf"}} 1\n{DURATION}_count 1\n{DURATION}_sum 7\n',  # other bounds
    ],
)
def test_a_histogram_that_does_not_fit_is_started_afresh(tmp_path: Path, earlier: str) -> None:
    path = tmp_path / "spectrum.prom"
    path.write_text(earlier)
    metrics = Metrics()
    metrics.continue_from(str(path))
    assert set(buckets(metrics).values()) == {0}


def test_build_info_names_the_version_and_the_python() -> None:
    import platform

    import reconciler

    labels = (("python", platform.python_version()), ("version", reconciler.__version__))
    assert values(Metrics())[("spectrum_reconciler_build_info", labels)] == 1


def test_metrics_served_carry_the_process_collectors_and_the_textfile_does_not(
    tmp_path: Path,
) -> None:
    metrics = Metrics()
    served = {
        f.name for f in text_string_to_metric_families(generate_latest(metrics.served()).decode())
    }
    assert {"process_resident_memory_bytes", "process_cpu_seconds", "python_info"} <= served
    assert "python_gc_collections" in served and "spectrum_reconciler_build_info" in served
    path = tmp_path / "spectrum.prom"
    metrics.write(str(path))
    assert "process_" not in path.read_text() and "python_" not in path.read_text()


def test_a_histogram_edited_out_of_order_is_started_afresh(tmp_path: Path) -> None:
    path = tmp_path / "spectrum.prom"
    first = Metrics()
    first.record(CycleResult(1, 1000.0, 0.7, error="x"))
    first.write(str(path))
    text = re.sub(r'(_bucket\{le="0.5"\}) \S+', r"\1 5.0", path.read_text())  # more than +Inf
    path.write_text(text)
    second = Metrics()
    second.continue_from(str(path))
    assert set(buckets(second).values()) == {0}


def test_the_loops_interval_is_exported_and_a_single_run_has_none() -> None:
    assert (
        values(Metrics(interval=300.0))[("spectrum_reconciler_cycle_interval_seconds", ())] == 300
    )
    assert ("spectrum_reconciler_cycle_interval_seconds", ()) not in values(Metrics())
