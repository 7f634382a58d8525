"""A journal at a file-size limit during a replace (``tcp/22`` -> ``tcp/22-23``): whatever line the
limit falls on, no app is lost, the run ends with a summary (exit 4, or 1 before any write, or 0
when every line fit), and never with a traceback or "internal error".

The apply runs as its own process under ``RLIMIT_FSIZE``, its journal filled to just below the
limit, against an emulator process (whose state file the limit does not touch).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_helpers import emulator_process, python_env, run_reconciler, state_apps

pytestmark = pytest.mark.reliability

SSH = {
    "dns": {"type": "CNAME", "name": "ssh.example.com"},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
}
WIDER = {**SSH, "protocol": "tcp/22-23", "origin_direct": ["tcp://192.0.2.1:22-23"]}
FILLED = 100_000  # bytes already in the journal
MARGINS = range(0, 3000, 200)  # room left for this run's lines: each lands on another line


def write_config(directory: Path, app: dict[str, object]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": "example.com", "apps": [app]}))
    return str(directory)


def apply_limited(
    base_url: str, config: str, journal: Path, cwd: Path, limit: int
) -> subprocess.CompletedProcess[str]:
    def limited() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    args = [
        "apply",
        "--auto-approve",
        "--force",
        "--base-url",
        base_url,
        "--rate-limit",
        "1000000/1",
    ]
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *args, "--journal", str(journal), config],
        cwd=cwd,
        env={**python_env(), "PYTHONDONTWRITEBYTECODE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limited,  # only the child: its file-size limit
    )


def test_a_journal_at_its_size_limit_never_loses_the_app(tmp_path: Path, figures) -> None:  # type: ignore[no-untyped-def]
    v1, v2 = write_config(tmp_path / "v1", SSH), write_config(tmp_path / "v2", WIDER)
    outcomes: dict[int, int] = {}
    lost = 0
    with emulator_process(tmp_path / "state.json") as emulator:
        base = ["--force", "--base-url", emulator.base_url, "--rate-limit", "1000000/1"]
        for margin in MARGINS:
            assert run_reconciler(["apply", "--auto-approve", *base, v1], tmp_path).returncode == 0
            journal = tmp_path / f"journal-{margin}.jsonl"
            journal.write_text("x" * (FILLED - 1) + "\n")
            result = apply_limited(emulator.base_url, v2, journal, tmp_path, FILLED + margin)
            assert "Traceback" not in result.stderr and "internal error" not in result.stderr
            assert result.returncode in (0, 1, 4), (margin, result.stderr)
            outcomes[result.returncode] = outcomes.get(result.returncode, 0) + 1
            protocols = [a["protocol"] for a in state_apps(tmp_path / "state.json")]
            expected = ["tcp/22-23"] if result.returncode == 0 else ["tcp/22"]
            lost += protocols != expected
            assert protocols == expected, (margin, result.returncode, result.stdout)
    assert outcomes.get(4) and outcomes.get(0)  # the limit fell both inside and after the run
    figures(
        journal_limit_runs=len(MARGINS),
        journal_limit_failed_runs=outcomes.get(4, 0) + outcomes.get(1, 0),
        journal_limit_apps_lost=lost,
    )
