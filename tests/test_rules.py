"""Semantic rules: for each, a fixture that breaks it (located exactly) and one that keeps it."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired import rules
from reconciler.desired.loading import load_documents
from reconciler.desired.validate import validate_documents

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "config"


def problems_of(name: str) -> list[tuple[str, int, int, str]]:
    docs, problems = load_documents([FIXTURES / name])
    state, more = validate_documents(docs)
    assert problems == [], "rule fixtures must load cleanly"
    assert (state is None) == bool(more)
    return [
        (
            Path(p.location.file).relative_to(FIXTURES).as_posix(),
            p.location.line,
            p.location.col,
            p.message,
        )
        for p in more
        if p.location is not None
    ] + [("<none>", 0, 0, p.message) for p in more if p.location is None]


# fixture, then every problem it must produce: (file, line, col, words the message must hold)
BROKEN = [
    (
        "bad-range-backwards.yaml",
        [
            ("bad-range-backwards.yaml", 4, 15, "must start below its end — write 1000-2000"),
            ("bad-range-backwards.yaml", 5, 21, "must start below its end — write 1000-2000"),
        ],
    ),
    (
        "bad-range-one-port.yaml",
        [("bad-range-one-port.yaml", 4, 15, "'tcp/22-22' is a range of one port — write tcp/22")],
    ),
    (
        "bad-origin-dns-ip-literal.yaml",
        [("bad-origin-dns-ip-literal.yaml", 5, 24, "is an IP address, not a hostname")],
    ),
    (
        "bad-origin-range-size.yaml",
        [
            ("bad-origin-range-size.yaml", 5, 21, "3000-3999 hold 1000 ports but the edge"),
        ],
    ),
    (
        "bad-origin-port-range-size.yaml",
        [
            ("bad-origin-port-range-size.yaml", 6, 18, "3000-3010 hold 11 ports"),
        ],
    ),
    (
        "bad-origin-range-for-single-edge-port.yaml",
        [
            ("bad-origin-range-for-single-edge-port.yaml", 5, 21, "22-23 hold 2 ports"),
        ],
    ),
    (
        "bad-named-protocol-overlap.yaml",
        [
            ("bad-named-protocol-overlap.yaml", 7, 15, "ssh overlaps tcp/20-30"),
            ("bad-named-protocol-overlap.yaml", 11, 21, "origin_direct uses udp:// but the app"),
        ],
    ),
    ("bad-udp-proxy-v1.yaml", [("bad-udp-proxy-v1.yaml", 6, 21, "v1 is TCP only")]),
    ("bad-tcp-proxy-simple.yaml", [("bad-tcp-proxy-simple.yaml", 6, 21, "simple is UDP only")]),
    ("bad-udp-tls.yaml", [("bad-udp-tls.yaml", 6, 10, "tls is TCP only")]),
    ("bad-udp-ip-firewall.yaml", [("bad-udp-ip-firewall.yaml", 6, 18, "ip_firewall is TCP")]),
    ("bad-udp-http.yaml", [("bad-udp-http.yaml", 6, 19, "traffic_type https is TCP only")]),
    ("bad-argo-http.yaml", [("bad-argo-http.yaml", 7, 25, "needs traffic_type direct")]),
    (
        "bad-origin-dns-no-port.yaml",
        [
            ("bad-origin-dns-no-port.yaml", 5, 17, "origin_dns without origin_port"),
        ],
    ),
    (
        "bad-static-ip-not-address.yaml",
        [
            ("bad-static-ip-not-address.yaml", 8, 30, "'198.51.100.0/24' is not an IP address"),
        ],
    ),
    (
        "bad-static-ip-repeated.yaml",
        [
            ("bad-static-ip-repeated.yaml", 11, 11, "'2001:DB8:0::1' repeats '2001:db8::1'"),
        ],
    ),
    (
        "bad-vnet-origin-dns.yaml",
        [
            ("bad-vnet-origin-dns.yaml", 7, 25, "does not work with origin_dns"),
        ],
    ),
    (
        "bad-vnet-two-origins.yaml",
        [
            ("bad-vnet-two-origins.yaml", 5, 20, "allows one origin_direct entry"),
        ],
    ),
    (
        "bad-vnet-port-range.yaml",
        [
            ("bad-vnet-port-range.yaml", 4, 15, "take single ports only"),
            ("bad-vnet-port-range.yaml", 5, 21, "take single ports only"),
        ],
    ),
    (
        "bad-vnet-proxy-protocol.yaml",
        [
            ("bad-vnet-proxy-protocol.yaml", 6, 21, "needs proxy_protocol off"),
        ],
    ),
    (
        "bad-vnet-traffic-http.yaml",
        [
            ("bad-vnet-traffic-http.yaml", 6, 19, "needs traffic_type direct"),
        ],
    ),
    ("bad-vnet-not-uuid.yaml", [("bad-vnet-not-uuid.yaml", 6, 25, "is not a UUID")]),
    (
        "bad-origin-direct-not-ip.yaml",
        [
            ("bad-origin-direct-not-ip.yaml", 5, 43, "'[192.0.2.2]' is not an IPv4 address"),
        ],
    ),
    (
        "bad-origin-direct-scheme.yaml",
        [
            ("bad-origin-direct-scheme.yaml", 5, 21, "uses udp:// but the app is tcp/22"),
        ],
    ),
    (
        "bad-dns-name-outside-zone.yaml",
        [
            ("bad-dns-name-outside-zone.yaml", 3, 30, "a.example.net is not in zone example.com"),
        ],
    ),
    ("bad-worker-tls.yaml", [("bad-worker-tls.yaml", 7, 10, "takes tls off or flexible")]),
    (
        "bad-duplicate-identity.yaml",
        [
            (
                "bad-duplicate-identity.yaml",
                6,
                5,
                "a.example.com tcp/22 is declared twice in zone example.com",
            ),
        ],
    ),
    (
        "bad-overlapping-ports.yaml",
        [
            ("bad-overlapping-ports.yaml", 7, 15, "tcp/22 overlaps tcp/20-30 on a.example.com"),
        ],
    ),
    (
        "bad-ignore-matches-app.yaml",
        [
            (
                "bad-ignore-matches-app.yaml",
                2,
                22,
                "ignore pattern 'A.*' matches the declared app a.example.com tcp/22",
            ),
        ],
    ),
    (
        "bad-duplicate-identity-across-files",
        [
            (
                "bad-duplicate-identity-across-files/b.yaml",
                3,
                5,
                "declared twice in zone example.com",
            ),
        ],
    ),
    (
        "bad-duplicate-identity-by-zone-id",
        [
            (
                "bad-duplicate-identity-by-zone-id/b.yaml",
                3,
                5,
                "declared twice in zone example.com",
            ),
        ],
    ),
    (
        "bad-overlap-across-files",
        [
            ("bad-overlap-across-files/b.yaml", 4, 15, "tcp/1-1024 overlaps tcp/22"),
        ],
    ),
    (
        "bad-zone-id-conflict",
        [
            (
                "bad-zone-id-conflict/b.yaml",
                2,
                10,
                "zone example.com has zone_id 0000000000000000000000000000000a here but 023e",
            ),
            ("bad-zone-id-conflict/c.yaml", 2, 10, "names zone example.net here but example.com"),
        ],
    ),
    (
        "bad-static-ip-two-zones",
        [
            (
                "bad-static-ip-two-zones/b.yaml",
                6,
                53,
                "static edge IP 2001:db8::10 is also declared in zone example.com",
            ),
        ],
    ),
    (
        "bad-safety-conflict",
        [
            ("bad-safety-conflict/b.yaml", 3, 3, "safety for zone example.com differs"),
        ],
    ),
    (
        "bad-freeze-until.yaml",
        [
            (
                "bad-freeze-until.yaml",
                2,
                17,
                "freeze.until '2026-02-30T00:00:00Z' is not a real time",
            )
        ],
    ),
    (
        "bad-freeze-cron.yaml",
        [
            ("bad-freeze-cron.yaml", 4, 12, "freeze.cron '0 25 * * FRI' is not a cron expression"),
            ("bad-freeze-cron.yaml", 5, 53, "freeze.timezone 'Mars/Olympus' is no IANA time zone"),
        ],
    ),
    (
        "bad-token-env-conflict",
        [
            ("bad-token-env-conflict/b.yaml", 2, 12, "token_env TEAM_B_TOKEN for zone example.com"),
        ],
    ),
    (
        "bad-ignore-across-files",
        [
            ("bad-ignore-across-files/a.yaml", 2, 10, "'*.EXAMPLE.com' matches the declared app"),
        ],
    ),
]

KEPT = [
    "good-range.yaml",
    "good-origin-port-range-size.yaml",
    "good-edge-range-one-origin-port.yaml",
    "good-origin-port-beside-origin-direct.yaml",
    "good-udp-dynamic.yaml",
    "good-udp-byoip.yaml",
    "good-named-protocols.yaml",
    "good-udp-proxy-simple.yaml",
    "good-tcp-proxy-v1.yaml",
    "good-tcp-tls.yaml",
    "good-tcp-ip-firewall.yaml",
    "good-tcp-http.yaml",
    "good-argo-direct.yaml",
    "good-origin-dns-srv.yaml",
    "good-static-ips.yaml",
    "good-vnet.yaml",
    "good-origin-direct-ipv6.yaml",
    "good-dns-name-is-zone-apex.yaml",
    "good-worker.yaml",
    "good-same-name-other-transport.yaml",
    "good-ignore.yaml",
    "good-zone-by-id-and-name",
    "good-safety-once",
]


@pytest.mark.parametrize(("fixture", "expected"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_rule_is_reported_where_it_is_broken(
    fixture: str, expected: list[tuple[str, int, int, str]]
) -> None:
    found = problems_of(fixture)
    assert [(f, line, col) for f, line, col, _m in found] == [
        (f, ln, c) for f, ln, c, _w in expected
    ]
    for (_f, _l, _c, message), (_ef, _el, _ec, words) in zip(found, expected, strict=True):
        assert words in message
        assert " — " in message, "a message says what to do after the dash"


@pytest.mark.parametrize("fixture", KEPT)
def test_a_kept_rule_reports_nothing(fixture: str) -> None:
    assert problems_of(fixture) == []


def test_cross_file_messages_name_both_places() -> None:
    ((_f, _l, _c, message),) = problems_of("bad-duplicate-identity-across-files")
    assert f"also at {FIXTURES / 'bad-duplicate-identity-across-files' / 'a.yaml'}:3:5" in message


def test_every_rule_has_a_broken_fixture() -> None:
    # A rule nobody breaks in a fixture is a rule nobody tested.
    messages = " ".join(m for fixture, _ in BROKEN for *_loc, m in problems_of(fixture))
    markers = {
        rules.ports_are_well_formed: "must start below its end",
        rules.origin_ports_match_edge: "the same size as the edge range",
        rules.origin_direct_hosts_are_addresses: "not an IPv4 address or a bracketed IPv6",
        rules.origin_direct_scheme_matches_protocol: "origin_direct uses",
        rules.origin_dns_has_origin_port: "origin_dns without origin_port",
        rules.origin_dns_name_is_not_an_address: "is an IP address, not a hostname",
        rules.proxy_protocol_fits_transport: "proxy_protocol simple is UDP only",
        rules.tls_is_tcp_only: "tls is TCP only",
        rules.ip_firewall_is_tcp_only: "ip_firewall is TCP only",
        rules.http_traffic_is_tcp_only: "is TCP only — use traffic_type direct",
        rules.argo_needs_direct_traffic: "argo_smart_routing needs traffic_type direct",
        rules.worker_apps_keep_worker_limits: "a worker app takes",
        rules.static_edge_ips_are_addresses: "is not an IP address",
        rules.static_edge_ips_are_unique: "list each address once",
        rules.virtual_network_id_is_uuid: "is not a UUID",
        rules.virtual_network_needs_one_direct_origin: "allows one origin_direct entry",
        rules.virtual_network_has_no_port_ranges: "take single ports only",
        rules.virtual_network_needs_plain_direct_traffic: "virtual_network_id needs",
        rules.dns_name_is_in_zone: "is not in zone",
        rules.identities_are_unique: "is declared twice",
        rules.ports_do_not_overlap_on_a_hostname: "overlaps",
        rules.zone_ids_agree: "give one zone one zone_id",
        rules.safety_settings_agree: "safety for zone",
        rules.token_envs_agree: "name one variable",
        rules.ignore_patterns_spare_declared_apps: "ignore pattern",
        rules.static_ips_stay_in_one_zone: "is also declared in zone",
        rules.freeze_times_are_valid: "is not a real time",
    }
    assert set(markers) == set(rules.APP_RULES) | set(rules.STATE_RULES)
    assert [rule.__name__ for rule, words in markers.items() if words not in messages] == []


@pytest.mark.parametrize(
    ("text", "start", "end", "is_range"),
    [("22", 22, 22, False), ("1000-2000", 1000, 2000, True), (" 53 ", 53, 53, False)],
)
def test_parse_ports(text: str, start: int, end: int, is_range: bool) -> None:
    assert rules.parse_ports(text) == rules.Ports(start, end, is_range)


@pytest.mark.parametrize("text", ["", "22-", "-22", "a", "22-23-24", "22\n"[:-1] + "x"])
def test_parse_ports_refuses_what_is_not_a_port(text: str) -> None:
    assert rules.parse_ports(text) is None


def advice_of(name: str) -> list[tuple[int, int, str]]:
    docs, problems = load_documents([FIXTURES / name])
    state, more = validate_documents(docs)
    assert problems == [] and more == [] and state is not None, "advice never refuses"
    return [(w.location.line, w.location.col, w.message) for w in state.warnings if w.location]


def test_apps_on_one_hostname_with_different_static_sets_are_warned_once_each() -> None:
    # The first two apps declare one set (written differently): only the third differs.
    ((line, col, message),) = advice_of("warn-hostname-static-sets.yaml")
    assert (line, col) == (14, 35)
    assert "declares static IPs [198.51.100.31]" in message
    assert "[198.51.100.30, 2001:db8::30]" in message
    assert " — declare one set on every app of the hostname" in message
    assert message.endswith("[static_ips_differ_on_hostname]")  # the kind interface.md names


def test_apps_sharing_one_static_set_get_no_advice() -> None:
    assert advice_of("good-named-protocols.yaml") == []
    assert advice_of("good-static-ips.yaml") == []


def test_origin_port_beside_an_origin_direct_of_another_port_says_which_one_wins() -> None:
    ((line, col, message),) = advice_of("warn-origin-port-beside-origin-direct.yaml")
    assert (line, col) == (7, 18)
    assert "Cloudflare sends traffic to the port in origin_direct (23)" in message
    assert " — remove origin_port" in message
