"""The address check: each refusal and warning from the address-plane state that causes it."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from reconciler.checks.addressing import (
    AddressPlane,
    AddressPlaneError,
    AddressUse,
    MappedIPs,
    check_addresses,
    outside_prefixes,
    plane_from_api,
)
from reconciler.model import AppKey, Location

ACCOUNT = "acc1"


def prefix(cidr: str, approved: str = "V", pid: str | None = None) -> dict[str, Any]:
    return {"id": pid or f"p-{cidr}", "cidr": cidr, "approved": approved, "advertised": None}


def binding(cidr: str, service: str = "Spectrum", state: str = "active") -> dict[str, Any]:
    return {"id": f"b-{cidr}", "cidr": cidr, "service_name": service,
            "provisioning": {"state": state}}  # fmt: skip


def bgp(cidr: str, advertised: bool) -> dict[str, Any]:
    return {"id": f"g-{cidr}", "cidr": cidr, "on_demand": {"advertised": advertised}}


def plane(
    cidr: str = "198.51.100.0/24",
    *,
    approved: str = "V",
    bindings: list[dict[str, Any]] | None = None,
    advertised: bool = True,
) -> AddressPlane:
    item = prefix(cidr, approved)
    found = [binding(cidr)] if bindings is None else bindings
    return plane_from_api(
        ACCOUNT, [item], {item["id"]: found}, {item["id"]: [bgp(cidr, advertised)]}, {}
    )


def use(*ips: str, transport: str = "tcp", protocol: str = "tcp/22") -> AddressUse:
    key = AppKey.of("example.com", "a.example.com", protocol)
    return AddressUse(key, ACCOUNT, transport, ips, Location("apps.yaml", 3, 5))


def kinds(found: list[Any]) -> list[tuple[str, str]]:
    return [(f.kind, f.ip) for f in found]


def test_an_ip_bound_to_spectrum_in_an_advertised_approved_prefix_is_fine() -> None:
    assert check_addresses([use("198.51.100.10")], {ACCOUNT: plane()}) == []


def test_udp_on_a_magic_transit_binding_is_refused_tcp_is_only_warned() -> None:
    mt = plane(bindings=[binding("198.51.100.0/24", "Magic Transit")])
    (udp,) = check_addresses([use("198.51.100.10", transport="udp")], {ACCOUNT: mt})
    assert (udp.kind, udp.refused) == ("udp_on_magic_transit", True)
    assert "Magic Transit" in udp.message and "198.51.100.10/32" in udp.message
    (tcp,) = check_addresses([use("198.51.100.10")], {ACCOUNT: mt})
    assert (tcp.kind, tcp.refused) == ("binding_not_spectrum", False)


def test_the_most_specific_binding_decides() -> None:
    mixed = plane(
        bindings=[
            binding("198.51.100.0/24", "Magic Transit"),
            binding("198.51.100.0/28", "Spectrum"),
        ]
    )
    assert check_addresses([use("198.51.100.10", transport="udp")], {ACCOUNT: mixed}) == []
    found = check_addresses([use("198.51.100.20", transport="udp")], {ACCOUNT: mixed})
    assert kinds(found) == [("udp_on_magic_transit", "198.51.100.20")]


def test_an_ip_of_a_prefix_pending_approval_is_refused() -> None:
    (found,) = check_addresses([use("198.51.100.10")], {ACCOUNT: plane(approved="P")})
    assert (found.kind, found.refused) == ("prefix_not_approved", True)
    assert "pending approval (P)" in found.message


def test_an_ip_outside_every_prefix_and_every_address_map_is_warned() -> None:
    (found,) = check_addresses([use("172.65.64.13")], {ACCOUNT: plane()})
    assert (found.kind, found.refused) == ("ip_not_byoip", False)
    assert "leased or delegated" in found.message
    assert kinds(check_addresses([use("172.65.64.13")], {})) == [("ip_not_byoip", "172.65.64.13")]


def test_a_cdn_binding_or_none_sends_traffic_elsewhere() -> None:
    (cdn,) = check_addresses(
        [use("198.51.100.10")], {ACCOUNT: plane(bindings=[binding("198.51.100.0/24", "CDN")])}
    )
    assert cdn.kind == "binding_not_spectrum"
    assert "create a Spectrum service binding for 198.51.100.10/32: 4-6 h to propagate" in (
        cdn.message
    )
    (unbound,) = check_addresses([use("198.51.100.10")], {ACCOUNT: plane(bindings=[])})
    assert unbound.kind == "binding_not_spectrum" and "no service binding" in unbound.message
    assert "traffic to it goes to CDN, not to Spectrum; create" in cdn.message
    assert (
        "no binding — no service binding covers it, so its traffic reaches no service;"
        " create a Spectrum service binding for 198.51.100.10/32" in unbound.message
    )


def test_a_binding_not_yet_active_is_warned() -> None:
    pending = plane(bindings=[binding("198.51.100.0/24", state="provisioning")])
    (found,) = check_addresses([use("198.51.100.10")], {ACCOUNT: pending})
    assert found.kind == "binding_provisioning"
    assert "binding 198.51.100.0/24 -> Spectrum (provisioning)" in found.message


def test_a_withdrawn_prefix_is_warned_with_everything_the_operator_needs() -> None:
    (found,) = check_addresses([use("198.51.100.10")], {ACCOUNT: plane(advertised=False)})
    assert found.kind == "prefix_withdrawn"
    assert found.message.startswith("a.example.com tcp/22 edge IP 198.51.100.10: prefix ")
    assert "(approved, withdrawn), binding 198.51.100.0/24 -> Spectrum (active)" in found.message
    assert str(found.source) == "apps.yaml:3:5"
    assert found.as_warning().to_dict() == {
        "kind": "prefix_withdrawn",
        "zone": "example.com",
        "key": {"dns_name": "a.example.com", "protocol": "tcp/22"},
        "ip": "198.51.100.10",
        "message": found.message,
        "source": "apps.yaml:3:5",
    }


def test_a_more_specific_bgp_prefix_decides_advertisement() -> None:
    item = prefix("198.51.100.0/24")
    split = plane_from_api(
        ACCOUNT,
        [item],
        {item["id"]: [binding("198.51.100.0/24")]},
        {item["id"]: [bgp("198.51.100.0/24", True), bgp("198.51.100.128/25", False)]},
        {},
    )
    found = check_addresses([use("198.51.100.10", "198.51.100.200")], {ACCOUNT: split})
    assert kinds(found) == [("prefix_withdrawn", "198.51.100.200")]


def test_without_bgp_prefixes_the_legacy_status_decides() -> None:
    item = prefix("2001:db8::/48")
    legacy = plane_from_api(
        ACCOUNT,
        [item],
        {item["id"]: [binding("2001:db8::/48")]},
        {item["id"]: []},
        {item["id"]: {"advertised": False}},
    )
    assert kinds(check_addresses([use("2001:DB8::10")], {ACCOUNT: legacy})) == [
        ("prefix_withdrawn", "2001:db8::10")
    ]


def test_a_binding_known_only_by_service_id_is_named_from_the_services_list() -> None:
    item = prefix("198.51.100.0/24")
    unnamed = {"id": "b1", "cidr": "198.51.100.0/24", "service_id": "s-mt",
               "provisioning": {"state": "active"}}  # fmt: skip
    plane_ = plane_from_api(
        ACCOUNT,
        [item],
        {item["id"]: [unnamed]},
        {item["id"]: [bgp("198.51.100.0/24", True)]},
        {},
        [{"id": "s-mt", "name": "Magic Transit"}],
    )
    found = check_addresses([use("198.51.100.10", transport="udp")], {ACCOUNT: plane_})
    assert kinds(found) == [("udp_on_magic_transit", "198.51.100.10")]


def test_several_states_at_once_give_one_finding_each() -> None:
    both = plane(bindings=[binding("198.51.100.0/24", "CDN")], advertised=False)
    found = check_addresses([use("198.51.100.10")], {ACCOUNT: both})
    assert kinds(found) == [
        ("binding_not_spectrum", "198.51.100.10"),
        ("prefix_withdrawn", "198.51.100.10"),
    ]


def test_an_object_without_a_cidr_is_an_error_not_a_guess() -> None:
    with pytest.raises(AddressPlaneError, match="no usable cidr"):
        plane_from_api(ACCOUNT, [{"id": "p1", "approved": "V"}], {}, {}, {})


@pytest.mark.parametrize("approval", ["P", "X", "pending", "v"])
def test_only_a_validated_prefix_is_approved(approval: str) -> None:
    """Cloudflare's `approved` is "V" once validated; anything else (not only "P") refuses."""
    (found,) = check_addresses([use("198.51.100.10")], {ACCOUNT: plane(approved=approval)})
    assert found.kind == "prefix_not_approved"


