"""Row 13: how long Ctrl-C takes to end a paced apply (``python -m bench.interrupt [APPS]``).

In: a number of apps to create (default 9,000, in 9 zones) and the rate limit (default
Cloudflare's 1200/300 s, enforced by both the emulator and the client). Out: ``Interrupt``.

``apply --auto-approve`` runs as its own process against ``spectrum-reconciler emulator`` in
another (50 ms latency). Once the apply has spent the window's budget and says it is "waiting
for the rate limit", the harness sends SIGINT and times the exit: the goal is 2 s plus the
requests in flight (the apply's workers, at 50 ms each). Before the fix the workers slept out
the window: 272 s at 9,003 apps. Also checked: exit 4 (it wrote), an INTERRUPTED summary.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.scenario import write_desired, zone_name
from bench.whole import ROOT, cli, env

LATENCY_MS = 50
WAITING = "waiting for the rate limit"


@dataclass(frozen=True)
class Interrupt:
    apps: int
    limit: str
    exit_s: float  # SIGINT -> process exit
    exit_code: int
    summary: str  # the apply's last line
    wrote: int  # apps created before Ctrl-C (the emulator's count)


def measure(apps: int = 9_000, zones: int = 9, limit: str = "1200/300") -> Interrupt:
    with tempfile.TemporaryDirectory(prefix="bench-interrupt-") as name:
        root = Path(name)
        desired = write_desired(root / "desired", apps, zones)  # the zones start empty
        flags = [f"--zone={zone_name(z)}" for z in range(zones)]
        # Every app on its own hostname with dynamic IPv4: the account's quota is raised on
        # both sides, as a customer with a raised quota would (the preflight counts it).
        quota = str(apps)
        serve = cli("emulator", "--port", "0", "--latency-ms", str(LATENCY_MS),
                    "--rate-limit", limit, "--ipv4-hostname-quota", quota, *flags)  # fmt: skip
        with _start(serve, stderr=subprocess.DEVNULL) as emulator:
            try:
                base_url = _listening(emulator)
                command = cli("apply", "--auto-approve", "--base-url", base_url,
                              "--rate-limit", limit, "--ipv4-hostname-quota", quota,
                              str(desired))  # fmt: skip
                return _interrupted(command, apps, limit)
            finally:
                emulator.terminate()
                emulator.wait(timeout=60)


def _start(command: list[str], stderr: int = subprocess.PIPE) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env(),
        cwd=ROOT,
    )


def _listening(emulator: subprocess.Popen[str]) -> str:
    assert emulator.stdout is not None
    first = emulator.stdout.readline()
    if "listening on " not in first:
        raise RuntimeError(f"the emulator did not start: {first}")
    return first.split("listening on ", 1)[1].strip()


def _interrupted(command: list[str], apps: int, limit: str) -> Interrupt:
    with _start(command) as apply:
        return _timed(apply, apps, limit)


def _timed(apply: subprocess.Popen[str], apps: int, limit: str) -> Interrupt:
    waiting = threading.Event()
    errors: list[str] = []
    output: list[str] = []  # drained as it comes: a full pipe would block the apply
    readers = [
        threading.Thread(target=_read, args=(apply.stderr, errors, waiting), daemon=True),
        threading.Thread(target=_read, args=(apply.stdout, output, None), daemon=True),
    ]
    for reader in readers:
        reader.start()
    waiting.wait(timeout=600)  # set by the line, or when the apply's stderr ends
    if apply.poll() is not None or not any(WAITING in line for line in errors):
        apply.kill()
        raise RuntimeError(f"the apply never waited for the rate limit: {errors[-5:]}")
    time.sleep(1.0)  # well into the wait, as a user would be
    apply.send_signal(signal.SIGINT)
    sent = time.perf_counter()
    apply.wait(timeout=900)
    exit_s = time.perf_counter() - sent
    for reader in readers:
        reader.join(timeout=30)
    summary = output[-1] if output else ""
    done = sum(1 for line in output if line.startswith("done"))
    return Interrupt(apps, limit, exit_s, apply.returncode, summary, done)


def _read(stream: IO[str] | None, lines: list[str], waiting: threading.Event | None) -> None:
    assert stream is not None
    for line in stream:
        lines.append(line.rstrip())
        if waiting is not None and WAITING in line:
            waiting.set()
    if waiting is not None:
        waiting.set()  # the process ended without waiting


def main(argv: list[str]) -> int:
    """``[APPS [LIMIT]]``: 9,000 at 1200/300 by default."""
    apps = int(argv[0]) if argv else 9_000
    result = measure(apps, limit=argv[1] if len(argv) > 1 else "1200/300")
    print(
        f"{result.apps:,} apps at {result.limit} s: exit {result.exit_s:.2f} s after SIGINT, "
        f"exit code {result.exit_code}, {result.wrote:,} created first; {result.summary}"
    )
    return 0 if result.exit_code == 4 and result.exit_s <= 2.5 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
