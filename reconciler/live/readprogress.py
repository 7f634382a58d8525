"""Shell: progress of a long read on stderr — zones read of the total, and the pace it keeps.

A plan of 100,000 apps in 1,000 zones needs more requests than Cloudflare's 1200 per 300 s
allow, so the client's limiter paces it over several minutes; without a word the command would
look hung. On a terminal one line is rewritten in place; elsewhere (CI logs) a line is printed at
every tenth of the way. Short reads print nothing: the first line waits ``quiet`` seconds.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from reconciler.logs import json_lines, line

STEPS_OFF_TERMINAL = 10
DEFAULT_QUIET = 1.0


class ReadProgress:
    """A ``CloudflareClient(on_zone_read=...)`` callback: ``(done, total)``; thread-safe."""

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        on_terminal: bool | None = None,
        quiet: float = DEFAULT_QUIET,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._on_terminal = on_terminal
        self._quiet = quiet
        self._clock = clock
        self._started = clock()  # made just before the read it reports
        self._last_done = 0
        self._shown_step = 0
        self._lock = threading.Lock()

    def __call__(self, done: int, total: int) -> None:
        with self._lock:
            if done < self._last_done:  # another read began
                self._started, self._shown_step = self._clock(), 0
            self._last_done = done
            if self._clock() - self._started < self._quiet:
                return
            stream = self._stream or sys.stderr
            terminal = stream.isatty() if self._on_terminal is None else self._on_terminal
            said = f"reading: {done}/{total} zones"
            if terminal and not json_lines():  # a JSON line is never rewritten in place
                stream.write(f"\r{said}" + ("\n" if done == total else ""))
            else:
                step = done * STEPS_OFF_TERMINAL // total
                if step <= self._shown_step:
                    return
                self._shown_step = step
                stream.write(line(f"{said} ({step * 100 // STEPS_OFF_TERMINAL}%)") + "\n")
            stream.flush()
