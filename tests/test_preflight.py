"""The preflight end to end over loopback: each refusal Cloudflare documents is predicted by
``plan`` (exit 1, the plan shown, then the refusal with its file:line:col) and by ``apply``
before any write; ``apply --plan`` checks again; reads happen only when the plan needs them."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Emulator, serve
from tests.conftest import make_emulator

TOKEN = "tok-preflight-0123456789"
ENV = {"CLOUDFLARE_API_TOKEN": TOKEN}


def app(
    name: str, protocol: str = "tcp/22", zone: str = "example.com", **extra: Any
) -> dict[str, Any]:
    port = {"ssh": "22", "rdp": "3389"}.get(protocol, protocol.split("/")[-1])
    return {
        "dns": {"type": "CNAME", "name": f"{name}.{zone}"},
        "protocol": protocol,
        "origin_direct": [f"tcp://192.0.2.1:{port}"],
        **extra,
    }


def write(directory: Path, zone: str, apps: list[dict[str, Any]], name: str = "apps") -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.yaml").write_text(json.dumps({"zone": zone, "apps": apps}))
    return str(directory)


@contextlib.contextmanager
def loopback(emulator: Emulator) -> Iterator[list[str]]:
    with serve(emulator) as running:
        yield ["--base-url", running.base_url]


def writes(emulator: Emulator) -> int:
    requests = emulator.stats()["requests"]
    return sum(n for template, n in requests.items() if not template.startswith("GET"))


def emulator_with(**overrides: Any) -> Emulator:
    settings: dict[str, Any] = {"zones": ("example.com", "example.net")}
    settings.update(overrides)
    return make_emulator(**settings)


SCENARIOS = [
    pytest.param(
        {"dns_records": ("ssh.example.com,type=A,content=192.0.2.7",)},
        [app("ssh")],
        "dns_record_conflict",
        "An A, AAAA or CNAME record already exists with that host.",
        id="manual-record",
    ),
    pytest.param(
        {"ipv4_hostname_quota": 2},
        [app("a"), app("b"), app("c")],
        "ipv4_hostname_quota",
        "3 of 2 unique Spectrum hostnames",
        id="quota",
    ),
    pytest.param(
        {"zones": ("example.com,plan=free",)},
        [app("ssh", "ssh")],
        "spectrum_not_in_plan",
        "Free plan",
        id="free",
    ),
    pytest.param(
        {"zones": ("example.com,plan=pro",)},
        [app("ssh", "ssh", traffic_type="direct")],
        "field_not_in_plan",
        "refuses traffic_type (10012)",
        id="field",
    ),
    pytest.param(
        {"zones": ("example.com,plan=pro",)},
        [app("rdp", "rdp")],
        "protocol_not_in_plan",
        "(13002",
        id="protocol",
    ),
    pytest.param(
        {"zones": ("example.com,plan=business",)},
        [app("ssh", "ssh"), app("ssh2", "ssh")],
        "one_app_per_protocol",
        "(11034)",
        id="one-per-protocol",
    ),
]


@pytest.mark.parametrize(("setup", "apps", "kind", "says"), SCENARIOS)
class TestEachRefusal:
    def test_plan_shows_the_plan_then_the_refusal_and_exits_1(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path, setup: dict[str, Any], apps: list[Any], kind: str, says: str
    ) -> None:
        quota = setup.get("ipv4_hostname_quota", 10)
        emulator = emulator_with(**setup)
        config = write(tmp_path / "cfg", "example.com", apps)
        flags = ["--ipv4-hostname-quota", str(quota)]
        with loopback(emulator) as url:
            text = run_cli(["plan", *url, *flags, config], env=ENV)
            as_json = run_cli(["plan", *url, *flags, "--format", "json", config], env=ENV)
            markdown = run_cli(["plan", *url, *flags, "--format", "markdown", config], env=ENV)
        assert text.exit_code == as_json.exit_code == markdown.exit_code == 1
        assert text.stdout.index("(create in example.com)") < text.stdout.index(f"[{kind}]")
        assert says in text.stdout and f"{config}/apps.yaml:1:" in text.stderr
        assert f"[{kind}]" in text.stderr and "nothing was written" in text.stderr
        document = json.loads(as_json.stdout)
        assert {r["kind"] for r in document["refusals"]} == {kind}
        assert document["preflight"]["status"] == "checked"
        head = markdown.stdout.split("| | Action")[0]
        assert f"`{kind}`" in head and "nothing will be applied" in head
        assert writes(emulator) == 0

    def test_apply_refuses_before_any_write_and_the_emulator_agrees(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path, setup: dict[str, Any], apps: list[Any], kind: str, says: str
    ) -> None:
        quota = setup.get("ipv4_hostname_quota", 10)
        emulator = emulator_with(**setup)
        config = write(tmp_path / "cfg", "example.com", apps)
        flags = ["--ipv4-hostname-quota", str(quota)]
        with loopback(emulator) as url:
            refused = run_cli(["apply", *url, *flags, "--auto-approve", config], env=ENV)
        assert refused.exit_code == 1 and f"[{kind}]" in refused.stderr
        assert writes(emulator) == 0


def test_a_clean_plan_passes_and_apply_is_never_refused(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emulator = emulator_with(
        zones=("example.com,plan=business",),
        dns_records=("busy.example.com,type=A,content=192.0.2.7,proxied=no",),
        ipv4_hostname_quota=2,
    )
    config = write(tmp_path / "cfg", "example.com", [app("ssh", "ssh"), app("busy", "rdp")])
    with loopback(emulator) as url:
        flags = ["--ipv4-hostname-quota", "2"]
        assert run_cli(["plan", *url, *flags, config], env=ENV).exit_code == 0
        applied = run_cli(["apply", *url, *flags, "--auto-approve", config], env=ENV)
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert run_cli(["plan", *url, *flags, config], env=ENV).exit_code == 0


def test_apply_of_a_saved_plan_checks_again(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    emulator = emulator_with()
    config = write(tmp_path / "cfg", "example.com", [app("ssh")])
    saved = tmp_path / "plan.json"
    with loopback(emulator) as url:
        assert run_cli(["plan", *url, "--out", str(saved), config], env=ENV).exit_code == 0
        zone_id = emulator.ensure_zone("example.com")["id"]
        record = {"type": "CNAME", "name": "ssh", "content": "old.example.net", "proxied": True}
        _post(url[1], f"/zones/{zone_id}/dns_records", record)
        before = writes(emulator)
        again = run_cli(["apply", *url, "--plan", str(saved)], env=ENV)
        assert again.exit_code == 1 and "[dns_record_conflict]" in again.stderr
        assert writes(emulator) == before


def _post(base_url: str, path: str, body: dict[str, Any]) -> None:
    import httpx

    response = httpx.post(base_url + path, json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text


def test_an_update_of_a_held_hostname_and_a_second_app_on_it_are_not_conflicts(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path
) -> None:
    emulator = emulator_with()
    config = write(tmp_path / "cfg", "example.com", [app("ssh")])
    with loopback(emulator) as url:
        assert run_cli(["apply", *url, "--auto-approve", config], env=ENV).exit_code == 0
        second = app("ssh", "tcp/2222")
        write(tmp_path / "cfg", "example.com", [app("ssh", tls="flexible"), second])
        plan = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
    assert plan.exit_code == 0, plan.stdout + plan.stderr


def test_the_quota_counts_the_declared_zones_and_says_what_it_did_not(  # type: ignore[no-untyped-def]
    run_cli, tmp_path: Path
) -> None:
    emulator = emulator_with(ipv4_hostname_quota=2)
    outside = tmp_path / "outside"
    write(outside, "example.net", [app("x", zone="example.net"), app("y", zone="example.net")])
    config = write(tmp_path / "cfg", "example.com", [app("a")])
    flags = ["--ipv4-hostname-quota", "2"]
    with loopback(emulator) as url:
        assert (
            run_cli(["apply", *url, *flags, "--auto-approve", str(outside)], env=ENV).exit_code == 0
        )
        partial = run_cli(["plan", *url, *flags, "--format", "json", config], env=ENV)
        wide = run_cli(["plan", *url, *flags, "--account-wide", config], env=ENV)
    assert partial.exit_code == 0
    notes = json.loads(partial.stdout)["preflight"]["notes"]
    assert any("declared zones only" in note and "--account-wide" in note for note in notes)
    assert wide.exit_code == 1 and "3 of 2 unique Spectrum hostnames" in wide.stdout


def test_an_all_update_plan_reads_nothing_more(tmp_path: Path) -> None:
    from reconciler.applying import workflow
    from tests.conftest import make_client

    emulator = emulator_with(ipv4_hostname_quota=2)
    config = write(tmp_path / "cfg", "example.com", [app("a"), app("b")])
    with make_client(emulator) as client:
        workflow_apply(client, config)
        write(tmp_path / "cfg", "example.com", [app("a", tls="flexible"), app("b", tls="flexible")])
        emulator.reset_stats()
        plan = workflow.plan_for(workflow.load([config]), client)
    assert [a.kind.value for a in plan.actions] == ["update", "update"]
    assert plan.preflight == "checked" and plan.refusals == ()
    assert set(emulator.stats()["requests"]) == {"GET /zones/{zone_id}/spectrum/apps"}


def test_creates_read_each_zone_s_records_once(tmp_path: Path) -> None:
    from reconciler.applying import workflow
    from tests.conftest import make_client

    emulator = emulator_with()
    com = write(tmp_path / "cfg", "example.com", [app("a"), app("b"), app("c")])
    write(tmp_path / "cfg", "example.net", [app("d", zone="example.net")], name="net")
    with make_client(emulator) as client:
        workflow.plan_for(workflow.load([com]), client)
    requests = emulator.stats()["requests"]
    assert requests["GET /zones/{zone_id}/dns_records"] == 2
    assert "GET /zones/{zone_id}" not in requests  # the lookups carried account and plan


def workflow_apply(client: Any, config: str) -> None:
    from reconciler.applying import workflow
    from reconciler.applying.executor import Executor

    plan = workflow.plan_for(workflow.load([config]), client)
    assert plan.refusals == ()
    Executor(client).apply(plan)


def test_diff_says_which_checks_it_could_not_make(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    old = write(tmp_path / "old", "example.com", [])
    new = write(tmp_path / "new", "example.com", [app("ssh")])
    result = run_cli(["diff", old, new])
    assert result.exit_code == 0
    assert "preflight not checked" in result.stdout
    from reconciler.checks.preflight import REFUSED_KINDS, WARNING_KINDS

    said = result.stdout.split("preflight not checked")[1]
    assert [kind for kind in (*REFUSED_KINDS, *WARNING_KINDS) if kind not in said] == []


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--zone", "example.com,plan=gold"], "plan=gold"),
        (["--zone", "example.com", "--dns-record", "a.example.com,type=MX,content=x"], "type="),
        (
            ["--zone", "example.com", "--dns-record", "a.other.net,type=A,content=192.0.2.1"],
            "no --zone",
        ),
    ],
)
def test_bad_emulator_flags_are_one_line(run_cli, flags: list[str], says: str) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["emulator", "--port", "0", *flags])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code != 0 and says in result.stderr
    assert "Traceback" not in result.stderr and len(lines) <= 3
