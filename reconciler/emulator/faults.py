"""Rate limiting per credential and seeded fault injection.

In: a credential key and the clock (rate limiter); a request's kind (fault injector).
Out: a ``RateDecision`` carrying the ``Ratelimit`` headers, or the ``Fault`` a request meets,
and the answer each makes of a request (a 429, an error, a dropped connection).
Both are called under the emulator's lock, so the one ``random.Random`` is drawn in request
order and a seed replays the same faults for the same sequence of requests.
"""

from __future__ import annotations

import enum
import math
import random
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import reconciler.emulator.codes as codes
from reconciler.emulator.envelope import DroppedConnection, EmulatorResponse, Refusal, failure


@dataclass(frozen=True)
class RateDecision:
    """Whether a request may pass, and what the headers tell the client."""

    allowed: bool
    remaining: int
    reset_seconds: int  # until the oldest request in the window leaves it (a slot frees)
    headers: dict[str, str]


class RateLimiter:
    """A sliding window of ``limit`` requests per ``window`` seconds for each credential.

    Cloudflare blocks the credential for the whole window once it is exceeded; a sliding window
    frees one slot at a time instead, which is kinder and still makes every client meet a 429
    when it bursts past the quota. Refused requests do not take a slot.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float]) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._policy = f'"default";q={limit};w={math.ceil(window)}'
        self._seen: dict[str, deque[float]] = {}

    def check(self, key: str) -> RateDecision:
        """Count one request for ``key`` if there is room."""
        now = self._clock()
        seen = self._seen.setdefault(key, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        allowed = len(seen) < self.limit
        if allowed:
            seen.append(now)
        reset = math.ceil(seen[0] + self.window - now) if seen else 0
        remaining = self.limit - len(seen)
        headers = {
            "Ratelimit": f'"default";r={remaining};t={reset}',
            "Ratelimit-Policy": self._policy,
        }
        if not allowed:
            headers["Retry-After"] = str(max(reset, 1))
        return RateDecision(allowed, remaining, reset, headers)

    def reset(self) -> None:
        self._seen.clear()


class FaultKind(enum.Enum):
    """What can go wrong with one request."""

    SERVER_ERROR = "server_error"  # 500/502/503 with code 10002; nothing committed
    RATE_LIMITED = "rate_limited"  # 429 with code 971, Retry-After 1; nothing committed
    DROPPED = "dropped"  # connection closed before handling; nothing committed
    LOST_RESPONSE = "lost_response"  # a write commits, then the connection closes


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    status: int = 0  # for SERVER_ERROR


class FaultInjector:
    """With probability ``rate`` a request meets one fault, drawn uniformly from the four kinds."""

    def __init__(self, rate: float, seed: int) -> None:
        self.rate, self.seed = rate, seed
        self._random = random.Random(seed)

    def draw(self, *, is_write: bool) -> Fault | None:
        """The fault for the next request, or None. Reads cannot lose a committed write, so a
        lost response on a read is a dropped connection."""
        if self.rate <= 0 or self._random.random() >= self.rate:
            return None
        kind = self._random.choice(list(FaultKind))
        if kind is FaultKind.SERVER_ERROR:
            return Fault(kind, self._random.choice((500, 502, 503)))
        if kind is FaultKind.LOST_RESPONSE and not is_write:
            return Fault(FaultKind.DROPPED)
        return Fault(kind)

    def reset(self) -> None:
        """Re-seed, so a reset emulator replays the same faults."""
        self._random = random.Random(self.seed)


class ScriptedFaults(FaultInjector):
    """Faults on chosen writes instead of random draws: ``{2: FaultKind.DROPPED}`` drops the
    second write (numbered from 1, counted since the script was installed or last reset).

    ``fired`` records each ``(write number, kind)`` that happened, so a test can check that its
    script really ran. Reads never fault.
    """

    def __init__(self, script: Mapping[int, FaultKind]) -> None:
        super().__init__(0.0, 0)
        self.script = dict(script)
        self.writes = 0
        self.fired: list[tuple[int, FaultKind]] = []

    def draw(self, *, is_write: bool) -> Fault | None:
        if not is_write:
            return None
        self.writes += 1
        kind = self.script.get(self.writes)
        if kind is None:
            return None
        self.fired.append((self.writes, kind))
        return Fault(kind, 503 if kind is FaultKind.SERVER_ERROR else 0)

    def reset(self) -> None:
        """Start counting writes again, so a reset emulator replays the same script."""
        self.writes = 0
        self.fired = []


# --- what the client sees --------------------------------------------------------------------
def rate_limited_answer(headers: dict[str, str]) -> EmulatorResponse:
    """429 with code 971: the credential is over its quota (``headers`` say until when)."""
    refusal = Refusal.of(
        codes.RATE_LIMITED.status,
        codes.RATE_LIMITED.code,
        "Please wait and consider throttling your request speed",
    )
    refusal.headers.update(headers)
    return failure(refusal)


def fault_answer(fault: Fault, headers: dict[str, str]) -> EmulatorResponse | DroppedConnection:
    """What a fault other than a lost response makes of the request; nothing is committed."""
    if fault.kind is FaultKind.DROPPED:
        return DroppedConnection(committed=False)
    if fault.kind is FaultKind.RATE_LIMITED:
        return rate_limited_answer({**headers, "Retry-After": "1"})
    refusal = Refusal.of(
        fault.status, codes.INTERNAL.code, "Internal server error (injected fault)"
    )
    refusal.headers.update(headers)
    return failure(refusal)
