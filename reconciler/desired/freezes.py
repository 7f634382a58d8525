"""Pure: change-freeze windows — when one is in force, and what is wrong with a declaration.

In: a zone's ``freeze`` as a file declares it (one window or a list), and a time. Out:
:class:`Freeze` values, the end of the window in force at that time (``None``: none is), and
the problems of a declaration the schema cannot see (a cron expression that does not parse, an
unknown time zone, an impossible date).

A fixed window (``until``) is in force before ``until``. A recurring one starts at every time its
``cron`` expression names on the wall clock of its ``timezone`` (cronsim: a start that falls in a
spring-forward gap runs at the first minute after it, one in an autumn repeat runs once) and lasts
``duration`` *on that wall clock*: ``0 18 * * FRI`` for ``64h`` always ends Monday 10:00 local,
so a weekend freeze that crosses a daylight-saving change lasts 63 or 65 real hours. cronsim
(not croniter) because it has no dependencies, is typed, iterates backwards — the window in
force is the one that started last — and specifies its DST behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from reconciler.desired.times import parse_duration, parse_time
from reconciler.model import Freeze

DEFAULT_TIMEZONE = "UTC"


def windows_from(declared: Any) -> list[Freeze]:
    """The windows of one file's ``freeze`` (a mapping or a list of them; schema-checked)."""
    items = declared if isinstance(declared, list) else [declared] if declared else []
    return [_window(item) for item in items]


def _window(item: Mapping[str, Any]) -> Freeze:
    reason = str(item["reason"])
    if "cron" in item:
        zone = str(item.get("timezone", DEFAULT_TIMEZONE))
        return Freeze(None, reason, str(item["cron"]), str(item["duration"]), zone)
    return Freeze(str(item["until"]), reason)


def window_end(freeze: Freeze, now: datetime) -> datetime | None:
    """When the window in force at ``now`` (aware) ends, or ``None`` if it is not in force."""
    if not freeze.recurring:
        until = parse_time(str(freeze.until))
        return until if now < until else None
    zone = ZoneInfo(freeze.timezone or DEFAULT_TIMEZONE)
    local = now.astimezone(zone)
    # Backwards from just after now: the last start at or before now (cronsim's reverse
    # iteration excludes its starting point).
    start = next(CronSim(str(freeze.cron), _next_whole_second(local), reverse=True))
    end = start + timedelta(seconds=parse_duration(str(freeze.duration)))  # wall-clock sum
    return end if now < end else None


def _next_whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def describe(freeze: Freeze) -> str:
    """How a plan names the window: ``until 2026-12-24T00:00:00Z`` or its cron schedule."""
    if freeze.recurring:
        return f"from {freeze.cron!r} for {freeze.duration} ({freeze.timezone})"
    return f"until {freeze.until}"


def problems(item: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, what is wrong) for one schema-valid window: what only parsing can tell."""
    found = []
    if isinstance(item.get("until"), str):
        try:
            parse_time(item["until"])
        except ValueError:
            found.append(("until", f"freeze.until {item['until']!r} is not a real time"))
    if isinstance(item.get("cron"), str):
        try:
            CronSim(item["cron"], datetime(2026, 1, 1, tzinfo=ZoneInfo(DEFAULT_TIMEZONE)))
        except CronSimError as error:
            message = f"freeze.cron {item['cron']!r} is not a cron expression: {error}"
            found.append(("cron", message))
    if isinstance(item.get("duration"), str | int | float):
        try:
            parse_duration(str(item["duration"]))
        except ValueError as error:
            found.append(("duration", f"freeze.duration: {error}"))
    if isinstance(item.get("timezone"), str) and not _known_zone(item["timezone"]):
        found.append(("timezone", f"freeze.timezone {item['timezone']!r} is no IANA time zone"))
    return found


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
