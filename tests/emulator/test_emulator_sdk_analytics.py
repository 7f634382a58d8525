"""The official SDK (cloudflare==5.9.0) reads Spectrum analytics from a loopback emulator: the
summary and the current aggregate parse into the SDK's own types, and a 403 is its class."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import cloudflare
import httpx
import pytest
from cloudflare import Cloudflare
from cloudflare.types.spectrum.analytics.aggregates import CurrentGetResponse
from cloudflare.types.spectrum.analytics.aggregates.current_get_response import (
    CurrentGetResponseItem,
)
from cloudflare.types.spectrum.analytics.events import SummaryGetResponse
from emulator_helpers import make_emulator, tcp_app

from reconciler.emulator import Emulator, serve


@pytest.fixture
def emu() -> Emulator:
    return make_emulator(traffic=("ssh.example.com=90",))


def _app(sdk: Cloudflare, zone_id: str) -> str:
    body = tcp_app()
    created = sdk.spectrum.apps.create(zone_id=zone_id, **body)
    return str(created.id)


def test_the_summary_parses_as_the_sdks_type(sdk: Cloudflare, emu: Emulator, zone_id: str) -> None:
    app_id = _app(sdk, zone_id)
    emu.advance(3600)
    now = datetime.now(timezone.utc)
    result = sdk.spectrum.analytics.events.summaries.get(
        zone_id=zone_id,
        dimensions=["appID"],
        metrics=["count", "bytesIngress", "bytesEgress"],
        since=now - timedelta(hours=24),
        until=now,
    )
    assert isinstance(result, SummaryGetResponse)
    assert [row.dimensions for row in result.data] == [[app_id]]
    count, ingress, egress = result.data[0].metrics or []
    assert 5400 <= count <= 5410 and ingress > 0 and egress > ingress
    assert result.totals["count"] == count and result.rows == 1
    assert result.query.metrics == ["count", "bytesIngress", "bytesEgress"]


def test_the_current_aggregate_parses_as_the_sdks_type(
    sdk: Cloudflare, emu: Emulator, zone_id: str
) -> None:
    app_id = _app(sdk, zone_id)
    emu.advance(600)
    result = sdk.spectrum.analytics.aggregates.currents.get(zone_id=zone_id, app_id=app_id)
    assert isinstance(result, list)
    assert all(isinstance(item, CurrentGetResponseItem) for item in result)
    assert [(item.app_id, item.connections) for item in result] == [(app_id, 90)]
    assert CurrentGetResponse  # the alias the SDK returns: List[CurrentGetResponseItem]


def test_a_forbidden_read_is_the_sdks_permission_error(zone_id: str) -> None:
    forbidden = make_emulator(analytics_forbidden=True)
    zone = str(forbidden.ensure_zone("example.com")["id"])
    with serve(forbidden) as server, httpx.Client() as http:
        sdk = Cloudflare(api_token="t", base_url=server.base_url, http_client=http, max_retries=0)
        with pytest.raises(cloudflare.PermissionDeniedError):
            sdk.spectrum.analytics.aggregates.currents.get(zone_id=zone)
