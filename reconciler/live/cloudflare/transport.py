"""I/O: one API request in, one v4 envelope out — paced, retried where that is safe.

The token lives here, in ``Token`` (whose repr hides it), and is sent only in the Authorization
header. ``retries`` decides what may be repeated (a 429 always; a broken connection or a 5xx only
for idempotent methods, since a POST's outcome is then unknown — ``CloudflareClient.create_app``
settles it by reading the zone); this module paces, sends, waits and repeats.
"""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler import __version__
from reconciler.errors import ApiError, TransportError
from reconciler.live.cloudflare.envelope import error_codes, parse_envelope
from reconciler.live.cloudflare.retries import describe, hopeless, is_idempotent, retry_after
from reconciler.live.ratelimit import CLOUDFLARE_DEFAULT, RateLimit, RateLimiter
from reconciler.live.urls import https_or_loopback

log = logging.getLogger("reconciler.live.cloudflare")

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
_CANCELLED = "interrupted (Ctrl-C); nothing more was sent — re-run when ready"
_BAD_HEADER = (
    "check CLOUDFLARE_API_TOKEN for spaces, line breaks or non-ASCII characters "
    "(copy the token again)"
)

# Told of every exchange: method, HTTP status (0 when no response came) and Cloudflare's error
# codes. Called from the sending thread; metrics (and nothing else) listen.
RequestObserver = Callable[[str, int, tuple[int, ...]], None]


class Token:
    """The API token; never printed, never in a repr, only ever in the Authorization header."""

    def __init__(self, value: str) -> None:
        self._value = value

    def header(self) -> str:
        return f"Bearer {self._value}"

    def __repr__(self) -> str:
        return "Token(***)"

    __str__ = __repr__


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently idempotent requests are repeated."""

    attempts: int = 8
    backoff_base: float = 0.25
    backoff_cap: float = 8.0
    retry_after_cap: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Capped exponential backoff with full jitter in its upper half."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0**attempt)
        return float(ceiling * (0.5 + rng.random() / 2))


def check_base_url(base_url: str) -> str:
    """Refuse plain http:// except to loopback, where the emulator lives."""
    if https_or_loopback(base_url):
        return base_url.rstrip("/")
    shown = base_url.split("?")[0]
    raise ApiError(
        "",
        shown,
        detail=f"base URL {shown} must be https:// (plain http:// only to loopback)",
        hint="pass --base-url https://… or http://127.0.0.1:PORT/client/v4 for the emulator",
    )


RetryNotice = Callable[[str], None]


