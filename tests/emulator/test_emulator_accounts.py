"""Several accounts in one emulator: zones, prefixes and leases of an ``account=``, delegations
lending a CIDR of one account's prefix to another, and the address maps Cloudflare makes for
leased (and lent) static IPs — through the SDK (cloudflare==5.9.0) over loopback where a shape
is at stake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudflare import Cloudflare
from cloudflare.types.addressing import AddressMap, AddressMapGetResponse
from cloudflare.types.addressing.prefixes import DelegationDeleteResponse, Delegations
from emulator_helpers import client_for, create, error_codes, make_emulator, static_app, tcp_app
from test_emulator_sdk_addressing import conforms

from reconciler.emulator import Emulator, EmulatorConfig

OTHER = "b1946ac92492d2347c6235b4d2611184"
THIRD = "023e105f4ecef8ad9ca31a8372d0c353"


@pytest.fixture
def emu() -> Emulator:
    return make_emulator(
        zones=("example.com", f"other.org,account={OTHER}", f"third.net,account={THIRD}"),
        byoip_prefixes=("198.51.100.0/24", f"203.0.113.0/24,account={OTHER}"),
        leased_prefixes=("172.65.64.0/30", f"172.65.65.0/31,account={OTHER}"),
        delegations=(f"203.0.113.128/25,to={THIRD}",),
    )


def _zone(emu: Emulator, name: str) -> str:
    return str(emu.ensure_zone(name)["id"])


def _static(name: str, ip: str) -> dict[str, Any]:
    return static_app(name, edge_ips={"type": "static", "ips": [ip]})


def test_each_zone_names_its_account(client: httpx.Client, emu: Emulator) -> None:
    accounts = {
        name: client.get(f"/zones/{_zone(emu, name)}").json()["result"]["account"]["id"]
        for name in ("example.com", "other.org", "third.net")
    }
    assert accounts == {"example.com": emu.account_id, "other.org": OTHER, "third.net": THIRD}


def test_an_account_sees_only_its_own_prefixes(sdk: Cloudflare, emu: Emulator) -> None:
    mine = [p.cidr for p in sdk.addressing.prefixes.list(account_id=emu.account_id)]
    theirs = [p.cidr for p in sdk.addressing.prefixes.list(account_id=OTHER)]
    assert (mine, theirs) == (["198.51.100.0/24"], ["203.0.113.0/24"])
    assert list(sdk.addressing.prefixes.list(account_id=THIRD)) == []


def test_static_ips_follow_the_zone_s_account(client: httpx.Client, emu: Emulator) -> None:
    """Its own prefix, a lease and a delegation to it: usable; anything else 11019."""
    third, other, mine = _zone(emu, "third.net"), _zone(emu, "other.org"), _zone(emu, "example.com")
    create(client, third, _static("lent.third.net", "203.0.113.200"))  # delegated to THIRD
    create(client, other, _static("own.other.org", "203.0.113.10"))  # OTHER's own prefix
    create(client, other, _static("leased.other.org", "172.65.65.1"))  # leased to OTHER
    refused = {
        (mine, "203.0.113.11"): "another account's prefix",
        (mine, "172.65.65.0"): "another account's lease",
        (third, "203.0.113.12"): "outside the delegated CIDR",
        (third, "198.51.100.1"): "the default account's prefix",
    }
    for (zone_id, ip), why in refused.items():
        name = {mine: "example.com", third: "third.net"}[zone_id]
        answer = client.post(f"/zones/{zone_id}/spectrum/apps", json=_static(f"x.{name}", ip))
        assert error_codes(answer) == [11019], why


def test_a_lent_cidr_serves_only_the_account_it_is_lent_to(
    client: httpx.Client, emu: Emulator
) -> None:
    """203.0.113.128/25 is lent to THIRD: the default account may not use it (11019)."""
    mine = _zone(emu, "example.com")
    answer = client.post(
        f"/zones/{mine}/spectrum/apps", json=_static("x.example.com", "203.0.113.200")
    )
    assert error_codes(answer) == [11019]


def test_an_origin_in_another_account_s_zone_is_11050_under_the_account_policy() -> None:
    emu = make_emulator(
        zones=("example.com", f"other.org,account={OTHER}"), origin_dns_policy="account"
    )
    body = tcp_app(origin_direct=None, origin_dns={"name": "db.other.org"}, origin_port=22)
    with client_for(emu) as client:
        answer = client.post(f"/zones/{_zone(emu, 'example.com')}/spectrum/apps", json=body)
    assert error_codes(answer) == [11050]


def test_the_owner_keeps_the_use_of_a_cidr_it_delegated(
    client: httpx.Client, emu: Emulator
) -> None:
    """Chosen: a delegation grants the CIDR, it does not move it (undocumented)."""
    create(client, _zone(emu, "other.org"), _static("kept.other.org", "203.0.113.129"))


def test_delegations_list_create_delete(
    sdk: Cloudflare, emu: Emulator, client: httpx.Client
) -> None:
    (prefix,) = sdk.addressing.prefixes.list(account_id=OTHER)
    prefix_id = str(prefix.id)
    (seeded,) = sdk.addressing.prefixes.delegations.list(prefix_id, account_id=OTHER)
    conforms(seeded, Delegations)
    assert (seeded.cidr, seeded.delegated_account_id, seeded.parent_prefix_id) == (
        "203.0.113.128/25",
        THIRD,
        prefix_id,
    )
    made = sdk.addressing.prefixes.delegations.create(
        prefix_id, account_id=OTHER, cidr="203.0.113.0/28", delegated_account_id=emu.account_id
    )
    conforms(made, Delegations)
    create(client, _zone(emu, "example.com"), _static("lent.example.com", "203.0.113.5"))
    gone = sdk.addressing.prefixes.delegations.delete(
        str(made.id), account_id=OTHER, prefix_id=prefix_id
    )
    assert conforms(gone, DelegationDeleteResponse).id == made.id
    listed = sdk.addressing.prefixes.delegations.list(prefix_id, account_id=OTHER)
    assert [d.id for d in listed] == [seeded.id]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ({"cidr": "198.51.100.0/28", "delegated_account_id": THIRD}, "outside the prefix"),
        ({"cidr": "203.0.113.0/28", "delegated_account_id": OTHER}, "to its own account"),
        ({"cidr": "203.0.113.0/28", "delegated_account_id": "nobody"}, "not an account id"),
        ({"cidr": "203.0.113.128/25", "delegated_account_id": THIRD}, "already delegated"),
    ],
)
def test_a_bad_delegation_is_refused(
    client: httpx.Client, emu: Emulator, body: dict[str, str], why: str
) -> None:
    prefixes = client.get(f"/accounts/{OTHER}/addressing/prefixes").json()["result"]
    url = f"/accounts/{OTHER}/addressing/prefixes/{prefixes[0]['id']}/delegations"
    assert error_codes(client.post(url, json=body)) == [11900], why


def test_a_delegation_past_what_an_address_map_holds_is_refused() -> None:
    emu = make_emulator()  # its 2001:db8::/48 is the default account's
    with client_for(emu) as client:
        prefixes = client.get(f"/accounts/{emu.account_id}/addressing/prefixes").json()["result"]
        (v6,) = [p for p in prefixes if ":" in p["cidr"]]
        url = f"/accounts/{emu.account_id}/addressing/prefixes/{v6['id']}/delegations"
        body = {"cidr": "2001:db8::/120", "delegated_account_id": OTHER}
        assert client.post(url, json=body).status_code == 200  # 256 addresses: the most
        answer = client.post(url, json={**body, "cidr": "2001:db8:0:1::/119"})
    assert error_codes(answer) == [11900]
    assert "at most 256 addresses" in answer.json()["errors"][0]["message"]


def test_another_account_s_prefix_is_not_found_under_mine(
    client: httpx.Client, emu: Emulator
) -> None:
    prefixes = client.get(f"/accounts/{OTHER}/addressing/prefixes").json()["result"]
    url = f"/accounts/{emu.account_id}/addressing/prefixes/{prefixes[0]['id']}/delegations"
    assert error_codes(client.get(url)) == [11908]


def test_leased_ips_sit_in_a_map_cloudflare_made(sdk: Cloudflare, emu: Emulator) -> None:
    (summary,) = sdk.addressing.address_maps.list(account_id=emu.account_id)
    conforms(summary, AddressMap)
    assert (summary.can_delete, summary.can_modify_ips) == (False, False)
    whole = sdk.addressing.address_maps.get(str(summary.id), account_id=emu.account_id)
    conforms(whole, AddressMapGetResponse)
    assert [ip.ip for ip in whole.ips or []] == [f"172.65.64.{n}" for n in range(4)]
    assert [(m.identifier, m.kind) for m in whole.memberships or []] == [
        (emu.account_id, "account")
    ]


def test_a_delegation_shows_in_the_receiver_s_maps(sdk: Cloudflare) -> None:
    (summary,) = sdk.addressing.address_maps.list(account_id=THIRD)
    whole = sdk.addressing.address_maps.get(str(summary.id), account_id=THIRD)
    assert len(whole.ips or []) == 128 and (whole.ips or [])[0].ip == "203.0.113.128"


def test_the_ipv4_hostname_quota_counts_per_account() -> None:
    emu = make_emulator(zones=("example.com", f"other.org,account={OTHER}"), ipv4_hostname_quota=1)
    with client_for(emu) as c:
        create(c, _zone(emu, "example.com"), tcp_app("a.example.com"))
        create(c, _zone(emu, "other.org"), tcp_app("a.other.org"))
        answer = c.post(
            f"/zones/{_zone(emu, 'other.org')}/spectrum/apps", json=tcp_app("b.other.org")
        )
        assert error_codes(answer) == [12005]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("zones", "a.com,account=nobody", "account=nobody — give the account's id"),
        ("leased_prefixes", "172.65.0.0/16", "holds 65536 addresses"),
        ("delegations", "203.0.113.0/28", "name the receiving account"),
        ("delegations", f"192.0.2.0/28,to={OTHER}", "inside no --byoip-prefix"),
        ("delegations", f"203.0.113.0/28,to={OTHER}", "already belongs to account"),
    ],
)
def test_a_bad_account_flag_is_one_located_line(field: str, value: str, says: str) -> None:
    prefixes = (f"203.0.113.0/24,account={OTHER}",)
    with pytest.raises(ValueError) as caught:
        EmulatorConfig(byoip_prefixes=prefixes, **{field: (value,)})
    (line,) = str(caught.value).splitlines()
    assert line.startswith("--") and value in line and says in line


def test_a_hostname_of_another_account_s_zone_is_11909(client: httpx.Client, emu: Emulator) -> None:
    answer = client.post(
        f"/zones/{_zone(emu, 'example.com')}/spectrum/apps", json=tcp_app("ssh.other.org")
    )
    assert error_codes(answer) == [11909]


def test_an_account_the_state_names_nowhere_has_no_route(client: httpx.Client) -> None:
    answer = client.get("/accounts/0123456789abcdef0123456789abcdef/addressing/prefixes")
    assert error_codes(answer) == [7003, 7000]


def test_delegations_and_leases_survive_a_restart(tmp_path: Path) -> None:
    """A delegation made through the API, and each lease's account, are in the state file."""
    path = tmp_path / "state.json"
    config = EmulatorConfig(
        zones=(f"other.org,account={OTHER}",),
        byoip_prefixes=(f"203.0.113.0/24,account={OTHER}",),
        leased_prefixes=(f"172.65.65.0/31,account={OTHER}",),
        state_file=path,
    )
    with Emulator(config) as first, client_for(first) as c:
        prefix_id = c.get(f"/accounts/{OTHER}/addressing/prefixes").json()["result"][0]["id"]
        url = f"/accounts/{OTHER}/addressing/prefixes/{prefix_id}/delegations"
        made = c.post(url, json={"cidr": "203.0.113.0/28", "delegated_account_id": THIRD})
        assert made.status_code == 200, made.text
    with Emulator(config) as again, client_for(again) as c:
        (kept,) = c.get(url).json()["result"]
        assert kept["id"] == made.json()["result"]["id"]
        (leased,) = c.get(f"/accounts/{OTHER}/addressing/address_maps").json()["result"]
        assert c.get(f"/accounts/{THIRD}/addressing/address_maps").json()["result"] != []
        assert leased["can_modify_ips"] is False
