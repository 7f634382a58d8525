"""Shared fixtures: an in-process emulator, a client wired to it, a loopback server, the CLI."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from reconciler.cli import cli
from reconciler.emulator import Emulator, EmulatorConfig, serve
from reconciler.live.cloudflare import CloudflareClient, RetryPolicy
from reconciler.live.connect import SANDBOX_BASE_URL
from reconciler.live.ratelimit import RateLimit
from reconciler.logs import configure_logging

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DOC_PREFIXES = ("198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48")
# Retries in tests wait milliseconds, not seconds; the policy is the same.
FAST_RETRY = RetryPolicy(attempts=8, backoff_base=0.001, backoff_cap=0.01)


def make_emulator(**overrides: object) -> Emulator:
    settings: dict[str, object] = {
        "zones": ("example.com", "example.net"),
        "byoip_prefixes": DOC_PREFIXES,
    }
    settings.update(overrides)
    return Emulator(EmulatorConfig(**settings))  # type: ignore[arg-type]


def make_client(emulator: Emulator, **overrides: object) -> CloudflareClient:
    options: dict[str, object] = {
        "base_url": SANDBOX_BASE_URL,
        "transport": emulator.transport(),
        "retry": FAST_RETRY,
        "rate_limit": RateLimit(100_000, 1.0),
        "seed": 1,
    }
    options.update(overrides)
    return CloudflareClient("test-token", **options)  # type: ignore[arg-type]


class VirtualTime:
    """The client's clock and sleep: a 429's Retry-After is waited out (and counted in
    ``limiter.waited``) in no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._lock = threading.Lock()  # the executor's workers sleep concurrently

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def client_in_virtual_time(emulator: Emulator, **overrides: Any) -> CloudflareClient:
    time = VirtualTime()
    client = make_client(emulator, sleep=time.sleep, **overrides)
    client.limiter._clock = time.clock  # the client passes no clock through to its limiter
    return client


@pytest.fixture
def emulator() -> Emulator:
    return make_emulator()


@pytest.fixture
def client(emulator: Emulator) -> Iterator[CloudflareClient]:
    with make_client(emulator) as made:
        yield made


@pytest.fixture
def server(emulator: Emulator) -> Iterator[object]:
    with serve(emulator, host="127.0.0.1", port=0) as running:
        yield running


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run the CLI in a fresh directory (the sandbox state lands there), capturing both streams."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    for colour in ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"):
        monkeypatch.delenv(colour, raising=False)

    def run(
        args: Sequence[str], env: dict[str, str] | None = None, stdin: str | None = None
    ) -> CliResult:
        runner = CliRunner()
        try:
            result = runner.invoke(cli, list(args), env=env, input=stdin, catch_exceptions=False)
        finally:  # the line format is the process's: a --log-format json run must not leak
            configure_logging(verbose=False, debug=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run


def pytest_configure(config: pytest.Config) -> None:
    """Every run says what it skipped (tool_skips) and, asked to, writes its figures into the
    docs (figures_docs)."""
    from tests import figures_docs, tool_skips

    for plugin in (tool_skips, figures_docs):
        if not config.pluginmanager.is_registered(plugin):
            config.pluginmanager.register(plugin, plugin.__name__)