class Transport:
    """Sends requests to one base URL with one token, pacing and retrying them.

    ``on_retry`` hears one short line per retry (the CLI prints them, rate-limited, so a failing
    network is never silent). ``cancel()`` ends every wait at once: pending retries give up and
    raise, so Ctrl-C does not wait out a backoff in a reader thread. ``sleep`` replaces the
    waits (tests pass a no-op); by default they are cancellable.
    """

    def __init__(
        self,
        token: str,
        *,
        base_url: str,
        transport: httpx.BaseTransport | None,
        rate_limit: RateLimit = CLOUDFLARE_DEFAULT,
        retry: RetryPolicy,
        timeout: float,
        sleep: Callable[[float], None] | None = None,
        seed: int | None = None,
        on_retry: RetryNotice | None = None,
        observer: RequestObserver | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        self._token = Token(token)
        self._observer = observer
        self.base_url = check_base_url(base_url)
        self._cancelled = threading.Event()
        self.sleep = sleep or self._cancellable_sleep
        self.limiter = RateLimiter(rate_limit, sleep=self.sleep, on_wait=on_wait)
        self.retry = retry
        self.requests_sent = 0
        self.rng = random.Random(seed)
        self._on_retry = on_retry
        self._lock = threading.Lock()
        self._retrying = 0  # requests between their first retry and their end
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": f"spectrum-reconciler/{__version__}"},
        )

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def cancel(self) -> None:
        """Stop waiting: every backoff ends now and no request is repeated after it."""
        self._cancelled.set()

    def _cancellable_sleep(self, seconds: float) -> None:
        # Raising (not just waking) matters: the rate limiter loops until a slot frees, and a
        # wait that returns at once would turn that loop into a busy one.
        if self._cancelled.wait(seconds):
            raise _Cancelled

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        gone_is_done: bool = False,
    ) -> Mapping[str, Any]:
        """The success envelope of ``method path``, after the retries that are safe; else raise.

        ``gone_is_done``: a 404 on a repeated attempt means an earlier one already deleted it.
        """
        tries = _Tries()
        try:
            return self._attempts(method, path, params, json, gone_is_done, tries)
        except _Cancelled:
            raise TransportError(method, path, detail="cancelled", hint=_CANCELLED) from None
        finally:
            if tries.retried:
                with self._lock:
                    self._retrying -= 1

    def _attempts(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
        gone_is_done: bool,
        tries: _Tries,
    ) -> Mapping[str, Any]:
        repeatable = is_idempotent(method)
        for attempt in range(self.retry.attempts):
            last_try = attempt == self.retry.attempts - 1
            self._stop_if_cancelled()
            try:
                response = self._send(method, path, params, json)
            except (httpx.LocalProtocolError, UnicodeEncodeError):
                # A header httpx will not send (a token with a line break or non-ASCII): the
                # same every time. Its message quotes the header, token included: never shown.
                raise TransportError(
                    method, path, detail="a request header could not be sent", hint=_BAD_HEADER
                ) from None
            except httpx.TransportError as broken:
                self._observe(method, 0, ())
                hint = hopeless(broken, self.base_url)
                if last_try or not repeatable or hint:
                    raise TransportError(method, path, detail=describe(broken), hint=hint) from None
                self._backoff(tries, method, path, describe(broken))
                continue
            if response.status_code == 404 and gone_is_done and attempt > 0:
                return {"success": True, "result": None}
            if response.status_code == 429:
                self.limiter.not_processed()  # refused unprocessed: nothing of it was written
            if response.status_code == 429 and not last_try:
                wait = retry_after(response, self.retry.retry_after_cap)
                self._notify(tries, method, path, "HTTP 429 (rate limited)", wait)
                self.limiter.pause(wait)
                continue
            if response.status_code >= 500 and repeatable and not last_try:
                self._backoff(tries, method, path, f"HTTP {response.status_code}")
                continue
            try:
                return parse_envelope(method, path, response)
            except ApiError as error:
                error.after_unclear_attempt = tries.unclear
                raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
    ) -> httpx.Response:
        slot = self.limiter.acquire()
        with self._lock:
            self.requests_sent += 1
        log.debug("request: %s %s %s", method, path, dict(params or {}))
        try:
            response = self._http.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers={"Authorization": self._token.header()},
            )
        finally:
            self.limiter.settle(slot)  # counted from its answer: see RateLimiter.settle
        self.limiter.observe(response.headers.get("ratelimit"))
        log.debug("response: %s %s -> %d", method, path, response.status_code)
        self._observe(method, response.status_code, error_codes(response))
        return response

    def _observe(self, method: str, status: int, codes: tuple[int, ...]) -> None:
        if self._observer is not None:
            self._observer(method, status, codes)

    def _backoff(self, tries: _Tries, method: str, path: str, why: str) -> None:
        tries.unclear = True  # only a broken-off attempt or a 5xx is repeated after a backoff
        delay = self.retry.backoff(tries.attempt, self.rng)
        self._notify(tries, method, path, why, delay)
        self.sleep(delay)

    def _notify(self, tries: _Tries, method: str, path: str, why: str, delay: float) -> None:
        # After Ctrl-C nothing is repeated, so nothing may say it will be: a request cut off
        # by the interrupt (its connection closed under it) ends here, silently.
        self._stop_if_cancelled()
        with self._lock:
            if not tries.retried:
                tries.retried, self._retrying = True, self._retrying + 1
            retrying = self._retrying
        tries.attempt += 1
        log.info("retry: %s %s after %s, in %.2fs", method, path, why, delay)
        if self._on_retry is not None:
            others = f"; {retrying} requests are retrying" if retrying > 1 else ""
            self._on_retry(
                f"retrying ({tries.attempt}/{self.retry.attempts - 1}) {method} {path} "
                f"in {delay:.1f} s: {why}{others}"
            )

    def _stop_if_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise _Cancelled


@dataclass
class _Tries:
    """One request's retries so far, and whether it counts among the requests retrying."""

    attempt: int = 0
    retried: bool = False
    unclear: bool = False  # an attempt broke off or got a 5xx: it may have taken effect


class _Cancelled(Exception):
    """Raised out of a wait once ``Transport.cancel()`` was called; becomes a TransportError."""
