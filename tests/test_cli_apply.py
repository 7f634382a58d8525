"""What ``apply`` says while and after it runs: progress counts, the summary, the exit code."""

from __future__ import annotations

import io

from reconciler.applying.report import ActionOutcome, ApplyReport, Status, Tally
from reconciler.cli.apply import exit_code
from reconciler.cli.output import apply_summary
from reconciler.cli.progress import INTERRUPTED_LINE, ApplyProgress
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind

ACTION = Action(ActionKind.CREATE, AppKey("example.com", "a.example.com", "tcp/22"), "z")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def outcome(status: Status) -> ActionOutcome:
    return ActionOutcome(ACTION, status)


def test_off_a_terminal_progress_counts_done_failed_and_skipped_apart() -> None:
    stream = io.StringIO()
    progress = ApplyProgress(stream)
    tally = Tally(40)
    for status in [Status.DONE] * 20 + [Status.SKIPPED] * 20:
        tally = tally.adding(status)
        progress.recorded(outcome(status), tally)
    lines = stream.getvalue().splitlines()
    assert lines[-1] == "applying: 20 done, 0 failed, 20 skipped of 40"
    assert lines[1] == "applying: 8 done, 0 failed, 0 skipped of 40"  # a line per tenth
    assert len(lines) == 10


def test_on_a_terminal_progress_is_one_line_rewritten_then_ended() -> None:
    stream = Terminal()
    progress = ApplyProgress(stream)
    tally = Tally(2)
    for status in (Status.DONE, Status.FAILED):
        tally = tally.adding(status)
        progress.recorded(outcome(status), tally)
    assert stream.getvalue() == (
        "\rapplying: 1 done, 0 failed, 0 skipped of 2\rapplying: 1 done, 1 failed, 0 skipped of 2\n"
    )


def test_ctrl_c_is_one_plain_line_starting_after_the_terminals_echo() -> None:
    stream = Terminal()
    ApplyProgress(stream).interrupted()
    assert stream.getvalue() == f"\n{INTERRUPTED_LINE}\n"
    assert "WARNING" not in INTERRUPTED_LINE


def test_an_interrupt_after_every_action_was_done_exits_4_and_says_nothing_is_left() -> None:
    report = ApplyReport((outcome(Status.DONE),), interrupted=True)
    assert exit_code(report) == 4
    *_, last = apply_summary(report)
    assert "nothing left to do" in last and "run apply again" not in last


def test_an_interrupt_with_actions_left_says_to_run_again() -> None:
    report = ApplyReport((outcome(Status.DONE), outcome(Status.SKIPPED)), interrupted=True)
    assert exit_code(report) == 4
    *_, last = apply_summary(report)
    assert "run apply again" in last and "1 skipped" in last


def test_an_interrupt_before_any_write_exits_1() -> None:
    assert exit_code(ApplyReport((outcome(Status.SKIPPED),), interrupted=True)) == 1


def test_every_write_refused_exits_1_and_says_nothing_was_written() -> None:
    refused = ActionOutcome(ACTION, Status.FAILED, "HTTP 400: port in use", refused=True)
    report = ApplyReport((refused, outcome(Status.SKIPPED)))
    assert exit_code(report) == 1
    assert exit_code(report, held=True) == 1  # a held zone wrote nothing either
    *_, last = apply_summary(report)
    assert last.startswith("Apply wrote NOTHING — Cloudflare refused every write"), last
    assert "INCOMPLETE" not in last and "1 failed, 1 skipped" in last


def test_a_failure_that_may_have_landed_is_still_a_partial_apply() -> None:
    unknown = ActionOutcome(ACTION, Status.FAILED, "HTTP 503")
    refused = ActionOutcome(ACTION, Status.FAILED, "HTTP 400", refused=True)
    for report in (ApplyReport((unknown,)), ApplyReport((refused, unknown))):
        assert exit_code(report) == 4
        *_, last = apply_summary(report)
        assert last.startswith("Apply INCOMPLETE"), last


def test_ctrl_c_after_refusals_only_exits_1() -> None:
    refused = ActionOutcome(ACTION, Status.FAILED, "HTTP 400", refused=True)
    assert exit_code(ApplyReport((refused, outcome(Status.SKIPPED)), interrupted=True)) == 1
