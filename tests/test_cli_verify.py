"""``verify PATHS`` and ``apply --verify [--probe]`` end to end: the CLI against the emulator
served over loopback HTTP; exit 0 healthy, 5 degraded (after a successful apply), 4 stays 4."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from reconciler.checks.verify import AppHealth, Check, Health, Target, Verification
from reconciler.cli.verify import verified_exit
from reconciler.emulator import Emulator, serve
from reconciler.model import AppKey
from tests.conftest import make_emulator
from tests.desired_files import app, write

SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "verify.schema.json").read_text())
TOKEN = {"CLOUDFLARE_API_TOKEN": "test-token"}
GOOD, WITHDRAWN = "198.51.100.0/24", "192.0.2.0/24,advertised=no"
LOOPBACK_PREFIX = "127.0.0.0/24"  # the probe's edge IPs: a prefix onboarded in the emulator only


@contextlib.contextmanager
def loopback(emulator: Emulator) -> Iterator[list[str]]:
    with serve(emulator, host="127.0.0.1", port=0) as running:
        yield ["--base-url", running.base_url]


def apply(run_cli: Any, url: list[str], path: str, *extra: str) -> Any:
    return run_cli(["apply", path, "--auto-approve", *extra, *url], env=TOKEN)


class TestRecreate:
    def recreate_onto(self, run_cli: Any, tmp_path: Path, ip: str) -> Any:
        emulator = make_emulator(byoip_prefixes=(GOOD, WITHDRAWN))
        with loopback(emulator) as url:
            assert apply(run_cli, url, write(tmp_path / "a", app(None))).exit_code == 0
            # --force: the recreate cuts the zone's only app, which the safety gate holds
            return apply(run_cli, url, write(tmp_path / "b", app(ip)), "--verify", "--force")

    def test_onto_a_withdrawn_prefix_it_ends_degraded_with_the_reason_exit_5(
        self, run_cli: Any, tmp_path: Path
    ) -> None:
        done = self.recreate_onto(run_cli, tmp_path, "192.0.2.10")
        assert done.exit_code == 5, done.stdout + done.stderr
        assert (
            "degraded  example.com ssh.example.com tcp/22 (id " in done.stdout
            and "192.0.2.10 cannot receive traffic: 192.0.2.0/24 is not advertised" in done.stdout
        )
        assert "verify: 1 app: 0 healthy, 1 degraded, 0 unknown" in done.stdout

    def test_onto_a_good_prefix_it_ends_healthy_exit_0(self, run_cli: Any, tmp_path: Path) -> None:
        done = self.recreate_onto(run_cli, tmp_path, "198.51.100.10")
        assert done.exit_code == 0, done.stdout + done.stderr
        assert "healthy   example.com ssh.example.com tcp/22" in done.stdout
        assert "no analytics reader" not in done.stdout  # the emulator's analytics were read

    def test_without_verify_apply_does_not_verify(self, run_cli: Any, tmp_path: Path) -> None:
        emulator = make_emulator(byoip_prefixes=(GOOD, WITHDRAWN))
        with loopback(emulator) as url:
            done = apply(run_cli, url, write(tmp_path, app("192.0.2.10")))
        assert done.exit_code == 0 and "verify:" not in done.stdout


def test_a_missing_spectrum_dns_record_is_degraded(run_cli: Any, tmp_path: Path) -> None:
    emulator = make_emulator(byoip_prefixes=(GOOD,), spectrum_records=False)
    with loopback(emulator) as url:
        path = write(tmp_path, app("198.51.100.10"))
        applied = apply(run_cli, url, path, "--verify")
        checked = run_cli(["verify", path, "--format", "json", *url], env=TOKEN)
    assert applied.exit_code == 5 and "no Spectrum DNS record for ssh.example.com" in applied.stdout
    assert checked.exit_code == 5
    doc = json.loads(checked.stdout)
    jsonschema.validate(doc, SCHEMA)
    assert doc["summary"] == {"healthy": 0, "degraded": 1, "unknown": 0}
    assert doc["apps"][0]["reasons"] == ["no Spectrum DNS record for ssh.example.com"]


def test_a_second_writer_changing_the_app_after_apply_is_a_read_back_mismatch(
    run_cli: Any, tmp_path: Path
) -> None:
    emulator = make_emulator(byoip_prefixes=(GOOD,))
    with loopback(emulator) as url:
        path = write(tmp_path, app("198.51.100.10"))
        assert apply(run_cli, url, path, "--verify").exit_code == 0
        assert run_cli(["verify", path, *url], env=TOKEN).exit_code == 0
        zone_id = emulator.ensure_zone("example.com")["id"]
        (live,) = emulator.apps(zone_id)
        app_id = live["id"]
        body = {**app("198.51.100.10"), "origin_direct": ["tcp://10.9.9.9:22"]}
        answer = httpx.put(
            f"{url[1]}/zones/{zone_id}/spectrum/apps/{app_id}",
            json=body,
            headers={"Authorization": "Bearer other-writer"},
        )
        assert answer.status_code == 200, answer.text
        checked = run_cli(["verify", path, *url], env=TOKEN)
    assert checked.exit_code == 5
    assert "the live app differs from the files: origin_direct" in checked.stdout


def test_verify_of_a_declared_app_not_live_is_degraded(run_cli: Any, tmp_path: Path) -> None:
    with loopback(make_emulator(byoip_prefixes=(GOOD,))) as url:
        checked = run_cli(["verify", write(tmp_path, app(None)), *url], env=TOKEN)
    assert checked.exit_code == 5
    assert "ssh.example.com tcp/22 is not live in zone example.com" in checked.stdout


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server.getsockname()[1]


def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as server:
        return int(server.getsockname()[1])  # closed when the block ends: nobody listens


class TestProbe:
    def run(self, run_cli: Any, tmp_path: Path, port: int, *flags: str) -> Any:
        emulator = make_emulator(byoip_prefixes=(LOOPBACK_PREFIX,))
        desired = app("127.0.0.1", f"tcp/{port}", f"tcp://10.0.0.1:{port}")
        with loopback(emulator) as url:
            return apply(run_cli, url, write(tmp_path, desired), "--verify", *flags)

    def test_a_loopback_listener_is_healthy(
        self, run_cli: Any, tmp_path: Path, listener: int
    ) -> None:
        done = self.run(run_cli, tmp_path, listener, "--probe")
        assert done.exit_code == 0, done.stdout + done.stderr
        assert "verify: 1 app: 1 healthy, 0 degraded, 0 unknown" in done.stdout

    def test_a_closed_port_is_degraded(self, run_cli: Any, tmp_path: Path) -> None:
        port = closed_port()
        done = self.run(run_cli, tmp_path, port, "--probe")
        assert done.exit_code == 5, done.stdout + done.stderr
        assert f"TCP connect to 127.0.0.1:{port} failed: Connection refused" in done.stdout

    def test_without_probe_a_closed_port_is_not_connected_to(
        self, run_cli: Any, tmp_path: Path
    ) -> None:
        assert self.run(run_cli, tmp_path, closed_port()).exit_code == 0

    def test_udp_is_skipped_and_said(self, run_cli: Any, tmp_path: Path) -> None:
        emulator = make_emulator(byoip_prefixes=(LOOPBACK_PREFIX,))
        desired = app("127.0.0.1", "udp/5353", "udp://10.0.0.1:5353")
        with loopback(emulator) as url:
            path = write(tmp_path, desired)
            assert apply(run_cli, url, path).exit_code == 0
            checked = run_cli(["verify", path, "--probe", "--format", "json", *url], env=TOKEN)
        assert checked.exit_code == 0
        jsonschema.validate(json.loads(checked.stdout), SCHEMA)
        probe = json.loads(checked.stdout)["apps"][0]["checks"][-1]
        assert probe == {
            "check": "probe",
            "result": "skipped",
            "detail": "UDP: not probed (TCP only)",
        }

    def test_probe_without_verify_is_a_usage_error(self, run_cli: Any, tmp_path: Path) -> None:
        done = run_cli(["apply", str(tmp_path), "--probe", "--sandbox"], env=TOKEN)
        assert done.exit_code == 2 and "--probe is part of --verify" in done.stderr


def verification(health: Health) -> Verification:
    target = Target(AppKey.of("example.com", "a.example.com", "tcp/22"), "z", "id", {})
    return Verification((AppHealth(target, (Check("dns", health, "x"),)),))


@pytest.mark.parametrize(
    ("apply_code", "health", "code"),
    [
        (0, Health.HEALTHY, 0),
        (0, Health.UNKNOWN, 0),
        (0, Health.DEGRADED, 5),
        (4, Health.DEGRADED, 4),  # a failed apply stays 4
        (3, Health.DEGRADED, 3),  # a held zone stays 3
    ],
)
def test_exit_5_only_replaces_a_successful_apply(
    apply_code: int, health: Health, code: int
) -> None:
    assert verified_exit(apply_code, verification(health)) == code


def test_a_bad_verify_timeout_is_a_located_usage_error(run_cli: Any, tmp_path: Path) -> None:
    done = run_cli(["apply", str(tmp_path), "--verify", "--verify-timeout", "soon", "--sandbox"])
    assert done.exit_code == 2 and "--verify-timeout" in done.stderr
    assert "Traceback" not in done.stderr


def test_apply_of_a_saved_plan_verifies_too(run_cli: Any, tmp_path: Path) -> None:
    emulator = make_emulator(byoip_prefixes=(GOOD, WITHDRAWN))
    with loopback(emulator) as url:
        path = write(tmp_path / "files", app("192.0.2.10"))
        saved = str(tmp_path / "plan.json")
        assert run_cli(["plan", path, "--out", saved, *url], env=TOKEN).exit_code == 0
        done = run_cli(["apply", "--plan", saved, "--verify", *url], env=TOKEN)
    assert done.exit_code == 5, done.stdout + done.stderr
    assert "192.0.2.0/24 is not advertised" in done.stdout


def test_the_token_is_in_no_line_of_verify_or_apply_verify_even_with_debug(
    run_cli: Any, tmp_path: Path
) -> None:
    token = "verify-token-0123456789abcdef"
    emulator = make_emulator(byoip_prefixes=(GOOD, WITHDRAWN), spectrum_records=False)
    env = {"CLOUDFLARE_API_TOKEN": token}
    with loopback(emulator) as url:
        path = write(tmp_path, app("192.0.2.10"))
        applied = run_cli(["apply", path, "--auto-approve", "--verify", "--debug", *url], env=env)
        checked = run_cli(["verify", path, "--probe", "--debug", "--format", "json", *url], env=env)
    assert applied.exit_code == checked.exit_code == 5, applied.stdout + applied.stderr
    assert "GET" in applied.stderr  # --debug logged the requests: the lines the token could be in
    for result in (applied, checked):
        assert token not in result.stdout + result.stderr


def test_verify_paths_lists_each_zones_apps_once(run_cli: Any, tmp_path: Path) -> None:
    emulator = make_emulator(byoip_prefixes=(GOOD,))
    with loopback(emulator) as url:
        path = write(tmp_path, app("198.51.100.10"))
        assert apply(run_cli, url, path).exit_code == 0
        emulator.reset_stats()
        assert run_cli(["verify", path, *url], env=TOKEN).exit_code == 0
    listings = {k: n for k, n in emulator.stats()["requests"].items() if k.endswith("/apps")}
    assert list(listings.values()) == [1], listings  # the plan's read serves the read-back
