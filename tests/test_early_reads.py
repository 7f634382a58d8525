"""plan reads the zones while the files are validated; what the files say still comes first."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying.early_reads import named_zones
from reconciler.desired import configuration
from reconciler.desired.document import Document
from reconciler.emulator import Emulator, serve
from reconciler.errors import TransportError
from reconciler.live.accounts import Accounts
from reconciler.live.connect import Connection
from reconciler.model import DesiredState, Problem, ZoneSpec
from tests.conftest import EXAMPLES, make_emulator

TOKEN = "early-token"


def _doc(**data: Any) -> Document:
    return Document("z.yaml", data, {}, {})


def test_named_zones_are_each_distinct_declaration_of_the_parsed_files() -> None:
    zones = named_zones(
        [
            _doc(zone="Example.COM.", apps=[]),
            _doc(zone="example.com", apps=[]),  # the same zone from a second file: read once
            _doc(zone_id="0123abcd", token_env="TEAM_TOKEN"),
            _doc(zone=7, zone_id=["not", "a", "string"]),  # nothing readable: no zone
        ]
    )
    assert [(z.name, z.zone_id, z.token_env) for z in zones] == [
        ("example.com", None, None),
        (None, "0123abcd", "TEAM_TOKEN"),
    ]


def _validation_waiting_for_a_read(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, seen: list[int]
) -> None:
    """Validation that first waits (up to 10 s) for the emulator to answer a request: it only
    ever sees one if the reads started before the files were validated."""
    validate = configuration.desired_state_from_documents

    def slow(documents: Sequence[Document], problems: Sequence[Problem]) -> DesiredState:
        deadline = time.monotonic() + 10
        while emulator.stats()["total"] == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        seen.append(emulator.stats()["total"])
        return validate(documents, problems)

    monkeypatch.setattr(configuration, "desired_state_from_documents", slow)


def test_the_reads_start_before_the_files_are_validated(run_cli, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    emulator = make_emulator(token=TOKEN)
    seen: list[int] = []
    _validation_waiting_for_a_read(monkeypatch, emulator, seen)
    plan = ["plan", "--format", "json", str(EXAMPLES)]
    env = {"CLOUDFLARE_API_TOKEN": TOKEN}
    with serve(emulator, host="127.0.0.1", port=0) as running:
        early = run_cli([*plan, "--base-url", running.base_url], env=env)
        early_requests = emulator.stats()["total"]
        monkeypatch.undo()
        # --zone narrows after validation, so it reads afterwards: the requests to match
        zones = ["--zone", "example.com", "--zone", "example.net"]
        after = run_cli([*plan, *zones, "--base-url", running.base_url], env=env)
        after_requests = emulator.stats()["total"] - early_requests
    assert early.exit_code == after.exit_code == 0, early.stderr + after.stderr
    assert seen and seen[0] > 0, "a zone was being read while the files were validated"
    assert early_requests == after_requests
    assert _without_time(early.stdout) == _without_time(after.stdout)


def _without_time(plan_json: str) -> str:
    return "\n".join(
        line
        for line in plan_json.splitlines()
        if '"made_at"' not in line and "checksum" not in line
    )


def test_the_files_problems_win_over_the_reads(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.yaml"
    bad.write_text("zone: example.com\napps:\n  - dns: {name: a.example.com}\n")
    emulator = make_emulator(token="another-token")  # the reads would be refused (10000)
    with serve(emulator, host="127.0.0.1", port=0) as running:
        result = run_cli(
            ["plan", "--base-url", running.base_url, str(bad)],
            env={"CLOUDFLARE_API_TOKEN": TOKEN},
        )
    assert result.exit_code == 1
    assert f"{bad}:3:5:" in result.stderr and "10000" not in result.stderr


def test_a_failed_read_is_said_as_before(run_cli) -> None:  # type: ignore[no-untyped-def]
    emulator = make_emulator(token="another-token")
    with serve(emulator, host="127.0.0.1", port=0) as running:
        result = run_cli(
            ["plan", "--base-url", running.base_url, str(EXAMPLES)],
            env={"CLOUDFLARE_API_TOKEN": TOKEN},
        )
    assert result.exit_code == 1 and "10000" in result.stderr and result.stdout == ""


def test_a_client_opened_after_the_cancel_reads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """The early reads are cancelled from the command's thread while theirs may still be
    opening clients: a client opened after the cancel starts cancelled, and sends nothing."""
    emulator = make_emulator(token=TOKEN)
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    with serve(emulator) as running, Accounts(Connection(base_url=running.base_url)) as accounts:
        accounts.cancel()
        with pytest.raises(TransportError, match="cancelled"):
            accounts.fetch_live([ZoneSpec("example.com", None)])
    assert emulator.stats()["total"] == 0
