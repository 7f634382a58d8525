"""Shell: the lines a command prints on stderr while it waits on the API.

"retrying (n/N) ...": without them a command that cannot reach the API was silent for ~18 s
and then failed. A burst of retries (32 zones read at once) must not flood the terminal either:
the first retry is always shown, then at most one line per ``interval`` seconds (the line says
how many requests are retrying). "waiting for the rate limit, about N s": a paced run that
waits minutes for its budget says so instead of looking hung.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from reconciler.logs import json_lines, line

DEFAULT_INTERVAL = 2.0


class RetryNotices:
    """A ``CloudflareClient(on_retry=...)`` callback printing rate-limited lines; thread-safe."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._interval = interval
        self._clock = clock
        self._last: float | None = None
        self._lock = threading.Lock()

    def __call__(self, text: str) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self._interval:
                return
            self._last = now
        stream = self._stream or sys.stderr
        stream.write(line(text, level="warning") + "\n")
        stream.flush()


class RateLimitWaits:
    """A ``CloudflareClient(on_wait=...)`` callback: one line per long wait for the rate limit.

    On a terminal the line first clears the one an in-place progress count may have left.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    def __call__(self, seconds: float) -> None:
        stream = self._stream or sys.stderr
        clear = "\r\x1b[K" if stream.isatty() and not json_lines() else ""
        waiting = f"waiting for the rate limit, about {math.ceil(seconds)} s"
        stream.write(clear + line(waiting) + "\n")
        stream.flush()
