"""RFC 3339 times read alike on every Python the package claims (``freeze.until``)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reconciler.desired.times import parse_duration, parse_time

UTC = timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-24T00:00:00Z", datetime(2026, 12, 24, tzinfo=UTC)),
        ("2026-12-24t00:00:00z", datetime(2026, 12, 24, tzinfo=UTC)),
        ("2026-12-24 18:30:05Z", datetime(2026, 12, 24, 18, 30, 5, tzinfo=UTC)),
        ("2026-12-24T18:30Z", datetime(2026, 12, 24, 18, 30, tzinfo=UTC)),
        ("2026-12-24T18:30:05", datetime(2026, 12, 24, 18, 30, 5, tzinfo=UTC)),  # no offset: UTC
        ("2026-12-24T18:30:05.5Z", datetime(2026, 12, 24, 18, 30, 5, 500000, tzinfo=UTC)),
        ("2026-12-24T18:30:05.123456789Z", datetime(2026, 12, 24, 18, 30, 5, 123456, tzinfo=UTC)),
        (
            "2026-12-24T18:30:05+01:00",
            datetime(2026, 12, 24, 18, 30, 5, tzinfo=timezone(timedelta(hours=1))),
        ),
        (
            "2026-12-24T18:30:05-05:30",
            datetime(2026, 12, 24, 18, 30, 5, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        ("  2099-01-01T00:00:00Z\n", datetime(2099, 1, 1, tzinfo=UTC)),
    ],
)
def test_every_shape_the_schema_allows_is_read(text: str, expected: datetime) -> None:
    parsed = parse_time(text)
    assert parsed == expected and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "2026-02-30T00:00:00Z",  # no such day
        "2026-12-24T24:00:00Z",
        "2026-12-24T00:60:00Z",
        "2026-12-24T00:00:00+24:00",
        "2026-12-24",
        "24/12/2026 00:00",
        "2026-12-24T00:00:00ZZ",
        "20261224T000000Z",  # ISO 8601 basic form: Python 3.11 reads it, RFC 3339 does not
        "",
    ],
)
def test_anything_else_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_time(text)


@pytest.mark.parametrize("text", ["inf", "Infinity", "1e400", "99999999999999999", "999999999h"])
def test_a_duration_too_long_to_mean_anything_is_refused_not_an_overflow(text: str) -> None:
    with pytest.raises(ValueError, match="at most 10 years"):
        parse_duration(text)


def test_ten_years_is_still_a_duration() -> None:
    assert parse_duration("87600h") == 10 * 365 * 86400


def test_a_moment_past_ten_years_is_not() -> None:
    with pytest.raises(ValueError, match="at most 10 years"):
        parse_duration("87600h1s")


@pytest.mark.parametrize("text", ["0s", "0h0m", "0.0s", "0ms"])
def test_a_zero_duration_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="longer than zero"):
        parse_duration(text)


def test_a_huge_traffic_window_is_one_usage_line_not_an_internal_error(run_cli, tmp_path) -> None:
    (tmp_path / "z.yaml").write_text("zone: example.com\napps: []\n")
    result = run_cli(["plan", str(tmp_path), "--sandbox", "--traffic-window", "99999999999999999"])
    assert result.exit_code != 0 and "internal error" not in result.stderr  # main() makes it 1
    assert "at most 10 years" in result.stderr
