"""The API token appears nowhere: not on stdout or stderr, not in saved plans, journals or
exported files, not in any log record (read raw, before the scrubber), not in the emulator's own
output — for every command, with --debug, on success and on every failure path."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    FAST_RETRY,
    TOKEN,
    ZONE,
    app_config,
    emulator_process,
    make_emulator,
    run_reconciler,
    write_big_config,
)

from reconciler.emulator import serve
from reconciler.live import cloudflare

pytestmark = pytest.mark.reliability


class Records(logging.Handler):
    """Every record of our loggers, formatted with its traceback, before any scrubbing."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record) + repr(record.args) + repr(record.__dict__))


@pytest.fixture
def records(monkeypatch: pytest.MonkeyPatch) -> Iterator[Records]:
    handler = Records()
    loggers = [logging.getLogger(name) for name in ("reconciler", "httpx", "httpcore")]
    for logger in loggers:
        logger.addHandler(handler)
    monkeypatch.setattr(cloudflare.client, "RetryPolicy", lambda: FAST_RETRY)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


def every_command(base_url: str, config: str, old: str, work: Path) -> list[list[str]]:
    api = ["--base-url", base_url, "--debug"]
    saved = work / "saved.json"
    commands = [["validate", "--debug", config]]
    for fmt in ("text", "json", "markdown"):
        commands.append(["plan", *api, "--format", fmt, "--out", str(saved), config])
    commands += [
        ["apply", "--plan", str(saved), *api, "--journal", str(work / "journal-plan.jsonl")],
        ["apply", "--auto-approve", *api, "--journal", str(work / "journal.jsonl"), config],
        ["drift", *api, config],
        ["adopt", *api, "--dry-run", config],
        ["addresses", *api, "--format", "json", config],
        ["export", *api, "--zone", ZONE, "--out", str(work / "exported.yaml")],
        ["export", *api, "--zone", ZONE],
        ["diff", "--debug", old, config],
    ]
    return commands


def scan(work: Path, texts: list[str]) -> tuple[int, list[str]]:
    """(places scanned, the places the token shows): every file under ``work``, then ``texts``."""
    places = {
        str(path): path.read_text(encoding="utf-8", errors="replace")
        for path in sorted(work.rglob("*"))
        if path.is_file()
    }
    places.update({f"output {i}": text for i, text in enumerate(texts)})
    return len(places), [name for name, text in places.items() if TOKEN in text]


SERVERS: dict[str, dict[str, Any]] = {
    "accepted": {"token": TOKEN},
    "refused-token": {"token": "some-other-token"},
    "rate-limited-429": {"token": TOKEN, "rate_limit": (12, 1.0)},
    "faults-5xx-dropped-lost": {"token": TOKEN, "fault_rate": 0.5, "seed": 3},
}


@pytest.mark.parametrize("server", list(SERVERS))
def test_no_command_prints_or_writes_the_token(
    server: str, run_cli, records: Records, tmp_path: Path, figures
) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "work"
    config = write_big_config(work / "config", count=12)
    old = work / "old"
    old.mkdir()
    (old / "apps.yaml").write_text(json.dumps({"zone": ZONE, "apps": [app_config(50)]}))
    emulator = make_emulator(**SERVERS[server])
    outputs: list[str] = []
    exits: set[int] = set()
    with serve(emulator) as running:
        for args in every_command(running.base_url, config, str(old), work):
            result = run_cli(args, env={"CLOUDFLARE_API_TOKEN": TOKEN})
            exits.add(result.exit_code)
            outputs += [result.stdout, result.stderr]
    if server == "refused-token":
        assert 1 in exits and "10000" in "".join(outputs)
    if server == "accepted":
        assert exits <= {0, 2}, "".join(outputs)
    assert records.lines, "the --debug log records were captured"
    scanned, found = scan(work, outputs + records.lines)
    figures(
        token_commands_run=len(outputs) // 2, token_places_scanned=scanned, token_found=len(found)
    )
    assert found == []


def test_no_process_prints_the_token_including_the_emulator(tmp_path: Path, figures) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "work"
    config = write_big_config(work / "config", count=12)
    old = work / "old"
    old.mkdir()
    (old / "apps.yaml").write_text(json.dumps({"zone": ZONE, "apps": [app_config(50)]}))
    outputs: list[str] = []
    state = tmp_path / "emulator.json"
    with emulator_process(state, "--token", TOKEN, "--debug", "--fault-rate", "0.1") as emulator:
        for args in every_command(emulator.base_url, config, str(old), work):
            done = run_reconciler(args, work)
            outputs += [done.stdout, done.stderr]
        refused = run_reconciler(
            ["plan", "--base-url", emulator.base_url, "--debug", config], work, token=TOKEN + "x"
        )
        outputs += [refused.stdout, refused.stderr]
        outputs.append(emulator.stop())
    scanned, found = scan(work, [*outputs, state.read_text()])
    figures(
        token_commands_run=len(outputs) // 2, token_places_scanned=scanned, token_found=len(found)
    )
    assert found == []
    assert refused.returncode == 1
    assert outputs[-1].startswith("listening on ")
