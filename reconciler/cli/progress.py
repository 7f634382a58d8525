"""Apply's progress on stderr: monotonic done/failed/skipped counts, and the one line a Ctrl-C
prints. In: each recorded outcome and the running tally. Out: lines on a stream."""

from __future__ import annotations

import sys
from typing import TextIO

from reconciler.applying.report import ActionOutcome, Tally

_STEPS_OFF_TERMINAL = 10  # a long apply reports each tenth; a short one only its end


class ApplyProgress:
    """Progress on stderr while applying: done, failed and skipped counts, which only grow.

    The outcome of every action is printed once, in the summary on stdout. On a terminal the
    count is one line rewritten in place; off it (CI logs) a line every tenth of the way.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.on_terminal = self.stream.isatty()

    def recorded(self, outcome: ActionOutcome, tally: Tally) -> None:
        line = f"applying: {tally.line()}"
        last = tally.recorded == tally.total
        if self.on_terminal:
            self._write(f"\r{line}" + ("\n" if last else ""))
            return
        short = tally.total < 2 * _STEPS_OFF_TERMINAL
        step = tally.total if short else tally.total // _STEPS_OFF_TERMINAL
        if last or tally.recorded % step == 0:
            self._write(line + "\n")

    def interrupted(self) -> None:
        start = "\n" if self.on_terminal else ""  # after the ^C the terminal echoed
        self._write(f"{start}{INTERRUPTED_LINE}\n")

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()


INTERRUPTED_LINE = "interrupted (Ctrl-C): actions that have written finish, nothing new starts"
