"""The client-side limiter: a sliding window, a server-imposed pause, and parsing."""

from __future__ import annotations

import threading

import pytest

from reconciler.live.ratelimit import NotSent, RateLimit, RateLimiter


class FakeTime:
    """A clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(requests: int, seconds: float) -> tuple[RateLimiter, FakeTime]:
    fake = FakeTime()
    return RateLimiter(RateLimit(requests, seconds), clock=fake.clock, sleep=fake.sleep), fake


def test_requests_within_the_limit_do_not_wait() -> None:
    limit, fake = limiter(5, 10)
    for _ in range(5):
        limit.acquire()
    assert fake.sleeps == []


def test_the_request_over_the_limit_waits_for_the_oldest_to_leave_the_window() -> None:
    limit, fake = limiter(5, 10)
    for _ in range(6):
        limit.acquire()
    assert len(fake.sleeps) == 1
    assert 10.0 <= fake.sleeps[0] <= 10.2  # the window plus a small margin for network delay


def test_no_window_ever_holds_more_than_the_limit() -> None:
    limit, fake = limiter(7, 3)
    sent = []
    for _ in range(50):
        limit.acquire()
        sent.append(fake.now)
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 3) <= 7


def test_a_server_pause_holds_every_caller() -> None:
    limit, fake = limiter(100, 10)
    limit.pause(4.0)
    limit.acquire()
    assert fake.sleeps == [4.0]


@pytest.mark.parametrize(
    ("header", "paused"),
    [('"default";r=0;t=7', 7.0), ('"default";r=3;t=7', 0.0), ("", 0.0), ("garbage", 0.0)],
)
def test_the_ratelimit_header_pauses_only_when_nothing_remains(header: str, paused: float) -> None:
    limit, fake = limiter(100, 10)
    limit.observe(header)
    limit.acquire()
    assert sum(fake.sleeps) == paused


@pytest.mark.parametrize("text", ["abc", "10/x", "0/10", "5/0", "-1/5"])
def test_a_malformed_rate_limit_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match=r"N/SECONDS|at least 1"):
        RateLimit.parse(text)


def test_rate_limit_parses_count_and_window() -> None:
    assert RateLimit.parse("60/10") == RateLimit(60, 10.0)


def test_a_burst_cap_spreads_requests_within_the_long_window() -> None:
    fake = FakeTime()
    limit = RateLimiter(
        RateLimit(1000, 300), burst=RateLimit(5, 1.0), clock=fake.clock, sleep=fake.sleep
    )
    sent = []
    for _ in range(12):
        limit.acquire()
        sent.append(fake.now)
    for start in sent:
        assert sum(1 for t in sent if start <= t < start + 1.0) <= 5
    assert fake.now >= 2.0


class _WouldWait(Exception):
    """Raised by the test's sleep: the limiter asked a thread to wait."""


def test_threads_sharing_one_limiter_never_send_more_than_the_limit() -> None:
    """Many threads race for the last slots of a window; the lock lets exactly ``limit`` pass.

    Without the lock, two threads can both see room for one more request and both take it.
    The switch interval is shortened so the threads interleave between check and count.
    """
    import sys
    import threading

    def refuse_to_wait(seconds: float) -> None:
        raise _WouldWait

    limit = RateLimit(3000, 10_000.0)
    shared = RateLimiter(limit, burst=RateLimit(10**9, 1.0), sleep=refuse_to_wait)
    passed = [0] * 8
    start = threading.Barrier(len(passed))

    def worker(index: int) -> None:
        start.wait()
        try:
            while True:
                shared.acquire()
                passed[index] += 1
        except _WouldWait:
            return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(passed))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert sum(passed) == limit.requests


def test_remaining_counts_the_budget_left_and_refills_as_the_window_slides() -> None:
    limit, fake = limiter(5, 10.0)
    assert limit.remaining() == 5
    for _ in range(3):
        limit.acquire()
    assert limit.remaining() == 2
    fake.now += 11.0  # past the window and its small margin
    assert limit.remaining() == 5


