"""Shared pieces of the reliability suite: sizes, configs of many apps, emulators, figures.

Sizes: the default is the CI size (the whole suite in about two minutes on two cores);
``RELIABILITY_SCALE=full`` runs the soak sizes. Every test adds what it did to ``FIGURES``
(runs, seeds, faults injected, apps checked, inputs tried, anything lost); the figures are
printed at the end of the session and, with ``RELIABILITY_FIGURES=FILE``, saved as JSON.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.applying import workflow
from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.live.cloudflare import CloudflareClient, RetryPolicy
from reconciler.live.connect import SANDBOX_BASE_URL
from reconciler.live.ratelimit import RateLimit
from reconciler.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
FULL = os.environ.get("RELIABILITY_SCALE", "ci").strip().lower() == "full"
DOC_PREFIXES = ("198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48")
ZONE = "example.com"
OTHER_ZONE = "example.net"  # in the emulator, never in any config: must never be touched
IGNORE = "legacy-*.example.com"
TOKEN = "tok-RELIABILITY-7f3a9c1e5b2d4086-do-not-print"
FAST_RETRY = RetryPolicy(attempts=8, backoff_base=0.001, backoff_cap=0.01)
WRITE_METHODS = ("POST ", "PUT ", "DELETE ")


@dataclass(frozen=True)
class Scale:
    apps: int
    soak_seeds: int
    apply_kills: int
    emulator_kills: int
    concurrent_rounds: int
    hostile_examples: int
    plan_edits: int  # single-field edits of a saved plan (0: every leaf)
    plan_truncations: int


CI = Scale(
    apps=100,
    soak_seeds=10,
    apply_kills=5,
    emulator_kills=3,
    concurrent_rounds=2,
    hostile_examples=60,
    plan_edits=0,
    plan_truncations=150,
)
SOAK = Scale(
    apps=100,
    soak_seeds=40,
    apply_kills=20,
    emulator_kills=10,
    concurrent_rounds=8,
    hostile_examples=600,
    plan_edits=0,
    plan_truncations=400,
)
SCALE = SOAK if FULL else CI

FIGURES: Counter[str] = Counter()


def note(**counts: int) -> None:
    """Add to the session's figures (thread-safe enough: the suite runs serially)."""
    FIGURES.update(counts)


def note_max(**values: int) -> None:
    """Keep the largest value seen for each name (a figure that is a maximum, not a sum)."""
    for name, value in values.items():
        FIGURES[name] = max(FIGURES[name], value)


# --- desired state -------------------------------------------------------------------------


def app_config(i: int) -> dict[str, Any]:
    """App number ``i`` of the big config: TCP and UDP on anycast, and TCP on BYOIP prefixes."""
    name = f"svc{i:03d}.{ZONE}"
    if i % 7 == 3:  # a BYOIP app: static edge IPs from the onboarded documentation prefix
        return {
            "dns": {"type": "ADDRESS", "name": name},
            "protocol": f"tcp/{3000 + i}",
            "origin_direct": [f"tcp://192.0.2.{i % 200 + 1}:{3000 + i}"],
            "edge_ips": {"type": "static", "ips": [f"198.51.100.{i % 250 + 1}"]},
        }
    if i % 5 == 1:
        return {
            "dns": {"type": "CNAME", "name": name},
            "protocol": f"udp/{4000 + i}",
            "origin_direct": [f"udp://192.0.2.{i % 200 + 1}:{4000 + i}"],
        }
    config: dict[str, Any] = {
        "dns": {"type": "CNAME", "name": name},
        "protocol": f"tcp/{2000 + i}",
        "origin_direct": [f"tcp://192.0.2.{i % 200 + 1}:{2000 + i}"],
    }
    if i % 4 == 0:
        config["tls"] = "full"
    if i % 6 == 0:
        config["ip_firewall"] = True
    return config


def write_big_config(directory: Path, count: int | None = None) -> str:
    """A real config tree: the zone's apps split over two YAML files, with an ignore pattern."""
    import yaml

    count = SCALE.apps if count is None else count
    directory.mkdir(parents=True, exist_ok=True)
    apps = [app_config(i) for i in range(count)]
    half = count // 2
    head = {
        "zone": ZONE,
        "ignore": [IGNORE],
        "safety": {"max_destructive_percent": 50},
        "apps": apps[:half],
    }
    (directory / "first.yaml").write_text(yaml.safe_dump(head, sort_keys=False))
    (directory / "second.yaml").write_text(
        yaml.safe_dump({"zone": ZONE, "apps": apps[half:]}, sort_keys=False)
    )
    return str(directory)


def extra_app(name: str, port: int) -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": name},
        "protocol": f"tcp/{port}",
        "origin_direct": [f"tcp://192.0.2.250:{port}"],
    }


# --- emulators and clients -----------------------------------------------------------------


def make_emulator(**overrides: Any) -> Emulator:
    settings: dict[str, Any] = {
        "zones": (ZONE, OTHER_ZONE),
        "byoip_prefixes": DOC_PREFIXES,
        "rate_limit": (1_000_000, 1.0),
    }
    settings.update(overrides)
    return Emulator(EmulatorConfig(**settings))


