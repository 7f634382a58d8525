"""One client-side rate limiter, shared by every thread that talks to the API.

Cloudflare counts every request of a user (dashboard included) against 1200 per 300 s and
blocks the whole window once that is exceeded, so the client must never be the one to exceed it.
The limiter keeps a sliding log of the send times of the last ``window`` seconds and makes a caller
wait until a slot is free. The server's own view wins when it is stricter: a ``Ratelimit`` header
saying nothing remains, or a ``Retry-After`` on a 429, pauses every caller until then.
"""

from __future__ import annotations

import collections
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

_RATELIMIT_HEADER = re.compile(r"r=(?P<remaining>\d+)\s*;\s*t=(?P<reset>\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class RateLimit:
    """``requests`` per ``seconds``; parses ``"1200/300"`` as given on the command line."""

    requests: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        try:
            count, _, window = text.partition("/")
            limit = cls(int(count), float(window or "1"))
        except ValueError:
            raise ValueError(f'rate limit "{text}" is not N/SECONDS (e.g. 1200/300)') from None
        if limit.requests < 1 or limit.seconds <= 0:
            raise ValueError(f'rate limit "{text}" must allow at least 1 request per positive time')
        return limit


CLOUDFLARE_DEFAULT = RateLimit(1200, 300.0)
# Cloudflare also caps each client IP at 200 requests per second; concurrent zone reads could
# otherwise burst past it while staying far inside the five-minute budget.
CLOUDFLARE_BURST = RateLimit(200, 1.0)


class RateLimiter:
    """A thread-safe limiter over sliding windows, with a pause the server can impose.

    Two windows are kept, both of send times: the account budget (``limit``) and the per-IP
    burst cap (``burst``). A request waits until both have room.
    """

    def __init__(
        self,
        limit: RateLimit = CLOUDFLARE_DEFAULT,
        *,
        burst: RateLimit = CLOUDFLARE_BURST,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self._windows = (_Window(limit), _Window(burst))
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self.waited = 0.0

    def acquire(self) -> Slot:
        """Block until one more request may be sent, then count it as sent; ``settle`` the
        returned slot once its answer (or failure) is back."""
        while True:
            with self._lock:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    slot = Slot(now)
                    for window in self._windows:
                        window.sent.append(slot)
                    return slot
            self.waited += delay
            self._sleep(delay)

    def settle(self, slot: Slot) -> None:
        """The request of ``slot`` is answered: it stays in the windows from now on.

        The server counted it somewhere between send and answer, and a loaded client can send
        well after ``acquire`` (threads waiting for the interpreter): counting from the answer
        keeps the server's count of any window within the limit whatever that lag was. (At
        120/30 s with 32 readers on a busy machine, counting from ``acquire`` drew 70 429s.)
        """
        with self._lock:
            slot.at = max(slot.at, self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every caller for ``seconds`` (a 429's Retry-After, or an exhausted window)."""
        with self._lock:
            self._paused_until = max(self._paused_until, self._clock() + seconds)

    def observe(self, ratelimit_header: str | None) -> None:
        """Honour the server's ``Ratelimit: "default";r=R;t=T``: with nothing left, wait T."""
        if not ratelimit_header:
            return
        match = _RATELIMIT_HEADER.search(ratelimit_header)
        if match and int(match["remaining"]) == 0:
            self.pause(float(match["reset"]))

    def remaining(self) -> int:
        """Requests the budget window still allows now (the burst cap aside)."""
        with self._lock:
            budget = self._windows[0]
            budget.delay(self._clock())  # drops send times that left the window
            return max(0, budget.requests - len(budget.sent))

    def _delay(self, now: float) -> float:
        waits = [window.delay(now) for window in self._windows]
        return max(self._paused_until - now, *waits)


class Slot:
    """One request's place in the windows: from when it counts (its send, then its answer)."""

    __slots__ = ("at",)

    def __init__(self, at: float) -> None:
        self.at = at


class _Window:
    """One sliding window: at most ``requests`` send times within ``span`` seconds."""

    def __init__(self, limit: RateLimit) -> None:
        self.requests = limit.requests
        # Requests reach the server a little after we send them, and not all equally late; a
        # small margin on the window keeps the server's count of any window within the limit.
        self.span = limit.seconds + min(1.0, max(0.05, limit.seconds * 0.01))
        self.sent: collections.deque[Slot] = collections.deque()

    def delay(self, now: float) -> float:
        """Seconds until this window has room (0 when it has room now)."""
        # Oldest first by send; a slot settled late may outlive a later one: waiting on the
        # oldest is then longer than needed, never shorter.
        while self.sent and self.sent[0].at + self.span <= now:
            self.sent.popleft()
        if len(self.sent) < self.requests:
            return 0.0
        return self.sent[0].at + self.span - now