def test_a_request_counts_from_its_answer_however_late_it_was_sent() -> None:
    limit, fake = limiter(2, 10)
    first = limit.acquire()  # acquired at 0, but the answer comes at 3 (a slow or late send)
    limit.acquire()
    fake.now = 3.0
    limit.settle(first)
    limit.acquire()  # the third waits until the first's answer has left the window
    assert 13.0 <= fake.now <= 13.2


# --- Ctrl-C: a caller that has sent nothing is dropped from its wait ------------------------


def stopped_at(seconds: float, requests: int = 1) -> tuple[RateLimiter, FakeTime, threading.Event]:
    """A limiter of ``requests`` per 300 s whose fake time brings Ctrl-C at ``seconds``."""
    fake, stop = FakeTime(), threading.Event()

    def sleep(duration: float) -> None:
        fake.sleep(duration)
        if fake.now >= seconds:
            stop.set()

    return RateLimiter(RateLimit(requests, 300), clock=fake.clock, sleep=sleep), fake, stop


def test_a_droppable_caller_that_sent_nothing_leaves_its_wait_once_stopped() -> None:
    limit, fake, stop = stopped_at(1.0)
    limit.acquire()  # another caller's request fills the window for 300 s
    with limit.droppable(stop), pytest.raises(NotSent):
        limit.acquire()
    assert fake.now <= 1.2  # left within a slice of the stop, not after the 300 s


def test_a_droppable_caller_that_has_sent_waits_for_its_slot() -> None:
    limit, fake, stop = stopped_at(1.0)
    with limit.droppable(stop):
        limit.acquire()  # its first write went out: what follows must finish
        limit.acquire()
    assert fake.now >= 300


def test_a_request_refused_with_a_429_does_not_count_as_sent() -> None:
    limit, fake, stop = stopped_at(1.0)
    with limit.droppable(stop), pytest.raises(NotSent):
        limit.acquire()
        limit.not_processed()  # a 429: the server processed nothing
        limit.acquire()
    assert fake.now <= 1.2


def test_outside_droppable_a_stop_changes_nothing() -> None:
    limit, fake, _stop = stopped_at(1.0)
    limit.acquire()
    limit.acquire()
    assert fake.now >= 300


# --- a long wait says so, once --------------------------------------------------------------


def test_a_wait_longer_than_two_seconds_is_told_once() -> None:
    told: list[float] = []
    fake = FakeTime()
    limit = RateLimiter(RateLimit(2, 300), clock=fake.clock, sleep=fake.sleep, on_wait=told.append)
    for _ in range(3):  # two fill the window; the third waits ~300 s
        limit.acquire()
    assert len(told) == 1 and 299 < told[0] <= 302


def test_short_waits_are_not_told() -> None:
    told: list[float] = []
    fake = FakeTime()
    limit = RateLimiter(RateLimit(1, 1.5), clock=fake.clock, sleep=fake.sleep, on_wait=told.append)
    for _ in range(5):
        limit.acquire()
    assert told == [] and fake.sleeps


def test_callers_waiting_together_make_one_notice() -> None:
    told: list[float] = []
    fake, release, lock = FakeTime(), threading.Event(), threading.Lock()
    asleep = threading.Semaphore(0)

    def sleep(duration: float) -> None:  # time stands still until every caller waits
        asleep.release()
        release.wait(10)
        with lock:
            fake.now += duration

    limit = RateLimiter(RateLimit(1, 300), clock=fake.clock, sleep=sleep, on_wait=told.append)
    limit.acquire()
    callers = [threading.Thread(target=limit.acquire) for _ in range(3)]
    for caller in callers:
        caller.start()
    for _ in callers:
        assert asleep.acquire(timeout=10)
    assert len(told) == 1  # three callers in one wait: one line
    release.set()
    for caller in callers:
        caller.join(timeout=10)
