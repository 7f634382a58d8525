"""One client-side rate limiter, shared by every thread that talks to the API.

Cloudflare counts every request of a user (dashboard included) against 1200 per 300 s and
blocks the whole window once that is exceeded, so the client must never be the one to exceed it.
The limiter keeps a sliding log of the send times of the last ``window`` seconds and makes a caller
wait until a slot is free. The server's own view wins when it is stricter: a ``Ratelimit`` header
saying nothing remains, or a ``Retry-After`` on a 429, pauses every caller until then.

Waiting is where an interrupted apply used to spend minutes: a caller inside ``droppable(stop)``
that has sent nothing yet (or only requests the server refused with a 429) leaves its wait with
``NotSent`` as soon as ``stop`` is set. A wait longer than ``NOTICE_AFTER`` is told to ``on_wait``
once, so a paced run is never silent.
"""

from __future__ import annotations

import collections
import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterator
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
NOTICE_AFTER = 2.0  # seconds: a longer wait is told to ``on_wait``
_DROP_CHECK = 0.1  # seconds: how soon a droppable wait notices its stop


class NotSent(BaseException):
    """A droppable caller left its wait for a slot because its stop was set; it sent nothing
    the server processed. A BaseException, like KeyboardInterrupt: it is not the failure of a
    request, and code that reports every ``Exception`` as an action's failure lets it through."""


@dataclass
class _Unsent:
    """The droppable caller of one thread: its stop, and its requests that may have counted."""

    stop: threading.Event
    sent: int = 0


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
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        """``on_wait(seconds)`` hears of each wait longer than ``NOTICE_AFTER`` that starts
        after the last one told of has ended (threads waiting together make one notice)."""
        self.limit = limit
        self._windows = (_Window(limit), _Window(burst))
        self._paused_until = 0.0
        self._lock = threading.Lock()
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._told_until = float("-inf")
        self._local = threading.local()
        self.waited = 0.0

    def acquire(self) -> Slot:
        """Block until one more request may be sent, then count it as sent; ``settle`` the
        returned slot once its answer (or failure) is back. Raises ``NotSent`` out of the wait
        of a droppable caller that has sent nothing, once its stop is set."""
        while True:
            with self._lock:
                now = self._clock()
                delay = self._delay(now)
                if delay <= 0:
                    slot = Slot(now)
                    for window in self._windows:
                        window.sent.append(slot)
                    self._count_sent(1)
                    return slot
                tell = self._on_wait is not None and delay > NOTICE_AFTER
                tell = tell and now >= self._told_until
                if tell:
                    self._told_until = now + delay
            if tell and self._on_wait is not None:
                self._on_wait(delay)
            self.waited += delay
            self._wait(delay)

    @contextlib.contextmanager
    def droppable(self, stop: threading.Event) -> Iterator[None]:
        """While inside, this thread's waits end with ``NotSent`` once ``stop`` is set, for as
        long as it has sent nothing the server may have processed (see ``not_processed``)."""
        previous = getattr(self._local, "unsent", None)
        self._local.unsent = _Unsent(stop)
        try:
            yield
        finally:
            self._local.unsent = previous

    def not_processed(self) -> None:
        """This thread's last request was refused unprocessed (a 429): it does not count as
        sent, so a droppable caller that has sent only such requests may still be dropped."""
        self._count_sent(-1)

    def _count_sent(self, change: int) -> None:
        unsent: _Unsent | None = getattr(self._local, "unsent", None)
        if unsent is not None:
            unsent.sent = max(0, unsent.sent + change)

    def _wait(self, delay: float) -> None:
        unsent: _Unsent | None = getattr(self._local, "unsent", None)
        if unsent is None or unsent.sent:
            self._sleep(delay)
            return
        # In short slices through the same sleep, so that the transport's own cancel still
        # ends it; one Event cannot be waited on together with another.
        remaining = delay
        while remaining > 0:
            if unsent.stop.is_set():
                raise NotSent
            self._sleep(min(remaining, _DROP_CHECK))
            remaining -= _DROP_CHECK
        if unsent.stop.is_set():
            raise NotSent

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
