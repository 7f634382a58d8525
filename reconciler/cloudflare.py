"""The only module that speaks HTTP to the Cloudflare v4 API.

In: a token, a base URL and (for tests and the sandbox) an httpx transport. Out: ``LiveZone``
values for reads, created/updated app objects for writes, and ``ApiError``s for every failure.

Three promises, each learnt from a tool that broke it:
- reads are complete or they fail: a listing that cannot be finished raises, it never returns
  fewer apps (which a planner would turn into deletions);
- only what is safe to repeat is repeated: GET, PUT and DELETE retry on 429, 5xx and broken
  connections; a POST whose outcome is unknown is settled by reading the zone before any retry;
- the token never leaves: it is held by ``Token`` (whose repr hides it) and sent only in the
  Authorization header, which no log line prints.
"""

from __future__ import annotations

import ipaddress
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler import __version__
from reconciler.errors import (
    ApiError,
    ApiMessage,
    AuthError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RefusedError,
    TransportError,
)
from reconciler.model import AppKey, LiveApp, LiveZone, ZoneSpec
from reconciler.ratelimit import CLOUDFLARE_DEFAULT, RateLimit, RateLimiter

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"
PAGE_SIZE = 100
_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})
_AUTH_CODES = frozenset({9106, 6003, 6111, 10000})


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


@dataclass(frozen=True)
class ZoneRef:
    """A resolved zone."""

    name: str
    zone_id: str


