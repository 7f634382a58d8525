"""The emulator's one clock: wall time plus the time ``POST /__emulator__/advance`` added.

In: the wall clock and the seconds advanced. Out: ``now()`` in the clock's own seconds, which
everything that changes with time reads (a service binding's provisioning, traffic accruing),
and ``from_wall`` to turn a time a client names (analytics ``since``/``until``, wall time) into
the clock's. Shown timestamps (``created_on``...) stay wall time: a client's "the last 24 h"
then covers the day the emulator was advanced through. The offset is persisted with the state.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable


class EmulatorClock:
    """Wall time shifted forward by ``offset`` seconds."""

    def __init__(self, wall: Callable[[], float] = time.time, offset: float = 0.0) -> None:
        self._wall = wall
        self.offset = offset

    def now(self) -> float:
        return self._wall() + self.offset

    def wall(self) -> float:
        """Wall time now: what a client would call now (a default ``until``)."""
        return self._wall()

    def from_wall(self, moment: float) -> float:
        """A wall time (what clients send) on this clock."""
        return moment + self.offset

    def advance(self, seconds: float) -> None:
        """Move forward; ``ValueError`` for a negative, infinite or absurd amount."""
        if not 0 <= seconds <= 10 * 365 * 86400:
            raise ValueError(f"seconds must be within 0..315360000, got {seconds}")
        self.offset += seconds


def seconds_in(body: bytes) -> float:
    """``{"seconds": N}`` -> N; ``ValueError`` saying what is wrong."""
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    seconds = document.get("seconds") if isinstance(document, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError("seconds must be a number")
    return float(seconds)