class NoWaitRetryAfter(httpx.BaseTransport):
    """The emulator's transport with ``Retry-After`` read as 0: an injected 429 still refuses
    the request and the client still pauses and repeats it, but for 0 s instead of 1 s (as
    FAST_RETRY shortens backoff). Nothing else is changed."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if "retry-after" in response.headers:
            response.headers["retry-after"] = "0"
        return response


def make_client(
    emulator: Emulator, token: str = "test-token", **overrides: Any
) -> CloudflareClient:
    options: dict[str, Any] = {
        "base_url": SANDBOX_BASE_URL,
        "transport": NoWaitRetryAfter(emulator.transport()),
        "retry": FAST_RETRY,
        "rate_limit": RateLimit(1_000_000, 1.0),
        "seed": 1,
    }
    options.update(overrides)
    return CloudflareClient(token, **options)


def zone_id(emulator: Emulator, zone: str = ZONE) -> str:
    return str(emulator.ensure_zone(zone)["id"])


def plan_once(emulator: Emulator, config: str) -> Plan:
    with make_client(emulator) as client:
        return workflow.plan_for(workflow.load([config]), client)


def live_ids(emulator: Emulator, zone: str = ZONE) -> set[str]:
    """The ids of the apps the zone holds now (read from the emulator, not assumed)."""
    return {str(app["id"]) for app in emulator.apps(zone_id(emulator, zone))}


def apps_gone(emulator: Emulator, before: set[str], zone: str = ZONE) -> int:
    """How many of the apps ``before`` held are no longer in the zone: a measured loss."""
    return len(before - live_ids(emulator, zone))


def identities(apps: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(a["dns"]["name"].rstrip(".").lower(), a["protocol"]) for a in apps]


def write_count(stats: Mapping[str, Any]) -> int:
    return sum(n for key, n in stats["requests"].items() if key.startswith(WRITE_METHODS))


def state_apps(state_file: Path, zone: str = ZONE) -> list[dict[str, Any]]:
    """The apps of ``zone`` in an emulator state (snapshot + journal, read without its lock)."""
    from reconciler.emulator import read_state
    from reconciler.emulator.store import md5_hex

    document = read_state(state_file)
    assert document is not None and document["version"] == 1
    return list(document["apps"].get(md5_hex(zone), []))


def crash_copy(state_file: Path, into: Path) -> Path:
    """The state's files as a SIGKILL at this moment would leave them, copied to ``into``."""
    into.mkdir()
    for source in (state_file, state_file.with_name(state_file.name + ".journal")):
        shutil.copy(source, into / source.name)
    return into / state_file.name


# --- processes -----------------------------------------------------------------------------

LISTENING = re.compile(r"listening on (http://\S+)")


# The suite's configs hold about a hundred hostnames on Cloudflare IPv4, far past Cloudflare's
# quota of 10: its emulator processes and commands say the account's quota was raised.
QUOTA_FLAGS = ("--ipv4-hostname-quota", "100000")
_TAKE_QUOTA = ("plan", "apply", "drift", "emulator")


def with_quota(args: list[str]) -> list[str]:
    """``args`` with ``QUOTA_FLAGS`` after a command that takes them."""
    if args and args[0] in _TAKE_QUOTA:
        return [args[0], *QUOTA_FLAGS, *args[1:]]
    return args


def python_env(token: str | None = TOKEN) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "CLOUDFLARE_API_TOKEN"}
    env["PYTHONPATH"] = str(ROOT)
    env.pop("NO_COLOR", None)
    if token is not None:
        env["CLOUDFLARE_API_TOKEN"] = token
    return env


@dataclass
class EmulatorProcess:
    process: subprocess.Popen[str]
    base_url: str
    output: list[str]

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> str:
        """Interrupt (Ctrl-C), wait, and return everything it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        return "".join(self.output)


@contextmanager
def emulator_process(state: Path, *extra: str) -> Iterator[EmulatorProcess]:
    """``spectrum-reconciler emulator --port 0 --state FILE`` as its own process."""
    args = [sys.executable, "-m", "reconciler", "emulator", *QUOTA_FLAGS, "--port", "0"]
    args += ["--state", str(state)]
    args += ["--zone", ZONE, "--zone", OTHER_ZONE, "--rate-limit", "1000000/1"]
    for prefix in DOC_PREFIXES:
        args += ["--byoip-prefix", prefix]
    process = subprocess.Popen(
        [*args, *extra],
        cwd=state.parent,
        env=python_env(token=None),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    found = LISTENING.search(first)
    assert found, f"the emulator did not announce itself: {first!r}"
    output = [first]
    reader = threading.Thread(target=lambda: output.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    running = EmulatorProcess(process, found.group(1), output)
    try:
        yield running
    finally:
        running.kill()
        reader.join(timeout=10)
        process.stdout.close()


def run_reconciler(
    args: list[str], cwd: Path, token: str | None = TOKEN, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reconciler", *with_quota(args)],
        cwd=cwd,
        env=python_env(token),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
