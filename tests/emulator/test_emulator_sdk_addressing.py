"""The address plane through the official SDK (cloudflare==5.9.0) over loopback: every route the
emulator serves under /accounts/{id}/addressing, and GET /zones/{id}, parses into the SDK's own
types with no field the SDK does not know, and each write lands as the SDK expects."""

from __future__ import annotations

from typing import Any

import pytest
from cloudflare import Cloudflare, NotFoundError
from cloudflare.types.addressing import Prefix, ServiceListResponse
from cloudflare.types.addressing.prefixes import (
    AdvertisementStatusEditResponse,
    AdvertisementStatusGetResponse,
    BGPPrefix,
    ServiceBinding,
)
from cloudflare.types.zones import Zone
from emulator_helpers import make_emulator
from pydantic import BaseModel

from reconciler.emulator import Emulator

PREFIXES = ("198.51.100.0/24", "203.0.113.0/24,service=cdn,advertised=no", "2001:db8::/48")


@pytest.fixture
def emu() -> Emulator:
    return make_emulator(byoip_prefixes=PREFIXES)


def conforms(item: Any, model: type[BaseModel]) -> Any:
    """The SDK built ``model`` from the answer, every field known to it, every type right."""
    assert isinstance(item, model)
    assert not item.model_extra, f"fields the SDK does not know: {item.model_extra}"
    model.model_validate(item.model_dump(mode="json"))
    return item


def _prefix_id(sdk: Cloudflare, emu: Emulator, cidr: str) -> str:
    for prefix in sdk.addressing.prefixes.list(account_id=emu.account_id):
        if prefix.cidr == cidr:
            return str(prefix.id)
    raise AssertionError(cidr)


def test_services_list_spectrum_cdn_and_magic_transit(sdk: Cloudflare, emu: Emulator) -> None:
    services = [
        conforms(s, ServiceListResponse)
        for s in sdk.addressing.services.list(account_id=emu.account_id)
    ]
    assert {s.name for s in services} == {"Spectrum", "CDN", "Magic Transit"}
    assert all(s.id and len(s.id) <= 32 for s in services)


def test_prefixes_list_and_get(sdk: Cloudflare, emu: Emulator) -> None:
    listed = [conforms(p, Prefix) for p in sdk.addressing.prefixes.list(account_id=emu.account_id)]
    assert {p.cidr for p in listed} == {"198.51.100.0/24", "203.0.113.0/24", "2001:db8::/48"}
    withdrawn = next(p for p in listed if p.cidr == "203.0.113.0/24")
    assert withdrawn.approved == "V" and withdrawn.advertised is False
    got = sdk.addressing.prefixes.get(str(withdrawn.id), account_id=emu.account_id)
    assert conforms(got, Prefix).model_dump() == withdrawn.model_dump()


def test_service_bindings_create_list_get_delete(sdk: Cloudflare, emu: Emulator) -> None:
    account = emu.account_id
    prefix_id = _prefix_id(sdk, emu, "203.0.113.0/24")
    services = {s.name: s.id for s in sdk.addressing.services.list(account_id=account)}
    bindings = sdk.addressing.prefixes.service_bindings
    (default,) = [conforms(b, ServiceBinding) for b in bindings.list(prefix_id, account_id=account)]
    assert (default.cidr, default.service_name) == ("203.0.113.0/24", "CDN")
    assert default.provisioning is not None and default.provisioning.state == "active"
    made = bindings.create(
        prefix_id, account_id=account, cidr="203.0.113.16/29", service_id=str(services["Spectrum"])
    )
    made = conforms(made, ServiceBinding)
    assert (made.cidr, made.service_name, made.service_id) == (
        "203.0.113.16/29",
        "Spectrum",
        services["Spectrum"],
    )
    got = bindings.get(str(made.id), account_id=account, prefix_id=prefix_id)
    assert conforms(got, ServiceBinding).id == made.id
    deleted = bindings.delete(str(made.id), account_id=account, prefix_id=prefix_id)
    assert deleted.success is True
    with pytest.raises(NotFoundError):
        bindings.get(str(made.id), account_id=account, prefix_id=prefix_id)


def test_bgp_prefixes_list_get_create_edit(sdk: Cloudflare, emu: Emulator) -> None:
    account = emu.account_id
    prefix_id = _prefix_id(sdk, emu, "203.0.113.0/24")
    bgp = sdk.addressing.prefixes.bgp_prefixes
    (whole,) = [conforms(b, BGPPrefix) for b in bgp.list(prefix_id, account_id=account)]
    assert whole.cidr == "203.0.113.0/24"
    assert whole.on_demand is not None and whole.on_demand.advertised is False
    edited = bgp.edit(
        str(whole.id), account_id=account, prefix_id=prefix_id, on_demand={"advertised": True}
    )
    assert conforms(edited, BGPPrefix).on_demand.advertised is True
    got = bgp.get(str(whole.id), account_id=account, prefix_id=prefix_id)
    assert conforms(got, BGPPrefix).model_dump() == edited.model_dump()  # type: ignore[union-attr]
    # The whole-prefix BGP prefix is also the prefix's own (deprecated) status.
    assert sdk.addressing.prefixes.get(prefix_id, account_id=account).advertised is True  # type: ignore[union-attr]
    smaller = conforms(bgp.create(prefix_id, account_id=account, cidr="203.0.113.0/25"), BGPPrefix)
    assert smaller.on_demand.advertised is False  # new BGP prefixes start withdrawn
    assert len(list(bgp.list(prefix_id, account_id=account))) == 2
    assert bgp.delete(str(smaller.id), account_id=account, prefix_id=prefix_id).success is True


def test_deprecated_bgp_status_get_and_edit(sdk: Cloudflare, emu: Emulator) -> None:
    account = emu.account_id
    prefix_id = _prefix_id(sdk, emu, "198.51.100.0/24")
    status = sdk.addressing.prefixes.advertisement_status
    with pytest.warns(DeprecationWarning):  # the SDK marks bgp/status deprecated
        got = status.get(prefix_id, account_id=account)
    assert conforms(got, AdvertisementStatusGetResponse).advertised is True
    with pytest.warns(DeprecationWarning):
        edited = status.edit(prefix_id, account_id=account, advertised=False)
    assert conforms(edited, AdvertisementStatusEditResponse).advertised is False
    (whole,) = sdk.addressing.prefixes.bgp_prefixes.list(prefix_id, account_id=account)
    assert whole.on_demand is not None and whole.on_demand.advertised is False


def test_zone_get_carries_its_account(sdk: Cloudflare, emu: Emulator) -> None:
    zone_id = emu.ensure_zone("example.com")["id"]
    zone = conforms(sdk.zones.get(zone_id=zone_id), Zone)
    assert (zone.id, zone.name) == (zone_id, "example.com")
    assert zone.account.id == emu.account_id and zone.account.name
