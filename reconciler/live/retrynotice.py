"""Shell: the "retrying (n/N) ..." lines a command prints on stderr while the network fails.

Without them a command that cannot reach the API was silent for ~18 s and then failed. A
burst of retries (32 zones read at once) must not flood the terminal either: the first retry
is always shown, then at most one line per ``interval`` seconds, which says how many retries
it stands for.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from reconciler.logs import scrub

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
        self._held = 0
        self._lock = threading.Lock()

    def __call__(self, line: str) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None and now - self._last < self._interval:
                self._held += 1
                return
            more = f" (and {self._held} more)" if self._held else ""
            self._last, self._held = now, 0
        stream = self._stream or sys.stderr
        stream.write(scrub(f"{line}{more}") + "\n")
        stream.flush()
