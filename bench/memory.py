"""Row 5: peak memory of the whole ``plan`` command for a large desired state.

In: a number of apps and zones. Out: ``Memory`` (peak resident set of the child, in MB); from
two sizes, ``bytes_per_app`` (the peak's growth per app above the fixed part). The
emulator serves the live apps over loopback from this process; the measured process is a
separate process running the ``plan`` command (``--base-url`` to that server) — YAML loading,
reads, planning and rendering included.

The peak is the child's own ``VmHWM`` from ``/proc/self/status``, written as it exits. Not
``ru_maxrss``: Linux carries the parent's high-water mark into a child across fork + exec, so a
child of a harness that holds 10k apps (or planned 50k) reports the harness's size, not its own.
Off Linux, ``ru_maxrss`` is the fallback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.scenario import Figure, emulator_from, write_desired, write_live_state
from reconciler.emulator import serve

ROOT = Path(__file__).resolve().parent.parent
EXIT_CHANGES = 2  # --detailed-exitcode: the plan has changes (the drifted tenth)


@dataclass(frozen=True)
class Memory:
    apps: int
    zones: int
    peak_mb: Figure
    baseline_mb: Figure  # the same interpreter importing the CLI and exiting: the floor


def measure(apps: int, zones: int, runs: int) -> Memory:
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as name:
        root = Path(name)
        desired = write_desired(root / "desired", apps, zones)
        state = write_live_state(root / "live.json", apps, zones)
        with serve(emulator_from(state), host="127.0.0.1", port=0) as server:
            plan = _plan_command(server.base_url, desired)
            peaks = [_peak_mb(plan, EXIT_CHANGES) for _ in range(runs)]
        floor = [sys.executable, "-c", _CHILD + "import reconciler.cli\n"]
        baselines = [_peak_mb(floor, 0) for _ in range(runs)]
    return Memory(apps, zones, Figure.of(peaks), Figure.of(baselines))


def bytes_per_app(small: Memory, large: Memory) -> float:
    """What each app beyond the smaller run adds to the peak: the fixed part (interpreter,
    imports, buffers) cancels out of the difference of the two medians."""
    extra_apps = large.apps - small.apps
    return (large.peak_mb.median - small.peak_mb.median) * 1024 * 1024 / extra_apps


# Runs the command line in-process and, at exit, reports this process's own high-water mark.
_CHILD = """
import atexit, resource, sys

def _report():
    try:
        with open("/proc/self/status") as status:
            kib = next(int(l.split()[1]) for l in status if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stderr.write(f"\\nbench-peak-kib {kib}\\n")

atexit.register(_report)
sys.argv = ["spectrum-reconciler", *sys.argv[1:]]
if sys.argv[1:]:
    from reconciler.cli import cli
    cli()
"""


def _plan_command(base_url: str, desired: Path) -> list[str]:
    plan = ["plan", "--base-url", base_url, "--detailed-exitcode", str(desired)]
    return [sys.executable, "-c", _CHILD, *plan]


def _peak_mb(command: list[str], expected_exit: int) -> float:
    env = {**os.environ, "CLOUDFLARE_API_TOKEN": "bench-token", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=ROOT
    )
    assert child.stderr is not None
    errors = child.stderr.read().decode(errors="replace")
    child.stderr.close()
    if child.wait() != expected_exit:
        raise RuntimeError(f"{command[3:5]} exited {child.returncode}: {errors[-2000:]}")
    peaks = [line.split()[1] for line in errors.splitlines() if line.startswith("bench-peak-kib")]
    if not peaks:
        raise RuntimeError(f"the child reported no peak: {errors[-2000:]}")
    return int(peaks[-1]) / 1024
