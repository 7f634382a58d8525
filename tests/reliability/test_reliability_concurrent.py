"""Two applies of the same config at once against one emulator: never a duplicate; each either
converges or fails cleanly (exit 4 or 1 with a clear message, no traceback); a third converges."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from reliability_helpers import (
    QUOTA_FLAGS,
    SCALE,
    app_config,
    identities,
    make_client,
    make_emulator,
    python_env,
    run_reconciler,
    write_big_config,
    zone_id,
)

from reconciler.emulator import serve
from reconciler.model import AppKey
from reconciler.planning.normalize import request_body

pytestmark = pytest.mark.reliability

DECLARED = sorted(identities([app_config(i) for i in range(SCALE.apps)]))


@pytest.mark.parametrize("start", ["empty", "half-applied"])
@pytest.mark.parametrize("round_", range(1, SCALE.concurrent_rounds + 1))
def test_two_concurrent_applies_never_duplicate_and_a_third_converges(
    round_: int, start: str, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    config = write_big_config(tmp_path / "config")
    emulator = make_emulator()
    if start == "half-applied":
        with make_client(emulator) as client:
            for i in range(0, SCALE.apps, 2):
                body = request_body(app_config(i))
                key = AppKey.of("example.com", body["dns"]["name"], body["protocol"])
                client.create_app(zone_id(emulator), key, body)
    with serve(emulator) as running:
        api = ["--base-url", running.base_url, "--rate-limit", "1000000/1", *QUOTA_FLAGS]
        racers = [
            subprocess.Popen(
                [sys.executable, "-m", "reconciler", "apply", "--auto-approve", *api, config],
                cwd=tmp_path,
                env=python_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [(r.wait(timeout=120), *r.communicate()) for r in racers]
        live = emulator.apps(zone_id(emulator))
        assert len(set(identities(live))) == len(live)  # no duplicate, even mid-race
        for code, out, err in results:
            assert code in (0, 1, 4), (code, err[-2000:])
            assert "Traceback" not in out + err and "internal error" not in out + err
            if code == 4:
                assert "Apply INCOMPLETE" in out and "run apply again" in out
            if code == 1:
                assert err.strip().splitlines()[-1].startswith("error: ")
        third = run_reconciler(["apply", "--auto-approve", *api, config], tmp_path)
        assert third.returncode == 0, third.stdout[-2000:] + third.stderr[-2000:]
        final = run_reconciler(["plan", "--detailed-exitcode", *api, config], tmp_path)
        assert final.returncode == 0, final.stdout[-2000:]
    assert sorted(identities(emulator.apps(zone_id(emulator)))) == DECLARED
    losers = sum(1 for code, _, _ in results if code != 0)
    figures(concurrent_races=1, concurrent_losers=losers, concurrent_apps_checked=SCALE.apps)
