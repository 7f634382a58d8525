"""planner: actions from (desired, live), the safety gate at its boundaries, drift, and the
property that matters: after an apply, the next plan is empty."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.errors import PlanError, SafetyError
from reconciler.model import (
    ActionKind,
    DesiredApp,
    DesiredState,
    LiveApp,
    LiveZone,
    Location,
    Plan,
    SafetyPolicy,
    ZoneSpec,
)
from reconciler.normalize import app_key, fingerprint, normalize_app
from reconciler.planner import build_plan, check_safety, classify_drift
from tests.scenarios import load_scenario

FIXTURES = Path(__file__).parent / "fixtures" / "planner"
ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"


load = load_scenario


@pytest.mark.parametrize(
    "scenario", ["server-defaults-no-diff", "legacy-fields-no-diff", "edge-ips-order-and-case"]
)
def test_equivalent_live_state_plans_no_action(scenario: str) -> None:
    desired, live = load(scenario)
    plan = build_plan(desired, [live])
    assert plan.actions == ()
    assert plan.unchanged == len(desired.apps)


def test_every_live_app_is_stamped_in_the_snapshot() -> None:
    desired, live = load("byoip-switch-recreate")
    (zone,) = build_plan(desired, [live]).zones
    assert zone.zone_id == ZONE_ID and zone.name == "example.com"
    assert set(zone.apps) == {a.app_id for a in live.apps}  # the ignored app too
    stamp = zone.apps["ea95132c15732412d22c1476fa83f27a"]
    assert stamp.modified_on == "2024-03-28T21:25:55.643771Z"
    assert stamp.digest == fingerprint(normalize_app(live.apps[0].config))


def test_byoip_switch_is_a_recreate_with_reasons() -> None:
    desired, live = load("byoip-switch-recreate")
    (action,) = build_plan(desired, [live]).actions
    assert action.kind is ActionKind.RECREATE
    assert action.app_id == "ea95132c15732412d22c1476fa83f27a"
    assert action.reasons == (
        "dns.type CNAME -> ADDRESS (non-BYOIP to BYOIP) cannot change in place",
        "edge_ips.type dynamic -> static (non-BYOIP to BYOIP) cannot change in place",
    )
    assert "dns.type" in [c.path for c in action.changes]
    assert action.body == {
        "dns": {"name": "ssh.example.com", "type": "ADDRESS"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.1:22"],
        "edge_ips": {"type": "static", "ips": ["198.51.100.10"]},
    }
    assert action.source == "byoip-switch-recreate/desired.yaml:4:5"


def test_duplicate_live_identity_names_both_ids() -> None:
    desired, live = load("duplicate-live-identity")
    with pytest.raises(PlanError) as caught:
        build_plan(desired, [live])
    message = str(caught.value)
    assert "11111111111111111111111111111111" in message
    assert "22222222222222222222222222222222" in message
    assert "ssh.example.com tcp/22" in message


def test_ignore_patterns_keep_matching_live_apps() -> None:
    desired, live = load("ignore-patterns")
    plan = build_plan(desired, [live])
    deleted = {a.key.dns_name for a in plan.actions if a.kind is ActionKind.DELETE}
    assert deleted == {"ftp.example.com", "legacy.example.net"}
    assert plan.unchanged == 1


def test_mixed_plan_has_one_of_each() -> None:
    desired, live = load("mixed-plan")
    plan = build_plan(desired, [live])
    assert plan.summary == {"create": 1, "update": 1, "delete": 1, "recreate": 1, "unchanged": 1}
    update = next(a for a in plan.actions if a.kind is ActionKind.UPDATE)
    assert [c.path for c in update.changes] == ["origin_direct", "tls"]
    assert update.body is not None and update.body["tls"] == "off"  # reset, though undeclared
    create = next(a for a in plan.actions if a.kind is ActionKind.CREATE)
    assert create.before is None and create.app_id is None and "tls" not in (create.body or {})


def test_undeclared_live_zone_is_left_alone() -> None:
    desired, live = load("ignore-patterns")
    other = LiveZone(
        "other.example",
        "f" * 32,
        (LiveApp("x", {"dns": {"name": "a.other.example"}, "protocol": "tcp/1"}),),
    )
    plan = build_plan(desired, [other, live])
    assert all(a.zone_id == ZONE_ID for a in plan.actions)


def test_zone_matched_by_id_and_keys_use_the_live_name() -> None:
    desired, live = load("server-defaults-no-diff")
    by_id = ZoneSpec(None, ZONE_ID)
    apps = tuple(DesiredApp(app_key(ZONE_ID, a.config), a.config, a.source) for a in desired.apps)
    plan = build_plan(DesiredState((by_id,), apps), [live])
    assert plan.actions == () and plan.zones[0].name == "example.com"


def test_missing_live_zone_is_a_plan_error() -> None:
    desired, _ = load("server-defaults-no-diff")
    with pytest.raises(PlanError, match=r"zone example\.com is declared"):
        build_plan(desired, [])


def _zone_of(count: int, policy: SafetyPolicy, keep: int) -> tuple[DesiredState, LiveZone]:
    configs = [
        {
            "dns": {"type": "CNAME", "name": f"app{i}.example.com"},
            "protocol": "tcp/22",
            "origin_direct": ["tcp://192.0.2.1:22"],
        }
        for i in range(count)
    ]
    live = LiveZone(
        "example.com", ZONE_ID, tuple(LiveApp(f"id{i}", c) for i, c in enumerate(configs))
    )
    apps = tuple(
        DesiredApp(app_key("example.com", c), c, Location("a.yaml", 1, 1)) for c in configs[:keep]
    )
    return DesiredState((ZoneSpec("example.com", None, safety=policy),), apps), live


@pytest.mark.parametrize(
    ("live_count", "deletes", "policy", "refused"),
    [
        (10, 3, SafetyPolicy(30), False),  # exactly 30% of 10 is allowed
        (10, 4, SafetyPolicy(30), True),
        (3, 1, SafetyPolicy(30), True),  # no small-zone exemption
        (3, 0, SafetyPolicy(30), False),
        (2, 2, SafetyPolicy(100), True),  # all of a zone, even under 100%
        (2, 2, SafetyPolicy(100, allow_delete_all=True), False),
        (2, 2, SafetyPolicy(30, allow_delete_all=True), True),  # the percentage still holds
        (1, 1, SafetyPolicy(100), True),
    ],
)
def test_safety_gate_boundaries(
    live_count: int, deletes: int, policy: SafetyPolicy, refused: bool
) -> None:
    desired, live = _zone_of(live_count, policy, keep=live_count - deletes)
    plan = build_plan(desired, [live])
    if not refused:
        check_safety(plan, force=False)
        return
    with pytest.raises(SafetyError) as caught:
        check_safety(plan, force=False)
    message = str(caught.value)
    assert "zone example.com" in message and f"{deletes} of {live_count}" in message
    assert f"app{live_count - 1}.example.com tcp/22" in message
    everything = deletes == live_count and not policy.allow_delete_all
    setting = (
        "set safety.allow_delete_all: true"
        if everything
        else "raise safety.max_destructive_percent"
    )
    assert message.endswith(f"re-run with --force, or {setting} for the zone")


def test_force_passes_the_safety_gate() -> None:
    desired, live = _zone_of(3, SafetyPolicy(30), keep=0)
    check_safety(build_plan(desired, [live]), force=True)


def test_recreates_count_as_destructive() -> None:
    desired, live = load("byoip-switch-recreate")  # 1 recreate of 2 live apps (one ignored)
    with pytest.raises(SafetyError, match="1 of 1 managed apps"):
        check_safety(build_plan(desired, [live]), force=False)


def test_drift_classification() -> None:
    desired, live = load("mixed-plan")
    drift = classify_drift(build_plan(desired, [live]))
    assert drift.has_drift
    assert [a.kind for a in drift.changed] == [ActionKind.UPDATE, ActionKind.RECREATE]
    assert [a.key.dns_name for a in drift.unmanaged] == ["old.example.com"]
    assert [a.key.dns_name for a in drift.missing] == ["new.example.com"]


def test_no_drift() -> None:
    desired, live = load("server-defaults-no-diff")
    assert not classify_drift(build_plan(desired, [live])).has_drift


# --- The property: what Cloudflare returns after an apply plans no further change. ------------

PORTS = st.integers(1, 65535)
IPV4 = st.integers(0, 255).map(lambda n: f"192.0.2.{n}")
IPV6 = st.integers(1, 0xFFFF).map(lambda n: f"2001:db8::{n:x}")
EDGE_IPS = st.one_of(st.integers(0, 255).map(lambda n: f"198.51.100.{n}"), IPV6)
NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True).map(lambda s: f"{s}.example.com")


@st.composite
def origin_uri(draw: st.DrawFn) -> str:
    host = draw(st.one_of(IPV4, IPV6.map(lambda ip: f"[{ip}]"), NAMES))
    return f"{draw(st.sampled_from(['tcp', 'udp']))}://{host}:{draw(PORTS)}"


@st.composite
def desired_app(draw: st.DrawFn) -> dict[str, Any]:
    static = draw(st.booleans())
    app: dict[str, Any] = {
        "dns": {"type": "ADDRESS" if static else "CNAME", "name": draw(NAMES)},
        "protocol": f"{draw(st.sampled_from(['tcp', 'udp']))}/{draw(PORTS)}",
    }
    if draw(st.booleans()):
        app["origin_direct"] = draw(st.lists(origin_uri(), min_size=1, max_size=3, unique=True))
    else:
        origin_dns: dict[str, Any] = {"name": draw(NAMES)}
        if draw(st.booleans()):
            origin_dns["ttl"] = draw(st.integers(600, 86400))
        if draw(st.booleans()):
            origin_dns["type"] = draw(st.sampled_from(["", "A", "AAAA", "SRV"]))
        app["origin_dns"] = origin_dns
        port = draw(st.one_of(PORTS, st.tuples(PORTS, PORTS).map(lambda p: f"{min(p)}-{max(p)}")))
        app["origin_port"] = port
    if static:
        app["edge_ips"] = {
            "type": "static",
            "ips": draw(st.lists(EDGE_IPS, min_size=1, max_size=4, unique=True)),
        }
    elif draw(st.booleans()):
        app["edge_ips"] = {
            "type": "dynamic",
            "connectivity": draw(st.sampled_from(["all", "ipv4", "ipv6"])),
        }
    optional = {
        "tls": st.sampled_from(["off", "flexible", "full", "strict"]),
        "proxy_protocol": st.sampled_from(["off", "v1", "v2", "simple"]),
        "ip_firewall": st.booleans(),
        "argo_smart_routing": st.booleans(),
        "traffic_type": st.sampled_from(["direct", "http", "https"]),
    }
    for name in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        app[name] = draw(optional[name])
    return app


def _shout(value: str) -> str:
    return value.upper() + "."


def _scramble_ip(ip: str) -> str:
    parsed = ipaddress.ip_address(ip)
    return parsed.exploded.upper() if parsed.version == 6 else ip


@st.composite
def cloudflare_echo(draw: st.DrawFn, body: dict[str, Any]) -> dict[str, Any]:
    """What the API might return for ``body``: defaults filled, ids and timestamps added,
    legacy spellings, float or string ports, reordered lists, upper-case names."""
    echo: dict[str, Any] = json.loads(json.dumps(body))
    echo.update(
        id=draw(st.from_regex(r"[0-9a-f]{32}", fullmatch=True)), created_on="2024-01-01T00:00:00Z"
    )
    echo["modified_on"] = "2024-01-02T00:00:00.123456Z"
    for name, default in [
        ("traffic_type", "direct"),
        ("tls", "off"),
        ("argo_smart_routing", False),
        ("ip_firewall", False),
    ]:
        if name not in echo and draw(st.booleans()):
            echo[name] = default
    if "edge_ips" not in echo or echo["edge_ips"]["type"] == "dynamic":
        edge = echo.get("edge_ips", {"type": "dynamic"})
        if draw(st.booleans()):
            edge = {
                **edge,
                "connectivity": edge.get("connectivity", "all"),
                "ips": ["104.18.0.1", "2606:4700::1"],
            }
        echo["edge_ips"] = edge
    else:
        ips = [_scramble_ip(ip) for ip in draw(st.permutations(echo["edge_ips"]["ips"]))]
        echo["edge_ips"] = {**echo["edge_ips"], "ips": ips}
    if draw(st.booleans()):
        echo["dns"] = {**echo["dns"], "name": _shout(echo["dns"]["name"])}
    if draw(st.booleans()):
        echo["protocol"] = echo["protocol"].upper()
    if "origin_direct" in echo:
        echo["origin_direct"] = [
            u.upper() if "[" not in u else u for u in draw(st.permutations(echo["origin_direct"]))
        ]
    if "origin_dns" in echo:
        echo["origin_dns"] = {
            "type": "",
            **echo["origin_dns"],
            "name": _shout(echo["origin_dns"]["name"]),
        }
        if "ttl" in echo["origin_dns"]:
            echo["origin_dns"]["ttl"] = float(echo["origin_dns"]["ttl"])
    if isinstance(echo.get("origin_port"), int):
        echo["origin_port"] = draw(
            st.sampled_from([float(echo["origin_port"]), str(echo["origin_port"])])
        )
    legacy = echo.get("proxy_protocol", "off")
    spelled = {"off": [False, "off", None], "v1": [True, "v1"], "simple": ["simple", "spp"]}.get(
        legacy, [legacy]
    )
    choice = draw(st.sampled_from(spelled))
    echo.pop("proxy_protocol", None)
    if choice == "spp":
        echo["spp"] = True
    elif choice is not None:
        echo["proxy_protocol"] = choice
    if draw(st.booleans()):
        echo["ipv4"] = True
    return echo


def _plan_one(declared: dict[str, Any], live_config: dict[str, Any]) -> Plan:
    spec = ZoneSpec("example.com", None)
    app = DesiredApp(app_key("example.com", declared), declared, Location("a.yaml", 1, 1))
    live = LiveZone("example.com", ZONE_ID, (LiveApp(str(live_config["id"]), live_config),))
    return build_plan(DesiredState((spec,), (app,)), [live])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), declared=desired_app())
def test_after_create_the_next_plan_is_empty(data: st.DataObject, declared: dict[str, Any]) -> None:
    empty = build_plan(
        DesiredState(
            (ZoneSpec("example.com", None),),
            (DesiredApp(app_key("example.com", declared), declared, Location("a.yaml", 1, 1)),),
        ),
        [LiveZone("example.com", ZONE_ID, ())],
    )
    (create,) = empty.actions
    assert create.body is not None
    live = data.draw(cloudflare_echo(dict(create.body)))
    assert _plan_one(declared, live).actions == ()


DRIFTS = st.fixed_dictionaries(
    {},
    optional={
        "tls": st.sampled_from(["flexible", "full"]),
        "ip_firewall": st.just(True),
        "argo_smart_routing": st.just(True),
        "traffic_type": st.just("https"),
        "proxy_protocol": st.just("v2"),
        "virtual_network_id": st.just("f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"),
    },
)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), declared=desired_app(), drift=DRIFTS)
def test_after_an_update_the_next_plan_is_empty(
    data: st.DataObject, declared: dict[str, Any], drift: dict[str, Any]
) -> None:
    """Someone edits the app outside git; the PUT (a full replacement) must put every field back."""
    edited = {**declared, **drift, "id": "e" * 32}
    plan = _plan_one(declared, edited)
    if not plan.actions:
        return  # the edit happened to restate what git says
    (update,) = plan.actions
    assert update.kind is ActionKind.UPDATE and update.body is not None
    # PUT replaces the whole app: fields missing from the body take the server's defaults.
    live = data.draw(cloudflare_echo(dict(update.body)))
    assert _plan_one(declared, live).actions == ()


def test_one_live_zone_declared_by_name_and_by_id_is_refused() -> None:
    from reconciler.errors import PlanError
    from reconciler.model import DesiredState, LiveZone, ZoneSpec

    zone_id = "f" * 32
    desired = DesiredState(
        zones=(ZoneSpec(name="example.com", zone_id=None), ZoneSpec(name=None, zone_id=zone_id)),
        apps=(),
    )
    live = [LiveZone("example.com", zone_id, ()), LiveZone(zone_id, zone_id, ())]
    with pytest.raises(PlanError, match="declared twice"):
        build_plan(desired, live)
