"""``plan``, ``apply`` and ``drift`` over files that name several ``token_env``: one run, one
client (and rate limiter) per token, each zone read and written with its own token, over
loopback; a saved plan records each zone's variable (never the token) and ``apply --plan``
refuses it when the files name another; ``--sandbox`` needs none of the variables."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from reconciler.emulator import serve
from tests.conftest import make_emulator
from tests.reconcile_helpers import write_config, zone_file

TOKENS = {"TEAM_A_TOKEN": "token-of-team-a-0001", "TEAM_B_TOKEN": "token-of-team-b-0002"}


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]  # the emulator's requests_by_token


def two_teams(root: Path, net_token: str = "TEAM_B_TOKEN") -> str:
    com = zone_file("example.com", token_env="TEAM_A_TOKEN", apps=3)
    net = zone_file("example.net", token_env=net_token, apps=1)
    return str(write_config(root, com=com, net=net))


@pytest.fixture
def emulator():  # type: ignore[no-untyped-def]
    return make_emulator(zones=("example.com", "example.net"))


def by_token(emulator) -> dict[str, int]:  # type: ignore[no-untyped-def]
    counts = emulator.stats()["requests_by_token"]
    return {env: counts.get(fingerprint(token), 0) for env, token in TOKENS.items()}


def test_plan_and_apply_use_each_zone_s_token(run_cli, emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = two_teams(tmp_path / "cfg")
    with serve(emulator) as server:
        url = ["--base-url", server.base_url]
        plan = run_cli(["plan", *url, "--detailed-exitcode", config], env=TOKENS)
        read = by_token(emulator)
        emulator.reset_stats()
        applied = run_cli(["apply", *url, "--auto-approve", config], env=TOKENS)
        wrote = by_token(emulator)
        again = run_cli(["plan", *url, "--detailed-exitcode", config], env=TOKENS)
    assert plan.exit_code == 2, plan.stderr
    assert "3 to create" not in plan.stdout and "4 to create" in plan.stdout
    assert read["TEAM_A_TOKEN"] == read["TEAM_B_TOKEN"] > 0  # one lookup, listing, records each
    assert set(emulator.stats()["requests_by_token"]) <= {fingerprint(t) for t in TOKENS.values()}
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert wrote["TEAM_A_TOKEN"] - wrote["TEAM_B_TOKEN"] == 2  # three creates against one
    assert len(emulator.apps(emulator.ensure_zone("example.com")["id"])) == 3
    assert len(emulator.apps(emulator.ensure_zone("example.net")["id"])) == 1
    assert again.exit_code == 0, again.stdout + again.stderr
    for result in (plan, applied, again):
        assert not any(token in result.stdout + result.stderr for token in TOKENS.values())


def test_drift_reads_every_token_s_zones(run_cli, emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = two_teams(tmp_path / "cfg")
    with serve(emulator) as server:
        url = ["--base-url", server.base_url]
        before = run_cli(["drift", *url, "--format", "json", config], env=TOKENS)
        assert run_cli(["apply", *url, "--auto-approve", config], env=TOKENS).exit_code == 0
        after = run_cli(["drift", *url, config], env=TOKENS)
    assert before.exit_code == 2, before.stderr
    assert {a["zone"] for a in json.loads(before.stdout)["missing"]} == {
        "example.com",
        "example.net",
    }
    assert after.exit_code == 0, after.stdout + after.stderr


def test_a_saved_plan_carries_each_zone_s_variable(run_cli, emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = two_teams(tmp_path / "cfg")
    saved = tmp_path / "plan.json"
    with serve(emulator) as server:
        url = ["--base-url", server.base_url]
        assert run_cli(["plan", *url, "--out", str(saved), config], env=TOKENS).exit_code == 0
        document = json.loads(saved.read_text())
        applied = run_cli(["apply", *url, "--plan", str(saved)], env=TOKENS)
    assert {z["zone"]: z["token_env"] for z in document["live"]["zones"]} == {
        "example.com": "TEAM_A_TOKEN",
        "example.net": "TEAM_B_TOKEN",
    }
    assert not any(token in saved.read_text() for token in TOKENS.values())
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert len(emulator.apps(emulator.ensure_zone("example.net")["id"])) == 1


def test_apply_plan_refuses_a_zone_whose_files_now_name_another_token(  # type: ignore[no-untyped-def]
    run_cli, emulator, tmp_path: Path
) -> None:
    config = two_teams(tmp_path / "cfg")
    saved = tmp_path / "plan.json"
    env = {**TOKENS, "TEAM_C_TOKEN": "token-of-team-c-0003"}
    with serve(emulator) as server:
        url = ["--base-url", server.base_url]
        assert run_cli(["plan", *url, "--out", str(saved), config], env=env).exit_code == 0
        two_teams(tmp_path / "cfg", net_token="TEAM_C_TOKEN")
        emulator.reset_stats()
        refused = run_cli(["apply", *url, "--plan", str(saved)], env=env)
    assert refused.exit_code == 3, refused.stdout + refused.stderr
    assert "zone example.net was planned with the token in TEAM_B_TOKEN" in refused.stderr
    assert "now name TEAM_C_TOKEN" in refused.stderr
    assert emulator.stats()["total"] == 0  # refused before any request


def test_a_missing_variable_is_named_before_any_request(run_cli, emulator, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = two_teams(tmp_path / "cfg")
    with serve(emulator) as server:
        result = run_cli(
            ["plan", "--base-url", server.base_url, config],
            env={"TEAM_A_TOKEN": TOKENS["TEAM_A_TOKEN"]},
        )
    assert result.exit_code == 1 and "TEAM_B_TOKEN is not set" in result.stderr
    assert emulator.stats()["total"] == 0


def test_the_sandbox_takes_files_of_several_tokens_without_any(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = two_teams(tmp_path / "cfg")
    plan = run_cli(["plan", "--sandbox", config])
    applied = run_cli(["apply", "--sandbox", "--auto-approve", config])
    again = run_cli(["plan", "--sandbox", "--detailed-exitcode", config])
    drift = run_cli(["drift", "--sandbox", config])
    assert plan.exit_code == 0, plan.stderr
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    assert again.exit_code == 0 and drift.exit_code == 0, again.stdout + drift.stdout


def test_one_token_commands_take_several_in_the_sandbox(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = two_teams(tmp_path / "cfg")
    assert run_cli(["apply", "--sandbox", "--auto-approve", config]).exit_code == 0
    view = run_cli(["addresses", "--sandbox", config])
    assert view.exit_code == 0, view.stderr


def test_verify_takes_one_token_but_apply_verify_verifies_each_tokens_part(  # type: ignore[no-untyped-def]
    run_cli, emulator, tmp_path: Path
) -> None:
    config = two_teams(tmp_path / "cfg")
    with serve(emulator) as server:
        url = ["--base-url", server.base_url]
        applied = run_cli(["apply", *url, "--auto-approve", "--verify", config], env=TOKENS)
        checked = run_cli(["verify", *url, config], env=TOKENS)
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    verdicts = [line for line in applied.stdout.splitlines() if line.startswith("healthy ")]
    assert len(verdicts) == 4  # each token's written apps, through its own client
    assert checked.exit_code == 1 and "this command uses one token" in checked.stderr
    assert len(checked.stderr.strip().splitlines()) == 1  # docs/several-accounts.md says so
