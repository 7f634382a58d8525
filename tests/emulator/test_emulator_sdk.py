"""The official SDK (cloudflare==5.9.0) against a real loopback server: the contract a typed
client sees — envelopes unwrap, pages auto-advance, errors map to the SDK's classes."""

from __future__ import annotations

import cloudflare
import httpx
import pytest
from cloudflare import Cloudflare
from cloudflare.types.spectrum import (
    app_create_response,
    app_get_response,
    app_list_response,
    app_update_response,
)
from emulator_helpers import make_emulator

from reconciler.emulator import Emulator, serve


def _create(
    sdk: Cloudflare, zone_id: str, name: str, port: int = 22
) -> app_create_response.SpectrumConfigAppConfig:
    app = sdk.spectrum.apps.create(
        zone_id=zone_id,
        dns={"type": "CNAME", "name": name},
        protocol=f"tcp/{port}",
        traffic_type="direct",
        origin_direct=[f"tcp://192.0.2.1:{port}"],
    )
    # The full variant, not the paygo one (which the union falls back to without traffic_type).
    assert isinstance(app, app_create_response.SpectrumConfigAppConfig)
    return app


def test_create_get_update_delete(sdk: Cloudflare, zone_id: str, emu: Emulator) -> None:
    created = _create(sdk, zone_id, "ssh.example.com")
    assert created.tls == "off" and created.proxy_protocol == "off"
    fetched = sdk.spectrum.apps.get(app_id=created.id, zone_id=zone_id)
    assert (
        isinstance(fetched, app_get_response.SpectrumConfigAppConfig) and fetched.id == created.id
    )
    updated = sdk.spectrum.apps.update(
        app_id=created.id,
        zone_id=zone_id,
        dns={"type": "CNAME", "name": "ssh.example.com"},
        protocol="tcp/22",
        traffic_type="direct",
        origin_direct=["tcp://192.0.2.2:22"],
        tls="full",
    )
    assert isinstance(updated, app_update_response.SpectrumConfigAppConfig)
    assert updated.tls == "full" and updated.origin_direct == ["tcp://192.0.2.2:22"]
    assert updated.created_on == created.created_on
    assert updated.modified_on > created.modified_on
    deleted = sdk.spectrum.apps.delete(app_id=created.id, zone_id=zone_id)
    assert deleted is not None and deleted.id == created.id
    assert emu.apps(zone_id) == []


def test_auto_paging_yields_each_app_once(sdk: Cloudflare, zone_id: str, emu: Emulator) -> None:
    made = {_create(sdk, zone_id, f"h{i:02}.example.com").id for i in range(45)}
    emu.reset_stats()
    listed = list(sdk.spectrum.apps.list(zone_id=zone_id, per_page=20))
    assert sorted(app.id for app in listed) == sorted(made)
    assert all(isinstance(app, app_list_response.SpectrumConfigAppConfig) for app in listed)
    # ceil(45 / 20) pages plus the empty one that stops the SDK.
    assert emu.stats()["requests"]["GET /zones/{zone_id}/spectrum/apps"] == 4


def test_zone_lookup_and_prefixes(sdk: Cloudflare, zone_id: str, emu: Emulator) -> None:
    zones = list(sdk.zones.list(name="example.com"))
    assert [zone.id for zone in zones] == [zone_id]
    assert zones[0].account.id == emu.account_id
    cidrs = {prefix.cidr for prefix in sdk.addressing.prefixes.list(account_id=emu.account_id)}
    assert cidrs == {"198.51.100.0/24", "2001:db8::/48"}


def test_bad_request_maps_to_bad_request_error(sdk: Cloudflare, zone_id: str) -> None:
    with pytest.raises(cloudflare.BadRequestError) as caught:
        sdk.spectrum.apps.create(
            zone_id=zone_id,
            dns={"type": "CNAME", "name": "x.example.com"},
            protocol="tcp/22",
            traffic_type="direct",
        )
    assert caught.value.status_code == 400
    assert isinstance(caught.value.body, dict) and caught.value.body["errors"][0]["code"] == 11000


def test_missing_app_maps_to_not_found_error(sdk: Cloudflare, zone_id: str) -> None:
    with pytest.raises(cloudflare.NotFoundError):
        sdk.spectrum.apps.get(app_id="a" * 32, zone_id=zone_id)


def test_rate_limit_maps_to_rate_limit_error(zone_id: str) -> None:
    emu = make_emulator(rate_limit=(2, 60.0))
    with serve(emu) as server, httpx.Client() as http:
        sdk = Cloudflare(api_token="t", base_url=server.base_url, http_client=http, max_retries=0)
        sdk.zones.list()
        sdk.zones.list()
        with pytest.raises(cloudflare.RateLimitError) as caught:
            sdk.zones.list()
    assert caught.value.response.headers["retry-after"] == "60"
    assert emu.stats()["rate_limited"] == 1
