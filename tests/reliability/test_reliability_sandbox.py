"""Two ``--sandbox`` runs at once in one directory: the second waits for the first (and says so),
so neither overwrites the other's apps; both succeed and every app of both is kept."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from reliability_helpers import (
    SCALE,
    emulator_process,
    python_env,
    run_reconciler,
    write_big_config,
)

pytestmark = pytest.mark.reliability

SECOND_ZONE = "second.example"


def second_config(directory: Path, count: int) -> str:
    apps = [
        {
            "dns": {"type": "CNAME", "name": f"app{i:03d}.{SECOND_ZONE}"},
            "protocol": f"tcp/{5000 + i}",
            "origin_direct": [f"tcp://192.0.2.{i % 200 + 1}:{5000 + i}"],
        }
        for i in range(count)
    ]
    directory.mkdir()
    (directory / "apps.yaml").write_text(yaml.safe_dump({"zone": SECOND_ZONE, "apps": apps}))
    return str(directory)


def sandbox_apps(state: Path) -> dict[str, int]:
    """Apps per zone name in the sandbox's files (read as any tool would, without the lock)."""
    try:
        from reconciler.emulator import read_state

        document: Any = read_state(state)
    except ImportError:  # before the journal: the snapshot was the whole state
        document = json.loads(state.read_text()) if state.exists() else None
    if document is None:
        return {}
    names = {zid: zone["name"] for zid, zone in document["zones"].items()}
    return {names[zid]: len(apps) for zid, apps in document["apps"].items() if apps}


def start(config: str, cwd: Path, *flags: str) -> subprocess.Popen[str]:
    command = ["apply", "--sandbox", "--auto-approve", *flags, config]
    return subprocess.Popen(
        [sys.executable, "-m", "reconciler", *command],
        cwd=cwd,
        env=python_env(token=None),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_sandbox_runs_at_once_keep_every_app(tmp_path: Path, figures) -> None:  # type: ignore[no-untyped-def]
    first_dir = write_big_config(tmp_path / "first")
    second_dir = second_config(tmp_path / "second", SCALE.apps)
    state = tmp_path / ".spectrum-sandbox.json"
    # Far past Cloudflare's 10 hostnames on IPv4: the sandbox account's quota is the flag's.
    quota = ("--ipv4-hostname-quota", "1000")
    first = start(first_dir, tmp_path, "--rate-limit", "25/1", *quota)  # slow: writing later
    deadline = time.monotonic() + 60
    while sandbox_apps(state).get("example.com", 0) < 5 and time.monotonic() < deadline:
        time.sleep(0.005)  # start the second run while the first is writing
    assert first.poll() is None, "the first run finished before the second started"
    second = start(second_dir, tmp_path, *quota)
    results = [(p.wait(timeout=300), *p.communicate()) for p in (first, second)]
    for code, out, err in results:
        assert code == 0, out[-2000:] + err[-2000:]
    assert "waiting for another run using the sandbox" in results[1][2]
    stored = sandbox_apps(state)
    assert stored == {"example.com": SCALE.apps, SECOND_ZONE: SCALE.apps}
    figures(sandbox_concurrent_runs=2, sandbox_apps_checked=2 * SCALE.apps)


def test_a_second_emulator_on_a_state_in_use_fails_at_once_with_one_line(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    with emulator_process(state):
        second = run_reconciler(["emulator", "--port", "0", "--state", str(state)], tmp_path)
    assert second.returncode == 1
    assert second.stdout == ""
    (line,) = second.stderr.splitlines()
    assert "state.json is in use by another process" in line and "Traceback" not in line
