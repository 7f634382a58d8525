"""Crashes: an apply SIGKILLed at random points, and the emulator SIGKILLed mid-write, leave a
state file that loads, and the next apply converges with no duplicate and the exact count."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from reliability_helpers import (
    QUOTA_FLAGS,
    SCALE,
    app_config,
    crash_copy,
    emulator_process,
    identities,
    python_env,
    run_reconciler,
    state_apps,
    write_big_config,
)

from reconciler.emulator import Emulator, EmulatorConfig

pytestmark = pytest.mark.reliability

DECLARED = sorted(identities([app_config(i) for i in range(SCALE.apps)]))


def journal_events(path: Path) -> int:
    try:
        return path.read_text(encoding="utf-8").count('"event": "attempt"')
    except FileNotFoundError:
        return 0


def start_apply(base_url: str, config: str, journal: Path, cwd: Path) -> subprocess.Popen[str]:
    args = ["apply", *QUOTA_FLAGS, "--auto-approve", "--base-url", base_url]
    args += ["--rate-limit", "1000000/1"]
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *args, "--journal", str(journal), config],
        cwd=cwd,
        env=python_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def kill_after_attempts(process: subprocess.Popen[str], journal: Path, attempts: int) -> int:
    """SIGKILL ``process`` once the journal shows ``attempts`` writes begun; returns how many."""
    deadline = time.monotonic() + 60
    while process.poll() is None and time.monotonic() < deadline:
        if journal_events(journal) >= attempts:
            break
        time.sleep(0.002)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return journal_events(journal)


def assert_state_loads(state: Path) -> list[dict[str, object]]:
    """The files hold a state of the emulator's shape, and an emulator starts from them (from
    a copy: the running emulator, if any, holds the state's lock)."""
    apps = state_apps(state)
    Emulator(EmulatorConfig(state_file=crash_copy(state, state.parent / "copy"))).close()
    return apps


def assert_converges(base_url: str, config: str, cwd: Path, state: Path) -> None:
    again = run_reconciler(
        ["apply", "--auto-approve", "--base-url", base_url, "--rate-limit", "1000000/1", config],
        cwd,
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]
    plan = run_reconciler(
        [
            "plan",
            "--detailed-exitcode",
            "--base-url",
            base_url,
            "--rate-limit",
            "1000000/1",
            config,
        ],
        cwd,
    )
    assert plan.returncode == 0, plan.stdout[-2000:]
    assert sorted(identities(state_apps(state))) == DECLARED  # exact count, no duplicate


@pytest.mark.parametrize("seed", range(1, SCALE.apply_kills + 1))
def test_an_apply_killed_at_a_random_point_leaves_loadable_state_and_the_next_converges(
    seed: int, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    config = write_big_config(tmp_path / "config")
    state = tmp_path / "state.json"
    with emulator_process(state) as emulator:
        journal = tmp_path / "journal.jsonl"
        apply = start_apply(emulator.base_url, config, journal, tmp_path)
        begun = kill_after_attempts(apply, journal, rng.randint(1, SCALE.apps - 1))
        assert apply.returncode == -signal.SIGKILL, "the apply finished before the kill"
        stored = assert_state_loads(state)
        assert len(set(identities(stored))) == len(stored)
        assert 0 < len(stored) < SCALE.apps  # really killed mid-apply
        assert_converges(emulator.base_url, config, tmp_path, state)
    figures(
        crash_apply_kills=1, crash_writes_begun_before_kill=begun, crash_apps_checked=SCALE.apps
    )


@pytest.mark.parametrize("seed", range(1, SCALE.emulator_kills + 1))
def test_the_emulator_killed_mid_write_leaves_a_state_file_that_loads(
    seed: int, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    config = write_big_config(tmp_path / "config")
    state = tmp_path / "state.json"
    journal = tmp_path / "journal.jsonl"
    with emulator_process(state) as emulator:
        apply = start_apply(emulator.base_url, config, journal, tmp_path)
        target = rng.randint(1, SCALE.apps - 1)
        deadline = time.monotonic() + 60
        while journal_events(journal) < target and time.monotonic() < deadline:
            time.sleep(0.001)
        emulator.kill()  # SIGKILL while the apply keeps writing: any write may be half done
        apply.send_signal(signal.SIGKILL)  # it would only retry refused connections for a while
        apply.wait(timeout=30)
    stored = assert_state_loads(state)
    assert 0 < len(stored) < SCALE.apps
    with emulator_process(state) as restarted:
        assert_converges(restarted.base_url, config, tmp_path, state)
    figures(crash_emulator_kills=1, crash_apps_checked=SCALE.apps)