def test_an_ip_an_address_map_lists_is_not_warned() -> None:
    """Leased or delegated to the account: its Cloudflare-made address maps vouch for it."""
    leased = ipaddress.ip_address("172.65.64.13")
    mapped = {ACCOUNT: MappedIPs(frozenset({leased}))}
    assert check_addresses([use("172.65.64.13", "10.0.0.9")], {ACCOUNT: plane()}, mapped)[0].ip == (
        "10.0.0.9"
    )
    assert check_addresses([use("172.65.64.13")], {ACCOUNT: plane()}, mapped) == []


def test_maps_that_could_not_be_read_are_said_in_the_warning() -> None:
    mapped = {ACCOUNT: MappedIPs(unread="the token lacks Account > Address Maps > Read")}
    (found,) = check_addresses([use("172.65.64.13")], {ACCOUNT: plane()}, mapped)
    assert "could not be read: the token lacks Account > Address Maps > Read" in found.message


def test_only_ips_outside_the_account_s_prefixes_ask_for_its_maps() -> None:
    used = [(ACCOUNT, "198.51.100.7"), (ACCOUNT, "172.65.64.13")]
    outside = outside_prefixes(used, {ACCOUNT: plane()})
    assert outside == {ACCOUNT: frozenset({ipaddress.ip_address("172.65.64.13")})}
    assert outside_prefixes([(ACCOUNT, "198.51.100.7")], {ACCOUNT: plane()}) == {}
