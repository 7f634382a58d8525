"""One test per refusal: each body is valid except for the one thing Cloudflare refuses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from emulator_helpers import VNET, apps_url, create, error_codes, static_app, tcp_app

from reconciler.emulator import Emulator

UDP = {"protocol": "udp/53", "origin_direct": ["udp://192.0.2.1:53"]}
WORKER: dict[str, Any] = {"traffic_type": "worker", "origin_worker_id": "w1", "origin_direct": None}
DNS_ORIGIN = {"origin_direct": None, "origin_dns": {"name": "origin.example.com"}}

# (case id, body, expected code, expected HTTP status)
SINGLE_REQUEST_REFUSALS: list[tuple[str, dict[str, Any], int, int]] = [
    ("both origins", tcp_app(origin_dns={"name": "o.example.com"}, origin_port=22), 11000, 400),
    ("no origin", tcp_app(origin_direct=None), 11000, 400),
    ("origin_dns without origin_port", tcp_app(**DNS_ORIGIN), 11001, 400),
    (
        "origin_dns ttl below 600",
        tcp_app(
            origin_direct=None, origin_dns={"name": "o.example.com", "ttl": 300}, origin_port=22
        ),
        11001,
        400,
    ),
    (
        "origin_dns name not a hostname",
        tcp_app(origin_direct=None, origin_dns={"name": "not a host"}, origin_port=22),
        11001,
        400,
    ),
    ("unbracketed IPv6 origin", tcp_app(origin_direct=["tcp://2001:db8::1:22"]), 11002, 400),
    ("hostname origin_direct", tcp_app(origin_direct=["tcp://origin.example.com:22"]), 11002, 400),
    ("udp origin on a tcp app", tcp_app(origin_direct=["udp://192.0.2.1:22"]), 11002, 400),
    ("BYOIP address as origin", tcp_app(origin_direct=["tcp://198.51.100.7:22"]), 11002, 400),
    (
        "CNAME with static edge IPs",
        tcp_app(edge_ips={"type": "static", "ips": ["198.51.100.10"]}),
        11004,
        400,
    ),
    ("ADDRESS with dynamic edge IPs", static_app(edge_ips={"type": "dynamic"}), 11004, 400),
    ("ADDRESS without edge_ips", static_app(edge_ips=None), 11004, 400),
    (
        "static IP outside the approved prefixes",
        static_app(edge_ips={"type": "static", "ips": ["192.0.2.50"]}),
        11019,
        400,
    ),
    ("proxy_protocol v1 on UDP", tcp_app(proxy_protocol="v1", **UDP), 11903, 400),
    ("proxy_protocol simple on TCP", tcp_app(proxy_protocol="simple"), 11903, 400),
    ("tls on UDP", tcp_app(tls="full", **UDP), 11903, 400),
    ("ip_firewall on UDP", tcp_app(ip_firewall=True, **UDP), 11903, 400),
    ("traffic_type http on UDP", tcp_app(traffic_type="http", **UDP), 11903, 400),
    ("traffic_type https on UDP", tcp_app(traffic_type="https", **UDP), 11903, 400),
    (
        "argo with traffic_type http",
        tcp_app(traffic_type="http", argo_smart_routing=True),
        11903,
        400,
    ),
    (
        "origin_port range of another size",
        tcp_app(
            protocol="tcp/1000-2000",
            origin_direct=None,
            origin_dns={"name": "o.example.com"},
            origin_port="3000-3010",
        ),
        11902,
        400,
    ),
    (
        "origin_direct range of another size",
        tcp_app(protocol="tcp/1000-1010", origin_direct=["tcp://192.0.2.1:3000-3001"]),
        11902,
        400,
    ),
    (
        "virtual network with origin_dns",
        tcp_app(
            virtual_network_id=VNET,
            origin_direct=None,
            origin_dns={"name": "o.example.com"},
            origin_port=22,
        ),
        11041,
        400,
    ),
    (
        "virtual network with two origins",
        tcp_app(virtual_network_id=VNET, origin_direct=["tcp://10.0.0.5:22", "tcp://10.0.0.6:22"]),
        11042,
        400,
    ),
    (
        "virtual network with a port range",
        tcp_app(
            virtual_network_id=VNET, protocol="tcp/22-23", origin_direct=["tcp://10.0.0.5:22-23"]
        ),
        11043,
        400,
    ),
    (
        "virtual network without a route",
        tcp_app(virtual_network_id=VNET, origin_direct=["tcp://172.16.0.5:22"]),
        11044,
        400,
    ),
    (
        "virtual network id not a UUID",
        tcp_app(virtual_network_id="vnet-1", origin_direct=["tcp://10.0.0.5:22"]),
        11045,
        400,
    ),
    ("hostname of another zone", tcp_app("ssh.other.org"), 16001, 400),
    ("hostname in no zone of the account", tcp_app("ssh.elsewhere.net"), 11909, 400),
    (
        "origin_dns name is an IP literal",
        tcp_app(origin_direct=None, origin_dns={"name": "192.0.2.1"}, origin_port=22),
        11001,
        400,
    ),
    (
        "single edge port, origin range",
        tcp_app(origin_direct=["tcp://192.0.2.1:3000-3001"]),
        11902,
        400,
    ),
    ("malformed origin_port beside origin_direct", tcp_app(origin_port="x"), 11001, 400),
    (
        "worker without origin_worker_id",
        tcp_app(traffic_type="worker", origin_direct=None),
        11900,
        400,
    ),
    (
        "worker with origin_direct",
        tcp_app(**{**WORKER, "origin_direct": ["tcp://192.0.2.1:22"]}),
        11000,
        400,
    ),
    ("worker with origin_port", tcp_app(**WORKER, origin_port=22), 11000, 400),
    ("worker with proxy_protocol", tcp_app(**WORKER, proxy_protocol="v1"), 11903, 400),
    ("worker with argo", tcp_app(**WORKER, argo_smart_routing=True), 11903, 400),
    ("worker with tls full", tcp_app(**WORKER, tls="full"), 11903, 400),
    ("worker on UDP", tcp_app(**WORKER, protocol="udp/53"), 11903, 400),
    ("origin_worker_id without worker traffic", tcp_app(origin_worker_id="w1"), 11903, 400),
    ("hostname of a more specific zone", tcp_app("ssh.sub.example.com"), 16001, 400),
    ("named protocol minecraft (withdrawn)", tcp_app(protocol="minecraft"), 13002, 400),
    ("missing dns", tcp_app(dns=None), 11900, 400),
    ("bad tls value", tcp_app(tls="maybe"), 11900, 400),
    ("descending port range", tcp_app(protocol="tcp/30-20"), 11900, 400),
]


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [case[1:] for case in SINGLE_REQUEST_REFUSALS],
    ids=[case[0] for case in SINGLE_REQUEST_REFUSALS],
)
def test_create_refused(
    client: httpx.Client, zone_id: str, emu: Emulator, body: Any, code: int, status: int
) -> None:
    response = client.post(apps_url(zone_id), json=body)
    assert (response.status_code, error_codes(response)) == (status, [code])
    assert emu.apps(zone_id) == []


def test_base_bodies_are_accepted(client: httpx.Client, zone_id: str) -> None:
    """The refusals above differ from these by one field, so each test isolates one rule."""
    create(client, zone_id, tcp_app())
    create(client, zone_id, static_app())
    create(client, zone_id, tcp_app("udp.example.com", proxy_protocol="simple", **UDP))
    create(
        client,
        zone_id,
        tcp_app("vnet.example.com", virtual_network_id=VNET, origin_direct=["tcp://10.0.0.5:22"]),
    )


def test_malformed_json_is_refused(client: httpx.Client, zone_id: str) -> None:
    response = client.post(apps_url(zone_id), content=b"{not json")
    assert (response.status_code, error_codes(response)) == (400, [11900])


def test_dns_type_change_on_put_is_refused(client: httpx.Client, zone_id: str) -> None:
    app = create(client, zone_id, tcp_app("move.example.com"))
    response = client.put(apps_url(zone_id, app["id"]), json=static_app("move.example.com"))
    assert (response.status_code, error_codes(response)) == (400, [11004])


def test_static_ip_used_by_another_zone_is_refused(
    emu: Emulator, client: httpx.Client, zone_id: str
) -> None:
    other = emu.ensure_zone("other.org")["id"]
    create(client, other, static_app("byoip.other.org"))
    response = client.post(apps_url(zone_id), json=static_app())
    assert (response.status_code, error_codes(response)) == (400, [11033])


def test_static_ip_shared_within_a_zone_is_accepted(client: httpx.Client, zone_id: str) -> None:
    create(client, zone_id, static_app())
    create(client, zone_id, static_app(protocol="tcp/23", origin_direct=["tcp://192.0.2.1:23"]))


@pytest.mark.parametrize(
    ("existing", "new"),
    [("tcp/22", "tcp/22"), ("tcp/1000-2000", "tcp/1500"), ("tcp/20-30", "tcp/30-40")],
)
def test_overlapping_hostname_and_port_is_refused(
    client: httpx.Client, zone_id: str, existing: str, new: str
) -> None:
    create(
        client,
        zone_id,
        tcp_app(
            protocol=existing,
            origin_dns={"name": "o.example.com"},
            origin_port=22,
            origin_direct=None,
        ),
    )
    body = tcp_app(
        protocol=new, origin_direct=None, origin_dns={"name": "o.example.com"}, origin_port=22
    )
    response = client.post(apps_url(zone_id), json=body)
    assert (response.status_code, error_codes(response)) == (400, [11901])


def test_hostname_may_be_shared_on_other_ports_and_transports(
    client: httpx.Client, zone_id: str
) -> None:
    create(client, zone_id, tcp_app())
    create(client, zone_id, tcp_app(protocol="tcp/2222", origin_direct=["tcp://192.0.2.1:2222"]))
    create(client, zone_id, tcp_app(protocol="udp/22", origin_direct=["udp://192.0.2.1:22"]))
    create(
        client,
        zone_id,
        tcp_app("SSH.example.com.", protocol="tcp/23", origin_direct=["tcp://192.0.2.1:23"]),
    )


def test_overlap_ignores_the_app_being_replaced(client: httpx.Client, zone_id: str) -> None:
    app = create(client, zone_id, tcp_app())
    response = client.put(apps_url(zone_id, app["id"]), json=tcp_app(tls="full"))
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_unknown_app_is_404_with_envelope(client: httpx.Client, zone_id: str, method: str) -> None:
    response = client.request(method, apps_url(zone_id, "0" * 32), json=tcp_app())
    assert (response.status_code, error_codes(response)) == (404, [11905])


@pytest.mark.parametrize(
    "path",
    [
        "/zones/not-an-id/spectrum/apps",
        "/zones/{zone}/spectrum/apps/xyz",
        "/zones/{zone}/spectrum/nothing",
        "/zones/" + "f" * 32 + "/spectrum/apps",
        "/accounts/" + "e" * 32 + "/addressing/prefixes",
    ],
)
def test_bad_id_or_route_is_7003(client: httpx.Client, zone_id: str, path: str) -> None:
    response = client.get(path.format(zone=zone_id))
    assert (response.status_code, error_codes(response)) == (400, [7003, 7000])


def test_patch_is_not_routed(client: httpx.Client, zone_id: str) -> None:
    app = create(client, zone_id, tcp_app())
    response = client.patch(apps_url(zone_id, app["id"]), json={"tls": "full"})
    assert (response.status_code, error_codes(response)) == (400, [7003, 7000])


def test_unknown_fields_are_ignored(client: httpx.Client, zone_id: str) -> None:
    app = create(client, zone_id, tcp_app(spp=True, colour="blue"))
    assert "colour" not in app and "spp" not in app


@pytest.mark.parametrize("tls", ["off", "flexible"])
def test_worker_app_is_accepted(client: httpx.Client, zone_id: str, tls: str) -> None:
    app = create(client, zone_id, tcp_app(**WORKER, tls=tls))
    assert (app["traffic_type"], app["origin_worker_id"], app["tls"]) == ("worker", "w1", tls)
    assert "origin_direct" not in app and "origin_dns" not in app


@pytest.mark.parametrize("name", ["ssh", "rdp"])
def test_named_protocols_are_returned_as_sent(
    client: httpx.Client, zone_id: str, name: str
) -> None:
    app = create(client, zone_id, tcp_app(f"{name}.example.com", protocol=name))
    assert app["protocol"] == name


@pytest.mark.parametrize(("named", "numbered"), [("ssh", "tcp/22"), ("rdp", "tcp/3380-3390")])
def test_named_protocols_overlap_their_ports(
    client: httpx.Client, zone_id: str, named: str, numbered: str
) -> None:
    create(client, zone_id, tcp_app(protocol=named))
    response = client.post(apps_url(zone_id), json=tcp_app(protocol=numbered))
    assert error_codes(response) == [11901]
    create(client, zone_id, tcp_app(protocol="udp/22", origin_direct=["udp://192.0.2.1:22"]))


def test_origin_port_beside_origin_direct_is_kept_and_the_uri_port_wins(
    client: httpx.Client, zone_id: str
) -> None:
    """Terraform's spectrumapplicationconfigbasic.tf: origin_direct :23 with origin_port 22."""
    body = tcp_app(origin_direct=["tcp://192.0.2.1:23"], origin_port=22)
    app = create(client, zone_id, body)
    assert (app["origin_direct"], app["origin_port"]) == (["tcp://192.0.2.1:23"], 22)
    # Ignored beside origin_direct: a range of another size is no size mismatch.
    create(client, zone_id, tcp_app("r.example.com", origin_port="3000-3009"))


def test_edge_range_with_one_origin_port_is_accepted(client: httpx.Client, zone_id: str) -> None:
    """Every edge port goes to the one origin port; the size rule binds origin ranges only."""
    create(client, zone_id, tcp_app(protocol="tcp/1000-2000", origin_direct=["tcp://192.0.2.1:22"]))
    create(
        client,
        zone_id,
        tcp_app(
            "dns.example.com",
            protocol="tcp/1000-2000",
            origin_direct=None,
            origin_dns={"name": "o.example.com"},
            origin_port=3000,
        ),
    )
