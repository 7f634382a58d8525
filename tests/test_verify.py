"""The verification core (``checks.verify``): each check, one app's verdict, the summary."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from reconciler.checks.addressing import AddressPlane, Advertisement, Binding, Prefix
from reconciler.checks.preflight.facts import HostRecord
from reconciler.checks.verify import (
    Health,
    Observed,
    ProbeTarget,
    Target,
    Unread,
    Verification,
    judge,
    probe_targets,
)
from reconciler.model import AppKey
from reconciler.planning.normalize import normalize_app

ZONE = "z1"
ACCOUNT = "acc"
NET = ipaddress.ip_network


def config(ip: str | None = "198.51.100.10", protocol: str = "tcp/22") -> dict[str, Any]:
    app: dict[str, Any] = {
        "dns": {"type": "ADDRESS" if ip else "CNAME", "name": "ssh.example.com"},
        "protocol": protocol,
        "origin_direct": ["tcp://10.0.0.1:22"],
    }
    if ip:
        app["edge_ips"] = {"type": "static", "ips": [ip]}
    return app


def target(ip: str | None = "198.51.100.10", **overrides: Any) -> Target:
    settings: dict[str, Any] = {
        "key": AppKey.of("example.com", "ssh.example.com", overrides.pop("protocol", "tcp/22")),
        "zone_id": ZONE,
        "app_id": "new",
        "desired": normalize_app(config(ip, overrides.get("proto_cfg", "tcp/22"))),
    }
    overrides.pop("proto_cfg", None)
    settings.update(overrides)
    return Target(**settings)


def plane(
    *, advertised: bool = True, service: str = "Spectrum", state: str = "active"
) -> AddressPlane:
    cidr = NET("198.51.100.0/24")
    prefix = Prefix(
        "p1",
        cidr,
        "V",
        bindings=(Binding("b1", cidr, service, state),),
        advertisements=(Advertisement(cidr, advertised),),
    )
    return AddressPlane(ACCOUNT, (prefix,))


SPECTRUM_A = HostRecord("ssh.example.com", "A", "198.51.100.10", True, spectrum=True)


def observed(**overrides: Any) -> Observed:
    settings: dict[str, Any] = {
        "apps": {ZONE: {"new": config()}},
        "records": {ZONE: (SPECTRUM_A,)},
        "accounts": {ZONE: ACCOUNT},
        "planes": {ACCOUNT: plane()},
    }
    settings.update(overrides)
    return Observed(**settings)


def check(result: Any, name: str) -> Any:
    return next(c for c in result.checks if c.name == name)


def test_an_app_read_back_as_declared_on_a_good_prefix_is_healthy() -> None:
    verdict = judge(target(), observed())
    assert verdict.health is Health.HEALTHY and verdict.reasons == ()
    assert [c.name for c in verdict.checks] == ["read_back", "dns", "addresses", "traffic"]


class TestReadBack:
    def test_a_live_app_that_differs_is_degraded_naming_the_fields(self) -> None:
        changed = {**config(), "origin_direct": ["tcp://10.9.9.9:22"], "tls": "full"}
        verdict = judge(target(), observed(apps={ZONE: {"new": changed}}))
        assert verdict.health is Health.DEGRADED
        assert verdict.reasons == ("the live app differs from the files: origin_direct, tls",)

    def test_the_normalization_of_planning_is_used_server_fields_and_defaults_equal(self) -> None:
        live = {**config(), "id": "new", "created_on": "x", "tls": "off", "traffic_type": "direct"}
        assert judge(target(), observed(apps={ZONE: {"new": live}})).health is Health.HEALTHY

    def test_an_app_missing_live_is_degraded(self) -> None:
        verdict = judge(target(), observed(apps={ZONE: {}}))
        assert verdict.reasons == ("app new is not live in zone example.com",)

    def test_without_an_id_the_app_is_found_by_identity(self) -> None:
        assert judge(target(app_id=None), observed()).health is Health.HEALTHY

    def test_apps_that_could_not_be_read_are_unknown(self) -> None:
        verdict = judge(target(), observed(apps={ZONE: Unread("403 forbidden")}))
        assert check(verdict, "read_back").health is Health.UNKNOWN
        assert verdict.health is Health.UNKNOWN


class TestDns:
    def test_no_record_on_the_hostname_is_degraded(self) -> None:
        other = HostRecord("www.example.com", "A", "192.0.2.1", True, spectrum=False)
        verdict = judge(target(), observed(records={ZONE: (other,)}))
        assert verdict.reasons == ("no Spectrum DNS record for ssh.example.com",)

    def test_a_record_not_marked_as_spectrums_is_unknown(self) -> None:
        manual = HostRecord("ssh.example.com", "A", "192.0.2.1", True, spectrum=False)
        verdict = judge(target(), observed(records={ZONE: (manual,)}))
        assert check(verdict, "dns").health is Health.UNKNOWN

    def test_records_that_could_not_be_read_are_unknown(self) -> None:
        verdict = judge(target(), observed(records={ZONE: Unread("no DNS Read")}))
        assert "no DNS Read" in check(verdict, "dns").detail
        assert verdict.health is Health.UNKNOWN


class TestAddresses:
    @pytest.mark.parametrize(
        ("state", "reason"),
        [
            ({"advertised": False}, "198.51.100.10 cannot receive traffic: 198.51.100.0/24 is not advertised"),
            ({"service": "CDN"}, "198.51.100.10 cannot receive traffic: its binding goes to CDN, not Spectrum"),
            ({"state": "provisioning"}, "198.51.100.10 cannot receive traffic: its Spectrum binding is provisioning"),
            ({"state": "magic_transit_route_missing"}, "198.51.100.10 cannot receive traffic: its Spectrum binding is held in magic_transit_route_missing"),
        ],
    )  # fmt: skip
    def test_an_ip_that_cannot_receive_traffic_is_degraded_with_why(
        self, state: dict[str, Any], reason: str
    ) -> None:
        verdict = judge(target(), observed(planes={ACCOUNT: plane(**state)}))
        assert verdict.health is Health.DEGRADED and verdict.reasons == (reason,)

    def test_an_ip_in_no_prefix_of_the_account_is_unknown_it_may_be_leased(self) -> None:
        verdict = judge(
            target("172.65.64.13"), observed(apps={ZONE: {"new": config("172.65.64.13")}})
        )
        assert check(verdict, "addresses").health is Health.UNKNOWN

    def test_dynamic_edge_ips_are_not_checked(self) -> None:
        verdict = judge(target(None), observed(apps={ZONE: {"new": config(None)}}))
        assert check(verdict, "addresses").health is None

    def test_a_plane_that_could_not_be_read_is_unknown(self) -> None:
        verdict = judge(target(), observed(planes={ACCOUNT: Unread("IP Prefixes Read")}))
        assert check(verdict, "addresses").health is Health.UNKNOWN


class TestTraffic:
    def recreated(self, carried: bool | None = True) -> Target:
        return target(recreated=True, carried=carried)

    def test_connections_under_the_new_id_are_healthy(self) -> None:
        verdict = judge(self.recreated(), observed(traffic={ZONE: {"new": 7, "old": 0}}))
        assert check(verdict, "traffic").health is Health.HEALTHY

    def test_none_under_the_new_id_is_degraded_with_the_address_cause(self) -> None:
        seen = observed(traffic={ZONE: {"old": 9}}, planes={ACCOUNT: plane(advertised=False)})
        verdict = judge(self.recreated(), seen)
        assert check(verdict, "traffic").detail == (
            "traffic has not resumed: 198.51.100.0/24 is not advertised"
        )

    def test_none_on_a_good_prefix_is_degraded_without_a_cause(self) -> None:
        verdict = judge(self.recreated(), observed(traffic={ZONE: {}}))
        assert verdict.reasons == ("traffic has not resumed",)

    def test_analytics_that_could_not_be_read_are_unknown(self) -> None:
        verdict = judge(self.recreated(), observed(traffic={ZONE: None}))
        assert verdict.health is Health.UNKNOWN

    def test_unknown_traffic_before_is_unknown(self) -> None:
        verdict = judge(self.recreated(None), observed(traffic={ZONE: {"new": 0}}))
        assert verdict.health is Health.UNKNOWN

    def test_an_app_idle_before_or_not_recreated_is_not_waited_for(self) -> None:
        for app in (self.recreated(False), target()):
            verdict = judge(app, observed(traffic={ZONE: {}}))
            assert check(verdict, "traffic").health is None and verdict.health is Health.HEALTHY

    def test_no_analytics_reader_is_said_not_guessed(self) -> None:
        verdict = judge(self.recreated(), observed())
        assert check(verdict, "traffic").health is None
        assert "no analytics reader" in check(verdict, "traffic").detail


class TestProbe:
    SPOT = ProbeTarget("198.51.100.10", 22)

    def test_targets_are_each_static_ip_at_the_first_edge_port(self) -> None:
        app = target(protocol="tcp/1000-2000", proto_cfg="tcp/1000-2000")
        assert probe_targets(app) == (ProbeTarget("198.51.100.10", 1000),)
        assert probe_targets(target(None)) == (ProbeTarget("ssh.example.com", 22),)

    def test_a_connect_is_healthy_a_refusal_degraded(self) -> None:
        assert check(judge(target(), observed(probes={self.SPOT: None})), "probe").health is (
            Health.HEALTHY
        )
        verdict = judge(target(), observed(probes={self.SPOT: "Connection refused"}))
        assert verdict.reasons == ("TCP connect to 198.51.100.10:22 failed: Connection refused",)

    def test_udp_is_skipped_and_said(self) -> None:
        app = target(protocol="udp/53", proto_cfg="udp/53")
        assert probe_targets(app) == ()
        probe = check(judge(app, observed(probes={})), "probe")
        assert probe.health is None and probe.detail == "UDP: not probed (TCP only)"

    def test_without_probe_there_is_no_probe_check(self) -> None:
        assert "probe" not in [c.name for c in judge(target(), observed()).checks]


def test_the_summary_counts_each_state_and_the_json_holds_every_check() -> None:
    healthy = judge(target(), observed())
    degraded = judge(target(), observed(records={ZONE: ()}))
    unknown = judge(target(), observed(apps={ZONE: Unread("x")}))
    result = Verification((healthy, degraded, unknown))
    assert result.summary_line() == "verify: 3 apps: 1 healthy, 1 degraded, 1 unknown"
    assert result.degraded
    doc = result.to_dict()
    assert doc["summary"] == {"healthy": 1, "degraded": 1, "unknown": 1}
    assert {a["health"] for a in doc["apps"]} == {"healthy", "degraded", "unknown"}
    assert doc["apps"][0]["checks"][0] == {
        "check": "read_back", "result": "healthy", "detail": "the live app equals the files"
    }  # fmt: skip
    assert not Verification((healthy, unknown)).degraded
