"""freezes: when a fixed or recurring window is in force — across daylight-saving changes too."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from reconciler.desired import freezes
from reconciler.desired.policy import active_freeze, from_declarations
from reconciler.model import Freeze, Guardrails

WEEKEND = Freeze(None, "weekend", "0 18 * * FRI", "64h", "Europe/Berlin")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("now", "ends"),
    [
        # An ordinary week (CET, UTC+1): Friday 18:00 to Monday 10:00 local.
        ("2026-01-09 16:59:59", None),
        ("2026-01-09 17:00:00", "2026-01-12 09:00:00"),
        ("2026-01-12 08:59:59", "2026-01-12 09:00:00"),
        ("2026-01-12 09:00:00", None),
        # Clocks go back on Sunday 2026-10-25: starts 18:00 CEST (16:00Z), ends 10:00 CET
        # (09:00Z) — 65 real hours, the same local hours.
        ("2026-10-23 15:59:00", None),
        ("2026-10-23 16:00:00", "2026-10-26 09:00:00"),
        ("2026-10-26 08:59:00", "2026-10-26 09:00:00"),
        ("2026-10-26 09:00:00", None),
        # Clocks go forward on Sunday 2026-03-29: starts 18:00 CET (17:00Z), ends 10:00 CEST
        # (08:00Z) — 63 real hours.
        ("2026-03-27 17:00:00", "2026-03-30 08:00:00"),
        ("2026-03-30 07:59:00", "2026-03-30 08:00:00"),
        ("2026-03-30 08:00:00", None),
    ],
)
def test_a_weekend_window_keeps_its_local_hours_across_dst(now: str, ends: str | None) -> None:
    end = freezes.window_end(WEEKEND, utc(now))
    assert (end.astimezone(timezone.utc) if end else None) == (utc(ends) if ends else None)


def test_a_start_in_the_spring_gap_runs_at_the_first_minute_after_it() -> None:
    nightly = Freeze(None, "backups", "30 2 * * *", "1h", "Europe/Berlin")
    # 02:30 does not exist on 2026-03-29 in Berlin: the window opens at 03:00 CEST (01:00Z).
    assert freezes.window_end(nightly, utc("2026-03-29 00:59:00")) is None
    end = freezes.window_end(nightly, utc("2026-03-29 01:00:00"))
    assert end is not None and end.astimezone(timezone.utc) == utc("2026-03-29 02:00:00")


def test_a_fixed_window_ends_at_until() -> None:
    fixed = Freeze("2026-12-24T00:00:00Z", "holidays")
    assert freezes.window_end(fixed, utc("2026-12-23 23:59:59")) == utc("2026-12-24 00:00:00")
    assert freezes.window_end(fixed, utc("2026-12-24 00:00:00")) is None


def test_of_several_windows_in_force_the_one_ending_last_is_reported() -> None:
    policy = Guardrails(freezes=(WEEKEND, Freeze("2026-01-20T00:00:00Z", "audit")))
    in_force = active_freeze(policy, utc("2026-01-09 18:00:00"))
    assert in_force == Freeze("2026-01-20T00:00:00Z", "audit")
    recurring = active_freeze(policy, utc("2026-01-23 18:00:00"))
    assert recurring == Freeze("2026-01-26T10:00:00+01:00", "weekend")
    assert active_freeze(policy, utc("2026-01-27 12:00:00")) is None


def test_a_file_declares_one_window_or_a_list_and_files_add_theirs_up() -> None:
    merged = from_declarations(
        [
            {"freeze": {"until": "2026-12-24T00:00:00Z", "reason": "holidays"}},
            {"freeze": [{"cron": "0 18 * * FRI", "duration": "64h", "reason": "weekend"}]},
        ]
    )
    assert merged.freezes == (
        Freeze("2026-12-24T00:00:00Z", "holidays"),
        Freeze(None, "weekend", "0 18 * * FRI", "64h", "UTC"),
    )


@pytest.mark.parametrize(
    ("window", "field", "says"),
    [
        ({"cron": "0 25 * * FRI", "duration": "1h", "reason": "x"}, "cron", "Bad hour"),
        ({"cron": "0 18 * *", "duration": "1h", "reason": "x"}, "cron", "not a cron expression"),
        (
            {"cron": "0 18 * * FRI", "duration": "1h", "timezone": "Europe/Berlim", "reason": "x"},
            "timezone",
            "no IANA time zone",
        ),
        ({"until": "2026-02-30T00:00:00Z", "reason": "x"}, "until", "not a real time"),
        (
            {"cron": "0 18 * * FRI", "duration": "99999999999h", "reason": "x"},
            "duration",
            "at most 10 years",  # was an internal error at plan time
        ),
    ],
)
def test_what_only_parsing_can_tell_is_a_problem(
    window: dict[str, str], field: str, says: str
) -> None:
    [(where, message)] = freezes.problems(window)
    assert where == field and says in message


def test_a_sound_window_has_no_problem() -> None:
    assert freezes.problems(WEEKEND.to_dict()) == []


def test_a_too_long_duration_is_one_located_line_from_validate(run_cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = '{cron: "0 18 * * FRI", duration: "99999999999h", reason: r}'
    (tmp_path / "z.yaml").write_text(f"zone: example.com\nfreeze: {window}\napps: []\n")
    result = run_cli(["validate", str(tmp_path / "z.yaml")])
    assert result.exit_code != 0 and "internal error" not in result.stderr
    assert "z.yaml:2:" in result.stdout + result.stderr
    assert "at most 10 years — write e.g. 64h" in result.stdout + result.stderr