def check_base_url(base_url: str) -> str:
    """Refuse plain http:// except to loopback, where the emulator lives."""
    parts = urlsplit(base_url)
    if parts.scheme == "https" and parts.hostname:
        return base_url.rstrip("/")
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return base_url.rstrip("/")
    shown = base_url.split("?")[0]
    raise ApiError(
        "",
        shown,
        detail=f"base URL {shown} must be https:// (plain http:// only to loopback)",
        hint="pass --base-url https://… or http://127.0.0.1:PORT/client/v4 for the emulator",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class CloudflareClient:
    """A Spectrum API client: complete reads, paced writes, safe retries."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        rate_limit: RateLimit = CLOUDFLARE_DEFAULT,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        zone_concurrency: int = 32,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self._token = Token(token)
        self.base_url = check_base_url(base_url)
        self.limiter = RateLimiter(rate_limit, sleep=sleep)
        self.retry = retry or RetryPolicy()
        self.zone_concurrency = max(1, zone_concurrency)
        self.requests_sent = 0
        self._sleep = sleep
        self._rng = random.Random(seed)
        self._zones: dict[str, ZoneRef] = {}
        self._lock = threading.Lock()
        self._http = httpx.Client(
            base_url=self.base_url,
            transport=transport,
            timeout=timeout,
            headers={"User-Agent": f"spectrum-reconciler/{__version__}"},
        )

    def __repr__(self) -> str:
        return f"CloudflareClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CloudflareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------

    def resolve_zone(self, spec: ZoneSpec) -> ZoneRef:
        """The zone's name and id: taken as given when both are known, else one cached lookup."""
        if spec.zone_id and spec.name:
            return ZoneRef(spec.name.lower(), spec.zone_id)
        if spec.zone_id:
            return ZoneRef(spec.zone_id, spec.zone_id)
        assert spec.name, "a ZoneSpec names a zone or a zone id"
        name = spec.name.lower()
        with self._lock:
            cached = self._zones.get(name)
        if cached is None:
            cached = self._lookup_zone(name)
            with self._lock:
                self._zones[name] = cached
        return cached

    def _lookup_zone(self, name: str) -> ZoneRef:
        result = self._request("GET", "/zones", params={"name": name, "per_page": 5})
        matches = [z for z in _list_result(result, "GET", "/zones") if z.get("name") == name]
        if not matches:
            raise NotFoundError(
                "GET",
                "/zones",
                status=200,
                detail=f"no zone named {name} is visible to this token",
                hint="check the zone name, or that the token may read that zone",
            )
        return ZoneRef(name, str(matches[0]["id"]))

    def list_apps(self, zone_id: str) -> tuple[LiveApp, ...]:
        """Every app of a zone, each exactly once; raises rather than return a partial list."""
        path = f"/zones/{zone_id}/spectrum/apps"
        apps: dict[str, LiveApp] = {}
        expected: int | None = None
        for page in self._pages(path):
            expected = _total_count(page, expected)
            for item in _list_result(page, "GET", path):
                app_id = str(item.get("id", ""))
                if not app_id:
                    raise TransportError("GET", path, status=200, detail="an app without an id")
                apps[app_id] = LiveApp(app_id, item)
        if expected is not None and len(apps) != expected:
            raise TransportError(
                "GET",
                path,
                status=200,
                detail=f"listing incomplete: {len(apps)} of {expected} apps came back",
                hint="the zone changed while it was read, or pages went missing; re-run",
            )
        return tuple(apps.values())

    def _pages(self, path: str) -> Iterator[Mapping[str, Any]]:
        page = 1
        while True:
            body = self._request("GET", path, params={"page": page, "per_page": PAGE_SIZE})
            yield body
            info = body.get("result_info") or {}
            count = len(body.get("result") or [])
            total_pages = info.get("total_pages")
            if total_pages is not None:
                if page >= int(total_pages):
                    return
            elif count < PAGE_SIZE:
                return
            page += 1

    def fetch_live(self, zones: Sequence[ZoneSpec]) -> tuple[LiveZone, ...]:
        """The live apps of every zone, zones read concurrently (within a bound)."""
        if not zones:
            return ()
        workers = min(self.zone_concurrency, len(zones))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read") as pool:
            return tuple(pool.map(self._fetch_zone, zones))

    def _fetch_zone(self, spec: ZoneSpec) -> LiveZone:
        ref = self.resolve_zone(spec)
        apps = self.list_apps(ref.zone_id)
        log.info("read: zone %s has %d apps", ref.name, len(apps))
        return LiveZone(ref.name, ref.zone_id, apps)

    def list_prefixes(self, account_id: str) -> list[Mapping[str, Any]]:
        """The account's BYOIP prefixes (a single page: the endpoint does not paginate)."""
        path = f"/accounts/{account_id}/addressing/prefixes"
        return list(_list_result(self._request("GET", path), "GET", path))

    # -- writes ------------------------------------------------------------------------------

    def update_app(self, zone_id: str, app_id: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        path = f"/zones/{zone_id}/spectrum/apps/{app_id}"
        return _object_result(self._request("PUT", path, json=body), "PUT", path)

    def delete_app(self, zone_id: str, app_id: str) -> None:
        """Delete; a 404 after a retried DELETE means an earlier attempt already did it."""
        path = f"/zones/{zone_id}/spectrum/apps/{app_id}"
        self._request("DELETE", path, json={}, gone_is_done=True)

    def create_app(self, zone_id: str, key: AppKey, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Create exactly once. A create whose outcome is unknown is settled by reading the zone:
        the app found there is the result; only when it is absent is the create sent again."""
        path = f"/zones/{zone_id}/spectrum/apps"
        last: ApiError | None = None
        for attempt in range(self.retry.attempts):
            try:
                return _object_result(self._request("POST", path, json=body), "POST", path)
            except TransportError as uncertain:
                last = uncertain
            found = self._find_app(zone_id, key)
            if found is not None:
                log.info("create: %s settled by reading the zone: it exists", key)
                return found
            log.info("create: %s absent after an unclear attempt; creating again", key)
            self._sleep(self.retry.backoff(attempt, self._rng))
        assert last is not None
        raise last

    def _find_app(self, zone_id: str, key: AppKey) -> Mapping[str, Any] | None:
        for app in self.list_apps(zone_id):
            dns = app.config.get("dns") or {}
            name = str(dns.get("name", "")).rstrip(".").lower()
            if name == key.dns_name and str(app.config.get("protocol", "")).lower() == key.protocol:
                return app.config
        return None

    # -- the one place HTTP becomes domain values --------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        gone_is_done: bool = False,
    ) -> Mapping[str, Any]:
        # A 429 means the request was not processed, so every method may repeat it; a broken
        # connection or a 5xx leaves a POST's outcome unknown, so only idempotent methods do.
        repeatable = method in _IDEMPOTENT
        for attempt in range(self.retry.attempts):
            last_try = attempt == self.retry.attempts - 1
            try:
                response = self._send(method, path, params, json)
            except httpx.TransportError as broken:
                if last_try or not repeatable:
                    raise TransportError(method, path, detail=_describe(broken)) from None
                self._backoff(method, path, attempt, _describe(broken))
                continue
            if response.status_code == 404 and gone_is_done and attempt > 0:
                return {"success": True, "result": None}
            if response.status_code == 429 and not last_try:
                self.limiter.pause(_retry_after(response, self.retry.retry_after_cap))
                continue
            if response.status_code >= 500 and repeatable and not last_try:
                self._backoff(method, path, attempt, f"HTTP {response.status_code}")
                continue
            return _envelope(method, path, response)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _send(
        self,
        method: str,
        path: str,
        params: Mapping[str, Any] | None,
        json: Mapping[str, Any] | None,
    ) -> httpx.Response:
        self.limiter.acquire()
        with self._lock:
            self.requests_sent += 1
        log.debug("request: %s %s %s", method, path, dict(params or {}))
        response = self._http.request(
            method,
            self.base_url + path,
            params=params,
            json=json,
            headers={"Authorization": self._token.header()},
        )
        self.limiter.observe(response.headers.get("ratelimit"))
        log.debug("response: %s %s -> %d", method, path, response.status_code)
        return response

    def _backoff(self, method: str, path: str, attempt: int, why: str) -> None:
        delay = self.retry.backoff(attempt, self._rng)
        log.info("retry: %s %s after %s, in %.2fs", method, path, why, delay)
        self._sleep(delay)


def _describe(error: httpx.TransportError) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _retry_after(response: httpx.Response, cap: float) -> float:
    try:
        seconds = float(response.headers.get("retry-after", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), cap)


def _envelope(method: str, path: str, response: httpx.Response) -> Mapping[str, Any]:
    """The response's v4 envelope when it says success, else the matching ApiError."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TransportError(
            method, path, status=response.status_code, detail="the response was not a v4 envelope"
        )
    messages = _messages(body)
    if response.is_success and body.get("success") is True:
        return body
    raise _error_class(response.status_code, messages)(
        method, path, status=response.status_code, errors=messages
    )


def _messages(body: Mapping[str, Any]) -> tuple[ApiMessage, ...]:
    items = body.get("errors") or []
    return tuple(
        ApiMessage(int(item.get("code") or 0), str(item.get("message", "")))
        for item in items
        if isinstance(item, dict)
    )


def _error_class(status: int, messages: Sequence[ApiMessage]) -> type[ApiError]:
    codes = {m.code for m in messages}
    if status == 401 or codes & _AUTH_CODES:
        return AuthError
    by_status: dict[int, type[ApiError]] = {
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitedError,
    }
    if status in by_status:
        return by_status[status]
    if status >= 500:
        return TransportError
    return RefusedError


def _list_result(body: Mapping[str, Any], method: str, path: str) -> list[Mapping[str, Any]]:
    result = body.get("result")
    if not isinstance(result, list):
        raise TransportError(method, path, status=200, detail="expected a list result")
    return [item for item in result if isinstance(item, dict)]


def _object_result(body: Mapping[str, Any], method: str, path: str) -> Mapping[str, Any]:
    result = body.get("result")
    if not isinstance(result, dict):
        raise TransportError(method, path, status=200, detail="expected an object result")
    return result


def _total_count(page: Mapping[str, Any], seen: int | None) -> int | None:
    info = page.get("result_info") or {}
    total = info.get("total_count")
    return int(total) if total is not None else seen
