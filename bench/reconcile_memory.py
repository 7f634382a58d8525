"""Peak memory of ``reconcile``, once and as a loop — what deploy/kubernetes' requests are sized by.

    .venv/bin/python -m bench.reconcile_memory [APPS] [ZONES] [CYCLES]
    .venv/bin/python -m bench.reconcile_memory --write-docs docs/running.md  # the defaults, stamped

Same method and scenario as row 5 (``bench/memory.py``: the child's own ``VmHWM``, the
emulator over loopback in this process, a tenth of the apps drifted): ``reconcile --once``, then
``reconcile --every 1s`` stopped by SIGTERM after CYCLES cycles. Prints MiB (KiB / 1024, as row 5);
``--write-docs FILE...`` also writes the two lines, stamped (bench/stamp.py), between the
``reconcile-memory`` markers of each FILE.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.memory import _CHILD, ROOT, _peak_mb
from bench.scenario import emulator_from, write_desired, write_live_state
from bench.stamp import commit, machine, stamp, write_block
from reconciler.emulator import serve

EXIT_DRIFT = 2


def main(apps: int = 10_000, zones: int = 50, cycles: int = 5) -> list[str]:
    """Measure, print and return the two lines."""
    with tempfile.TemporaryDirectory(prefix="bench-reconcile-") as name:
        root = Path(name)
        desired = write_desired(root / "desired", apps, zones)
        state = write_live_state(root / "live.json", apps, zones)
        with serve(emulator_from(state), host="127.0.0.1", port=0) as server:
            command = [sys.executable, "-c", _CHILD, "reconcile", str(desired)]
            command += ["--base-url", server.base_url, "--log-format", "json"]
            once = _peak_mb([*command, "--once"], EXIT_DRIFT)
            loop = _loop_peak_mb([*command, "--every", "1s", "--metrics-port", "0"], cycles)
    lines = [
        f"reconcile --once, {apps} apps / {zones} zones: peak {once:.1f} MiB",
        f"reconcile --every 1s, {cycles} cycles: peak {loop:.1f} MiB",
    ]
    print("\n".join(lines))
    return lines


def write_docs(paths: list[str]) -> None:
    """Measure at the defaults and write the stamped lines into each of ``paths``."""
    ran_on = commit()
    lines = main()
    command = "python -m bench.reconcile_memory --write-docs " + " ".join(paths)
    body = stamp(command, ran_on, machine()) + "\n\n" + "".join(f"- {line}\n" for line in lines)
    for path in paths:
        write_block(Path(path), "reconcile-memory", body)


def _loop_peak_mb(command: list[str], cycles: int) -> float:
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "bench-token", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    assert child.stdout is not None
    for _ in range(cycles):
        child.stdout.readline()
    child.send_signal(signal.SIGTERM)
    _out, errors = child.communicate(timeout=300)
    peaks = [line.split()[1] for line in errors.splitlines() if line.startswith("bench-peak-kib")]
    if child.returncode != 0 or not peaks:
        raise RuntimeError(f"the loop exited {child.returncode}: {errors[-2000:]}")
    return int(peaks[-1]) / 1024


if __name__ == "__main__":
    if sys.argv[1:2] == ["--write-docs"]:
        write_docs(sys.argv[2:])
    else:
        main(*(int(arg) for arg in sys.argv[1:4]))
