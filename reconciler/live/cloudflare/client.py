"""The Spectrum calls: zones and apps, read completely, written once.

Built on ``transport.Transport`` (pacing, retries, the token), ``envelope`` (results and
errors) and ``listing`` (a zone's apps, page by page). Reads are complete or they fail; a
write whose outcome is unclear is settled by reading the zone (``settling``): a create before
it is sent again, a delete before it is called failed.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from reconciler.errors import ApiError, NotFoundError, TransportError
from reconciler.live.cloudflare.addressing import AddressReader
from reconciler.live.cloudflare.analytics import AnalyticsReader
from reconciler.live.cloudflare.envelope import list_result, object_result
from reconciler.live.cloudflare.listing import read_apps
from reconciler.live.cloudflare.preflight import PreflightReader
from reconciler.live.cloudflare.settling import created_app, settle_delete
from reconciler.live.cloudflare.transport import (
    DEFAULT_BASE_URL,
    RequestObserver,
    RetryNotice,
    RetryPolicy,
    Transport,
)
from reconciler.live.ratelimit import CLOUDFLARE_DEFAULT, RateLimit
from reconciler.model import AppKey, LiveApp, LiveZone, ZoneSpec

log = logging.getLogger("reconciler.live.cloudflare")


@dataclass(frozen=True)
class ZoneRef:
    """A resolved zone."""

    name: str
    zone_id: str


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
        sleep: Callable[[float], None] | None = None,
        seed: int | None = None,
        on_retry: RetryNotice | None = None,
        observer: RequestObserver | None = None,
        on_zone_read: Callable[[int, int], None] | None = None,
        on_wait: Callable[[float], None] | None = None,
    ) -> None:
        """``on_zone_read(done, total)`` is called as each zone of ``fetch_live`` is read;
        ``on_wait(seconds)`` when a wait for the rate limit will be long (``RateLimiter``)."""
        self._on_zone_read = on_zone_read
        self._transport = Transport(
            token,
            base_url=base_url,
            transport=transport,
            rate_limit=rate_limit,
            retry=retry or RetryPolicy(),
            timeout=timeout,
            sleep=sleep,
            seed=seed,
            on_retry=on_retry,
            observer=observer,
            on_wait=on_wait,
        )
        self.base_url = self._transport.base_url
        self.limiter = self._transport.limiter
        self.retry = self._transport.retry
        self.zone_concurrency = max(1, zone_concurrency)
        self._zones: dict[str, ZoneRef] = {}
        self._lock = threading.Lock()
        self.addresses = AddressReader(self._transport)  # the address plane, read on demand
        self.preflight = PreflightReader(self._transport, self.addresses)  # likewise
        self.analytics = AnalyticsReader(self._transport)  # Spectrum analytics, on demand

    @property
    def requests_sent(self) -> int:
        """How many HTTP requests this client has sent, retries included."""
        return self._transport.requests_sent

    def __repr__(self) -> str:
        return f"CloudflareClient(base_url={self.base_url!r})"

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> CloudflareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads -------------------------------------------------------------------------------

    def resolve_zone(self, spec: ZoneSpec) -> ZoneRef:
        """The zone's name and id: taken as given when both are known, else one cached lookup
        (by name, or ``GET /zones/{id}`` for a zone given by id only: plans name the zone, and
        its apps' hostnames are checked against the name)."""
        if spec.zone_id and spec.name:
            return ZoneRef(spec.name.lower(), spec.zone_id)
        if spec.zone_id:
            return ZoneRef(self._name_of(spec.zone_id), spec.zone_id)
        assert spec.name, "a ZoneSpec names a zone or a zone id"
        name = spec.name.lower()
        with self._lock:
            cached = self._zones.get(name)
        if cached is None:
            cached = self._lookup_zone(name)
            with self._lock:
                self._zones[name] = cached
        return cached

    def _name_of(self, zone_id: str) -> str:
        name = self.addresses.zone_object(zone_id).get("name")  # read once, shared with checks
        if not isinstance(name, str) or not name.strip():
            path = f"/zones/{zone_id}"
            raise TransportError("GET", path, status=200, detail="the zone object has no name")
        return name.strip().rstrip(".").lower()

    def _lookup_zone(self, name: str) -> ZoneRef:
        result = self._transport.request("GET", "/zones", params={"name": name, "per_page": 5})
        matches = [z for z in list_result(result, "GET", "/zones") if z.get("name") == name]
        if not matches:
            raise NotFoundError(
                "GET",
                "/zones",
                status=200,
                detail=f"no zone named {name} is visible to this token",
                hint="check the zone name, or that the token may read that zone",
            )
        zone_id = str(matches[0]["id"])
        # The lookup returns the whole zone (account, plan): no request later for either.
        self.addresses.remember_zone(zone_id, matches[0])
        return ZoneRef(name, zone_id)

    def list_apps(self, zone_id: str) -> tuple[LiveApp, ...]:
        """Every app of a zone, each exactly once; raises rather than return a partial list."""
        return read_apps(self._transport, zone_id)

    def fetch_live(self, zones: Sequence[ZoneSpec]) -> tuple[LiveZone, ...]:
        """The live apps of every zone, zones read concurrently (within a bound).

        Each call is a new look at live state: what the last one cached of it (address planes,
        DNS records, traffic; ``forget``) is read again — a client kept across the loop's cycles
        must not judge a cycle's plan by an earlier cycle's answers."""
        self.forget()
        if not zones:
            return ()
        workers = min(self.zone_concurrency, len(zones))
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="read")
        counted = _Counted(len(zones), self._on_zone_read)
        try:
            read = tuple(pool.map(counted.after(self._fetch_zone), zones))
        except KeyboardInterrupt:
            # Ctrl-C: stop the readers' retries now rather than wait out their backoff (it
            # took ~13 s); nothing read is used, and this client sends nothing more.
            self._transport.cancel()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        except BaseException:
            pool.shutdown(wait=True)  # a failed zone: let the other readers finish
            raise
        pool.shutdown(wait=True)
        return read

    def forget(self) -> None:
        """Drop what a run read that changes under it: address planes, DNS records, account
        zone lists, traffic. The zones' identities (lookups, account, plan) and the rate
        limiter stay."""
        self.addresses.forget()
        self.preflight.forget()
        self.analytics.forget()

    def cancel(self) -> None:
        """End every pending retry wait at once; requests after this raise (see Transport)."""
        self._transport.cancel()

    def _fetch_zone(self, spec: ZoneSpec) -> LiveZone:
        ref = self.resolve_zone(spec)
        apps = self.list_apps(ref.zone_id)
        log.info("read: zone %s has %d apps", ref.name, len(apps))
        return LiveZone(ref.name, ref.zone_id, apps)

    def list_prefixes(self, account_id: str) -> list[Mapping[str, Any]]:
        """The account's BYOIP prefixes (a single page: the endpoint does not paginate)."""
        path = f"/accounts/{account_id}/addressing/prefixes"
        return list(list_result(self._transport.request("GET", path), "GET", path))

    def get_app(self, zone_id: str, app_id: str) -> Mapping[str, Any] | None:
        """One app as it is now, or None when it no longer exists (the executor reads a target
        again before writing to it)."""
        path = f"/zones/{zone_id}/spectrum/apps/{app_id}"
        try:
            return object_result(self._transport.request("GET", path), "GET", path)
        except NotFoundError:
            return None

    # -- writes ------------------------------------------------------------------------------

    def update_app(self, zone_id: str, app_id: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        path = f"/zones/{zone_id}/spectrum/apps/{app_id}"
        return object_result(self._transport.request("PUT", path, json=body), "PUT", path)

    def delete_app(self, zone_id: str, app_id: str) -> ApiError | None:
        """Delete; a DELETE still answered with an error after its retries is settled by reading
        the zone (``settling``), as an unclear create is.

        None when the DELETE succeeded (a 404 on a repeated attempt included: an earlier one did
        it); the error it was answered with when the app is gone all the same. Raises
        ``UnclearWriteError`` when the app is still there, or when reading the zone failed too.
        """
        path = f"/zones/{zone_id}/spectrum/apps/{app_id}"
        try:
            self._transport.request("DELETE", path, json={}, gone_is_done=True)
        except ApiError as error:
            settle_delete(self.list_apps, zone_id, app_id, error)
            log.info("delete: %s settled by reading the zone: it is gone", path)
            return error
        return None

    def create_app(self, zone_id: str, key: AppKey, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Create exactly once. A create whose outcome is unknown is settled by reading the zone:
        the app found there is the result; only when it is absent is the create sent again."""
        path = f"/zones/{zone_id}/spectrum/apps"
        last: ApiError | None = None
        for attempt in range(self.retry.attempts):
            try:
                return object_result(self._transport.request("POST", path, json=body), "POST", path)
            except TransportError as uncertain:
                last = uncertain
            found = created_app(self.list_apps, zone_id, key)
            if found is not None:
                log.info("create: %s settled by reading the zone: it exists", key)
                return found
            log.info("create: %s absent after an unclear attempt; creating again", key)
            self._transport.sleep(self.retry.backoff(attempt, self._transport.rng))
        assert last is not None
        raise last


class _Counted:
    """Counts finished zone reads for the ``on_zone_read`` callback (readers are threads)."""

    def __init__(self, total: int, report: Callable[[int, int], None] | None) -> None:
        self.total, self.report, self.done = total, report, 0
        self._lock = threading.Lock()

    def after(self, read: Callable[[ZoneSpec], LiveZone]) -> Callable[[ZoneSpec], LiveZone]:
        def counted(spec: ZoneSpec) -> LiveZone:
            zone = read(spec)
            if self.report is not None:
                with self._lock:
                    self.done += 1
                    self.report(self.done, self.total)
            return zone

        return counted
