"""The journal failing at any line of an apply: nothing is lost, the failure is reported.

Every write point of every action kind is tried: the journal's file stops accepting lines from
the Nth on (a full disk, a file-size limit). Before the first API write that is an error with
nothing written (exit 1); after it, the action fails (exit 4) and a recreate or replace goes
through the same undo as an API failure: the old app is back, the new one gone. Only the
``apply-end`` line, after every write, may fail without failing the run.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.applying.journal import Journal
from reconciler.applying.report import ApplyReport, Status
from reconciler.cli.apply import exit_code
from reconciler.emulator import Emulator
from reconciler.errors import OutputFileError
from reconciler.plan import Plan
from tests.conftest import make_client, make_emulator

SSH = {
    "dns": {"type": "CNAME", "name": "ssh.example.com"},
    "protocol": "tcp/22",
    "origin_direct": ["tcp://192.0.2.1:22"],
}
WEB = {**SSH, "dns": {"type": "CNAME", "name": "web.example.com"}, "protocol": "tcp/80"}
SSH_MOVED = {**SSH, "origin_direct": ["tcp://192.0.2.2:22"]}
SSH_BYOIP = {
    **SSH,
    "dns": {"type": "ADDRESS", "name": "ssh.example.com"},
    "edge_ips": {"type": "static", "ips": ["198.51.100.10"]},
}
SSH_WIDER = {**SSH, "protocol": "tcp/22-23", "origin_direct": ["tcp://192.0.2.1:22-23"]}

# kind -> (live before, desired after); "replace" is a delete freeing a port for a create
CASES: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    "create": ([WEB], [WEB, SSH]),
    "update": ([WEB, SSH], [WEB, SSH_MOVED]),
    "delete": ([WEB, SSH], [WEB]),
    "recreate": ([WEB, SSH], [WEB, SSH_BYOIP]),
    "replace": ([WEB, SSH], [WEB, SSH_WIDER]),
}
UNDONE = ("recreate", "replace")  # a failure after the first write puts the old app back


class FailingFrom(io.StringIO):
    """A journal stream whose ``write`` fails from the ``fail_at``-th line on (0: never)."""

    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.fail_at, self.lines = fail_at, 0

    def write(self, text: str) -> int:
        self.lines += 1
        if self.fail_at and self.lines >= self.fail_at:
            raise OSError(27, "File too large")
        return super().write(text)


def write_config(directory: Path, apps: list[dict[str, Any]]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": "example.com", "apps": apps}))
    return str(directory)


def planned(emulator: Emulator, config: str) -> Plan:
    with make_client(emulator) as client:
        return workflow.plan_for(workflow.load([config]), client)


def apply_with(emulator: Emulator, plan: Plan, stream: io.StringIO) -> ApplyReport:
    journal = Journal(None)
    journal._stream = stream  # the file the journal appends to, failing on cue
    with make_client(emulator) as client:
        return Executor(client, parallelism=1, journal=journal).apply(plan)


Setup = Callable[[], tuple[Emulator, str, Plan]]


def setup_for(kind: str, tmp_path: Path) -> Setup:
    before, after = CASES[kind]

    def setup() -> tuple[Emulator, str, Plan]:
        emulator = make_emulator()
        v1 = write_config(tmp_path / "v1", before)
        with make_client(emulator) as client:
            Executor(client).apply(planned(emulator, v1))
        plan = planned(emulator, write_config(tmp_path / "v2", after))
        assert plan.has_changes
        return emulator, v1, plan

    return setup


def lines_of_a_clean_run(setup: Setup) -> int:
    emulator, _, plan = setup()
    stream = FailingFrom(0)
    assert apply_with(emulator, plan, stream).complete
    return stream.lines


@pytest.mark.parametrize("kind", sorted(CASES))
def test_a_journal_failing_at_any_line_loses_nothing_and_is_reported(
    kind: str, tmp_path: Path
) -> None:
    setup = setup_for(kind, tmp_path)
    total = lines_of_a_clean_run(setup)
    assert total >= 4  # apply-start, an attempt, an outcome, apply-end at least
    for fail_at in range(1, total + 1):
        emulator, v1, plan = setup()
        stream = FailingFrom(fail_at)
        where = f"{kind}: journal failing from line {fail_at} of {total}"
        if fail_at == 1:  # apply-start: before any write
            with pytest.raises(OutputFileError, match="File too large"):
                apply_with(emulator, plan, stream)
            assert not planned(emulator, v1).has_changes, where
            continue
        report = apply_with(emulator, plan, stream)
        if fail_at == total:  # apply-end, after every write: reported, not a failure
            assert report.complete, where
            continue
        assert not report.complete and exit_code(report) == 4, where
        failed = [o for o in report.outcomes if o.status is Status.FAILED]
        assert any("File too large" in o.detail for o in failed), where
        if kind in UNDONE:
            assert not planned(emulator, v1).has_changes, (where, report)
        else:  # one write: either it did not happen or it did
            v2 = str(tmp_path / "v2")
            assert not (planned(emulator, v1).has_changes and planned(emulator, v2).has_changes)


def test_a_replace_whose_journal_fails_after_the_delete_restores_the_old_app(
    tmp_path: Path,
) -> None:
    """The issue's case: tcp/22 -> tcp/22-23, the journal full right after the delete."""
    emulator, v1, plan = setup_for("replace", tmp_path)()
    report = apply_with(emulator, plan, FailingFrom(4))  # start, kept, attempt, *done*
    details = " ".join(o.detail for o in report.outcomes)
    assert "restored" in details and not report.complete
    assert not planned(emulator, v1).has_changes
