"""The apply result document: one entry per action, one word for the run, timings as given."""

from __future__ import annotations

import pytest

from reconciler.applying.report import ActionOutcome, ApplyReport, Status
from reconciler.applying.result import apply_result, result_word
from tests.scenarios import scenario_plan

ACTIONS = scenario_plan("mixed-plan").actions


def report(*statuses: Status, interrupted: bool = False) -> ApplyReport:
    outcomes = tuple(ActionOutcome(a, s) for a, s in zip(ACTIONS, statuses, strict=False))
    return ApplyReport(outcomes, interrupted=interrupted)


@pytest.mark.parametrize(
    ("run", "held", "word"),
    [
        (report(), False, "no-changes"),
        (report(Status.DONE, Status.DONE), False, "complete"),
        (report(Status.DONE), True, "held"),
        (report(Status.DONE, Status.FAILED), False, "incomplete"),
        (report(Status.STALE), False, "incomplete"),
        (
            ApplyReport((ActionOutcome(ACTIONS[0], Status.FAILED, refused=True),)),
            False,
            "nothing-written",
        ),
        (
            ApplyReport((ActionOutcome(ACTIONS[0], Status.FAILED, refused=True),)),
            True,
            "nothing-written",
        ),
        (report(Status.DONE, Status.SKIPPED, interrupted=True), False, "interrupted"),
    ],
)
def test_one_word_says_how_the_run_ended(run: ApplyReport, held: bool, word: str) -> None:
    assert result_word(run, held=held) == word


def test_timings_are_an_rfc_3339_instant_and_milliseconds() -> None:
    timed = ActionOutcome(ACTIONS[0], Status.DONE, started_at=0.0, seconds=0.01234)
    (entry,) = apply_result(ApplyReport((timed,)), exit_code=0)["actions"]
    assert entry["started"] == "1970-01-01T00:00:00.000+00:00"
    assert entry["duration_seconds"] == 0.012


def test_held_and_observed_actions_follow_the_ones_that_ran_and_are_counted() -> None:
    ran, held, observed = ACTIONS[0], ACTIONS[1], ACTIONS[2]
    document = apply_result(
        ApplyReport((ActionOutcome(ran, Status.DONE),)),
        exit_code=3,
        held=[held],
        observed=[observed],
    )
    assert [a["outcome"] for a in document["actions"]] == ["done", "held", "observed"]
    assert document["summary"]["total"] == 3 and document["summary"]["exit_code"] == 3


def test_a_detail_never_carries_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "secret-token-1234567890")
    failed = ActionOutcome(ACTIONS[0], Status.FAILED, "echoed secret-token-1234567890 back")
    (entry,) = apply_result(ApplyReport((failed,)), exit_code=4)["actions"]
    assert "secret-token" not in entry["detail"]
