"""Settling an unclear write: read the zone, and let what it holds decide.

In: a reader of a zone's apps and the write in doubt. Out: the app an unclear create made (None:
it is absent, send it again), or the verdict on a failed delete (it returns: the app is gone, so
it was deleted; it raises ``UnclearWriteError``: the app is still there, intact, or the read
failed too). I/O only through the reader it is given.

Why: a POST that broke off or got a 5xx may have committed, and so may any attempt of a DELETE
the transport repeated, before its answer was lost. Sending the create again could make a second
app; reporting the delete failed would call a deleted app intact. Both are settled the same way:
by looking for the app in the zone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reconciler.errors import ApiError, UnclearWriteError
from reconciler.model import AppKey, LiveApp
from reconciler.planning.normalize import app_key

ZoneReader = Callable[[str], Sequence[LiveApp]]  # zone id -> every app of the zone


def _app_in_zone(
    read: ZoneReader, zone_id: str, wanted: Callable[[LiveApp], bool]
) -> LiveApp | None:
    """The first app of the zone that is ``wanted``, or None: the one look both settlings take."""
    return next((app for app in read(zone_id) if wanted(app)), None)


def created_app(read: ZoneReader, zone_id: str, key: AppKey) -> Mapping[str, Any] | None:
    """After a create of ``key`` whose outcome is unknown: the app it made, or None (absent)."""
    found = _app_in_zone(read, zone_id, lambda app: app_key(key.zone, app.config) == key)
    return None if found is None else found.config


def settle_delete(read: ZoneReader, zone_id: str, app_id: str, error: ApiError) -> None:
    """After a DELETE of ``app_id`` answered with ``error``: return when the app is gone (an
    attempt deleted it and its answer was lost), else raise ``UnclearWriteError``."""
    try:
        found = _app_in_zone(read, zone_id, lambda app: app.app_id == app_id)
    except Exception as read_error:  # a malformed listing too: the delete stays unknown
        unknown = (
            "whether the app is still there is unknown: reading the zone failed too "
            f"({_described(read_error)})"
        )
        raise UnclearWriteError(error, unknown, known=False) from error
    if found is not None:
        raise UnclearWriteError(error, "the app is still there, intact", known=True) from error


def _described(error: Exception) -> str:
    if isinstance(error, ApiError):
        return str(error)
    return f"unexpected {type(error).__name__}: {error}"
