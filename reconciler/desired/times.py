"""Pure: the RFC 3339 times and the durations the files and flags write, read alike everywhere.

``datetime.fromisoformat`` is no parser for them: before Python 3.11 it refuses a trailing ``Z``
and fractions of other than 3 or 6 digits, so a ``freeze`` that validates on 3.11 was refused on
3.10. This reads exactly the shape the schema allows — ``YYYY-MM-DD``, ``T``/``t``/space,
``HH:MM[:SS[.fraction]]``, then ``Z``/``z``, ``±HH:MM`` or nothing (UTC) — the same everywhere.
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta, timezone

_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?"
    r"(?P<offset>[Zz]|(?P<sign>[+-])(?P<off_hour>\d{2}):(?P<off_minute>\d{2}))?"
)


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``2026-12-24T00:00:00Z``), always aware; no offset means UTC.

    Raises ``ValueError`` for any other shape or an impossible date or time (``2026-02-30``).
    Fractions beyond microseconds are cut, not rounded (a freeze ends no later than written).
    """
    found = _RFC3339.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day = (int(part) for part in found["date"].split("-"))
    microsecond = int((found["fraction"] or "0")[:6].ljust(6, "0"))
    return datetime(
        year,
        month,
        day,
        int(found["hour"]),
        int(found["minute"]),
        int(found["second"] or 0),
        microsecond,
        tzinfo=_offset(found),
    )


def _offset(found: re.Match[str]) -> timezone:
    if not found["sign"]:
        return timezone.utc
    minutes = int(found["off_hour"]) * 60 + int(found["off_minute"])
    if minutes >= 24 * 60:
        raise ValueError("a UTC offset is less than 24 hours")
    return timezone(timedelta(minutes=-minutes if found["sign"] == "-" else minutes))


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


# Chosen: longer is a typo, and a sum past it overflows the datetime arithmetic it feeds
# (a traffic window's start, a freeze's end) instead of being refused.
MAX_DURATION_S = 10 * 365 * 86400.0


def parse_duration(text: str) -> float:
    """Seconds in ``30s``, ``5m``, ``1h30m``, ``250ms`` (or a bare number of seconds).

    Longer than zero and at most 10 years (``inf`` and ``1e400`` are not durations).
    """
    spelled = text.strip().lower()
    seconds = _bare_seconds(spelled)
    if seconds is None:
        parts = _DURATION_PART.findall(spelled)
        if not parts or "".join(n + u for n, u in parts) != spelled:
            raise ValueError(f"{text!r} is not a duration like 30s, 5m or 1h30m")
        seconds = sum(float(n) * _UNIT_SECONDS[u] for n, u in parts)
    if seconds <= 0:
        raise ValueError(f"{text!r} must be longer than zero")
    if seconds > MAX_DURATION_S:  # inf too
        raise ValueError(f"{text!r} is too long: a duration is at most 10 years")
    return seconds


def _bare_seconds(spelled: str) -> float | None:
    """A bare number of seconds, or None when ``spelled`` is not one."""
    with contextlib.suppress(ValueError):
        seconds = float(spelled)
        if seconds > 0:  # nan is not: refused as no duration below
            return seconds
    return None
