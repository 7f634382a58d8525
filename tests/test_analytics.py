"""The analytics reader: one request per zone and window, unknown (said once) on any failure."""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Callable
from datetime import datetime, timezone

import httpx
import pytest

from reconciler.checks.traffic import AppTraffic
from reconciler.live.cloudflare import CloudflareClient
from reconciler.live.ratelimit import RateLimit
from reconciler.model import ZoneSpec
from tests.conftest import FAST_RETRY, make_client, make_emulator

ZONE = "0" * 32
CHANGING = ("/dns_records", "/analytics/events/summary")
APP = "a" * 32
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=timezone.utc)


def client(
    answer: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request]
) -> CloudflareClient:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answer(request)

    made = CloudflareClient(
        "test-token",
        base_url="http://127.0.0.1:9/client/v4",
        transport=httpx.MockTransport(handler),
        retry=FAST_RETRY,
        rate_limit=RateLimit(100_000, 1.0),
    )
    made.analytics._now = lambda: NOW  # type: ignore[method-assign]
    return made


def ok(result: object) -> httpx.Response:
    return httpx.Response(
        200, json={"success": True, "errors": [], "messages": [], "result": result}
    )


def test_the_summary_asks_for_app_traffic_over_the_window_once() -> None:
    seen: list[httpx.Request] = []
    summary = {"data": [{"dimensions": [APP], "metrics": [3, 10, 20]}]}
    reader = client(lambda _: ok(summary), seen).analytics
    assert reader.summary(ZONE, 86400).of(APP) == AppTraffic(3, 10, 20)
    assert reader.summary(ZONE, 86400).known
    assert len(seen) == 1
    assert seen[0].url.path.endswith(f"/zones/{ZONE}/spectrum/analytics/events/summary")
    assert dict(seen[0].url.params) == {
        "dimensions": "appID",
        "metrics": "count,bytesIngress,bytesEgress",
        "since": "2026-12-04T12:00:00Z",
        "until": "2026-12-05T12:00:00Z",
    }


def test_the_current_aggregate_is_read_each_time_for_the_apps_named() -> None:
    seen: list[httpx.Request] = []
    item = {"appID": APP, "connections": 2, "bytesIngress": 1, "bytesEgress": 1, "durationAvg": 0}
    reader = client(lambda _: ok([item]), seen).analytics
    assert reader.current(ZONE, [APP]).of(APP) == AppTraffic(2, 1, 1)
    reader.current(ZONE)
    assert [dict(r.url.params) for r in seen] == [{"appID": APP}, {}]


FORBIDDEN = httpx.Response(
    403, json={"success": False, "errors": [{"code": 10000, "message": "Authentication error"}]}
)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (FORBIDDEN, "Analytics > Read"),
        (ok({"data": "nope"}), "result.data is not a list"),
        (ok([1]), "result is not an object"),
        (httpx.Response(200, content=b"<html>"), "GET /zones/"),
    ],
)
def test_a_refused_or_malformed_read_is_unknown_and_said_once(
    answer: httpx.Response, said: str, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[httpx.Request] = []
    reader = client(lambda _: answer, seen).analytics
    with caplog.at_level(logging.INFO):
        first = reader.summary(ZONE, 86400)
        second = reader.current(ZONE)
    assert not first.known and first.of(APP) is None and not second.known
    assert said in (first.reason or "")
    lines = [r.getMessage() for r in caplog.records if "traffic unknown" in r.getMessage()]
    assert len(lines) == 1 and "test-token" not in json.dumps(lines)


def test_each_read_of_live_state_starts_afresh() -> None:
    """The loop keeps one client across cycles: what its readers cached of one cycle's live
    state (traffic, DNS records, zone objects, address planes) is read again by the next, or
    ``live_delete`` would judge a delete by traffic hours old, and preflight miss a record."""
    emulator = make_emulator()
    inner = emulator.transport()
    connections = [0]
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path.split("/client/v4")[-1])
        if request.url.path.endswith("/analytics/events/summary"):
            return ok({"data": [{"dimensions": [APP], "metrics": [connections[0], 0, 0]}]})
        return inner.handle_request(request)

    zone = ZoneSpec("example.com", None)
    with make_client(emulator, transport=httpx.MockTransport(handle)) as made:

        def one_run() -> bool:
            (live,) = made.fetch_live([zone])
            account = made.addresses.account_of_zone(live.zone_id)
            made.addresses.plane(account)
            made.addresses.address_maps(account, frozenset({ipaddress.ip_address("172.65.64.13")}))
            made.preflight.host_records(live.zone_id)
            return made.analytics.summary(live.zone_id, 86400).of(APP).live  # type: ignore[union-attr]

        assert not one_run()
        connections[0] = 5
        first = [path for path in seen if "/addressing/" in path or path.endswith(CHANGING)]
        del seen[:]
        assert one_run(), "the second run read the traffic again"
        assert [path for path in seen if path in first] == first  # planes and records too
        assert f"/zones/{made.resolve_zone(zone).zone_id}" not in seen  # the zone is known
