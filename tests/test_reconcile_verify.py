"""``reconcile --self-heal`` verifies what it wrote: exit 5, the health gauge, degraded apps
announced once — over loopback HTTP against the emulator, and on cycle values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.checks.verify import AppHealth, Check, Health, Target, Verification
from reconciler.emulator import serve
from reconciler.model import AppKey
from reconciler.planning.planner import Drift
from reconciler.running.cycle import CycleResult, exit_code, summary_line
from reconciler.running.metrics import Metrics
from reconciler.running.notify import Announced, events, load_state, save_state
from tests.conftest import make_emulator

TOKEN = {"CLOUDFLARE_API_TOKEN": "test-token"}


def static_app(ip: str) -> dict[str, Any]:
    return {
        "dns": {"type": "ADDRESS", "name": "ssh.example.com"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://10.0.0.1:22"],
        "edge_ips": {"type": "static", "ips": [ip]},
    }


def run_once(run_cli: Any, tmp_path: Path, ip: str, *flags: str) -> Any:
    emulator = make_emulator(byoip_prefixes=("198.51.100.0/24", "192.0.2.0/24,advertised=no"))
    config = tmp_path / "config"
    config.mkdir()
    doc = {"zone": "example.com", "apps": [static_app(ip)]}
    (config / "example.com.yaml").write_text(json.dumps(doc))
    with serve(emulator, host="127.0.0.1", port=0) as running:
        args = ["reconcile", "--once", "--self-heal", str(config), "--base-url", running.base_url]
        return run_cli([*args, *flags], env=TOKEN)


def test_a_heal_onto_a_withdrawn_prefix_exits_5_and_counts_the_app_degraded(
    run_cli: Any, tmp_path: Path
) -> None:
    metrics = tmp_path / "m.prom"
    done = run_once(run_cli, tmp_path, "192.0.2.10", "--metrics-file", str(metrics))
    assert done.exit_code == 5, done.stdout + done.stderr
    assert "; verify: 1 app: 0 healthy, 1 degraded, 0 unknown" in done.stdout
    text = metrics.read_text()
    assert 'spectrum_reconciler_apps{health="degraded"} 1.0' in text
    assert 'spectrum_reconciler_apps{health="healthy"} 0.0' in text


def test_a_heal_onto_a_good_prefix_exits_0_healthy(run_cli: Any, tmp_path: Path) -> None:
    done = run_once(run_cli, tmp_path, "198.51.100.10")
    assert done.exit_code == 0, done.stdout + done.stderr
    assert "verify: 1 app: 1 healthy" in done.stdout


def test_no_verify_turns_it_off(run_cli: Any, tmp_path: Path) -> None:
    done = run_once(run_cli, tmp_path, "192.0.2.10", "--no-verify")
    assert done.exit_code == 0 and "verify:" not in done.stdout


def verification(health: Health, host: str = "ssh") -> Verification:
    key = AppKey.of("example.com", f"{host}.example.com", "tcp/22")
    check = Check("dns", health, f"no Spectrum DNS record for {host}.example.com")
    return Verification((AppHealth(Target(key, "z", "id", {}), (check,)),))


def cycle(number: int, verified: Verification | None) -> CycleResult:
    return CycleResult(
        number, 0.0, 0.1, zones=("example.com",), drift=Drift(), self_heal=True,
        verification=verified,
    )  # fmt: skip


class TestNotify:
    def test_a_degraded_app_is_announced_once_not_every_cycle(self) -> None:
        first, state = events(Announced(), cycle(1, verification(Health.DEGRADED)))
        assert [e.kind for e in first] == ["apps_degraded"]
        assert "no Spectrum DNS record for ssh.example.com" in first[0].text
        again, state = events(state, cycle(2, verification(Health.DEGRADED)))
        quiet, state = events(state, cycle(3, None))  # wrote nothing: still degraded, silent
        assert again == [] and quiet == []
        assert state.degraded == frozenset({"example.com ssh.example.com tcp/22"})

    def test_healthy_again_then_degraded_is_announced_again(self) -> None:
        _, state = events(Announced(), cycle(1, verification(Health.DEGRADED)))
        _, state = events(state, cycle(2, verification(Health.HEALTHY)))
        assert state.degraded == frozenset()
        later, _ = events(state, cycle(3, verification(Health.DEGRADED)))
        assert [e.kind for e in later] == ["apps_degraded"]

    def test_what_was_announced_survives_a_restart(self, tmp_path: Path) -> None:
        _, state = events(Announced(), cycle(1, verification(Health.DEGRADED)))
        save_state(str(tmp_path / "s.json"), state)
        assert load_state(str(tmp_path / "s.json")) == state


class TestCycle:
    def test_exit_5_only_when_the_heal_succeeded(self) -> None:
        assert exit_code(cycle(1, verification(Health.DEGRADED))) == 5
        assert exit_code(cycle(1, verification(Health.UNKNOWN))) == 0
        failed = CycleResult(1, 0.0, 0.1, error="x", verification=verification(Health.DEGRADED))
        assert exit_code(failed) == 1

    def test_the_line_says_the_verification(self) -> None:
        line = summary_line(cycle(1, verification(Health.DEGRADED)))
        assert line.endswith("; verify: 1 app: 0 healthy, 1 degraded, 0 unknown")


class TestMetrics:
    def test_the_gauge_keeps_the_last_verification_and_a_textfile_run_continues_it(
        self, tmp_path: Path
    ) -> None:
        metrics = Metrics()
        metrics.record(cycle(1, verification(Health.DEGRADED)))
        metrics.record(cycle(2, None))
        path = str(tmp_path / "m.prom")
        metrics.write(path)
        assert (
            'spectrum_reconciler_apps{health="degraded"} 1.0' in (tmp_path / "m.prom").read_text()
        )
        later = Metrics()
        later.continue_from(path)
        later.write(path)
        assert (
            'spectrum_reconciler_apps{health="degraded"} 1.0' in (tmp_path / "m.prom").read_text()
        )
        text = (tmp_path / "m.prom").read_text()
        assert "dns_name" not in text and "ssh.example.com" not in text  # no per-app labels
