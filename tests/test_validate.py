"""validate_documents: the desired state it builds, and no traceback for any document at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired.loading import load_documents, load_documents_from_texts
from reconciler.desired.validate import desired_state_schema, validate_documents
from reconciler.model import AppKey, Location, SafetyPolicy

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "config"


def validate_texts(*texts: str) -> tuple[Any, list[Any]]:
    docs, problems = load_documents_from_texts(
        [(f"f{i}.yaml", text.encode()) for i, text in enumerate(texts)]
    )
    assert problems == []
    return validate_documents(docs)


def test_validate_examples_has_no_problems() -> None:
    docs, problems = load_documents([ROOT / "examples"])
    state, more = validate_documents(docs)
    assert problems == [] and more == []
    assert state is not None
    keys = {app.key for app in state.apps}
    assert AppKey("example.com", "ssh.example.com", "tcp/22") in keys
    assert AppKey("example.com", "www.example.com", "tcp/80") in keys
    byoip = [a for a in state.apps if a.key.dns_name in ("ssh.example.com", "www.example.com")]
    for app in byoip:
        assert app.config["dns"]["type"] == "ADDRESS"
        assert app.config["edge_ips"] == {"type": "static", "ips": ["198.51.100.10", "2001:DB8::1"]}


def test_the_state_unites_a_zone_declared_in_several_files() -> None:
    state, problems = validate_texts(
        "zone: Example.COM.\nignore: [old-*]\nsafety: {max_destructive_percent: 10}\n",
        "zone_id: 023e105f4ecef8ad9ca31a8372d0c353\napps:\n"
        "  - dns: {type: CNAME, name: SSH.example.com}\n"
        "    protocol: tcp/22\n"
        "    origin_direct: ['tcp://192.0.2.1:22']\n",
        "zone: example.com\nzone_id: 023e105f4ecef8ad9ca31a8372d0c353\nignore: [old-*, tmp-*]\n",
    )
    assert problems == []
    (zone,) = state.zones
    assert (zone.name, zone.zone_id) == ("example.com", "023e105f4ecef8ad9ca31a8372d0c353")
    assert zone.ignore == ("old-*", "tmp-*")
    assert zone.safety == SafetyPolicy(max_destructive_percent=10.0, allow_delete_all=False)
    assert zone.sources == (
        Location("f0.yaml", 1, 7),
        Location("f1.yaml", 1, 10),
        Location("f2.yaml", 1, 7),
    )
    (app,) = state.apps
    assert app.key == AppKey("example.com", "ssh.example.com", "tcp/22")
    assert app.source == Location("f1.yaml", 3, 5)
    assert app.config == {
        "dns": {"type": "CNAME", "name": "SSH.example.com"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.1:22"],
    }


def test_a_zone_known_only_by_id_keeps_the_id_as_its_label() -> None:
    state, problems = validate_texts("zone_id: 023e105f4ecef8ad9ca31a8372d0c353\n")
    assert problems == []
    (zone,) = state.zones
    assert (zone.name, zone.zone_id, zone.label) == (None, zone.zone_id, zone.zone_id)
    assert zone.safety == SafetyPolicy()


def test_no_documents_is_an_empty_state() -> None:
    state, problems = validate_documents([])
    assert problems == [] and state is not None
    assert (state.zones, state.apps) == ((), ())


def test_every_problem_of_every_file_comes_at_once_in_location_order() -> None:
    docs, _ = load_documents(
        [
            FIXTURES / "bad-udp-tls.yaml",
            FIXTURES / "bad-tls-enum.yaml",
            FIXTURES / "bad-range-backwards.yaml",
        ]
    )
    state, problems = validate_documents(docs)
    assert state is None
    located = [p.location for p in problems if p.location]
    assert len(located) == len(problems) == 4
    assert located == sorted(located)


def test_an_app_that_fails_the_schema_still_meets_the_rules_on_its_sound_fields() -> None:
    # The second app breaks the schema (tls: on): its tls goes unjudged by the rules, but its
    # identity is still seen (declared twice) — every problem at once.
    text = (
        "zone: example.com\napps:\n"
        "  - {dns: {type: CNAME, name: a.example.com}, protocol: udp/53,"
        " origin_direct: ['udp://192.0.2.1:53'], tls: full}\n"
        "  - {dns: {type: CNAME, name: a.example.com}, protocol: udp/53,"
        " origin_direct: ['udp://192.0.2.1:53'], tls: on}\n"
    )
    _state, problems = validate_texts(text)
    assert [(p.location.line, p.message.split(" — ")[0]) for p in problems] == [
        (3, "tls is TCP only"),
        (4, "a.example.com udp/53 is declared twice in zone example.com (also at f0.yaml:3:5)"),
        (4, 'apps[1].tls is "on", not one of "off", "flexible", "full", "strict"'),
    ]


def test_schema_and_rule_problems_of_one_app_come_in_one_run() -> None:
    """Issue 25 item 15: fixing the schema errors must not uncover a second round of errors."""
    text = (
        "zone: example.com\napps:\n"
        "  - dns: {type: CNAME, name: a.example.net}\n"  # not in the zone (a rule)
        "    protocol: udp/53-54\n"
        "    origin_direct: ['tcp://192.0.2.1:53']\n"  # the wrong scheme (a rule)
        "    origin_port: 1000-1009\n"
        "    tls: full\n"  # TLS on UDP (a rule)
        "    ip_firewall: 'yes'\n"  # not a boolean (the schema)
        "    argo_smart_routing: 1\n"  # not a boolean (the schema)
    )
    _state, problems = validate_texts(text)
    assert [(p.location.line, p.message.split(" — ")[0]) for p in problems] == [
        (3, "a.example.net is not in zone example.com"),
        (5, "origin_direct uses tcp:// but the app is udp/53-54"),
        (7, "tls is TCP only"),
        (8, 'apps[0].ip_firewall must be true or false, not string "yes"'),
        (9, "apps[0].argo_smart_routing must be true or false, not integer 1"),
    ]


def test_a_rule_that_needs_a_refused_field_says_nothing_of_it() -> None:
    # origin_port is out of range: "origin_dns without origin_port" would be false.
    text = (
        "zone: example.com\napps:\n"
        "  - {dns: {type: CNAME, name: a.example.com}, protocol: tcp/443,"
        " origin_dns: {name: o.example.com}, origin_port: 70000}\n"
    )
    _state, problems = validate_texts(text)
    assert [p.message for p in problems] == [
        "apps[0].origin_port is 70000 — it must be at most 65535"
    ]


def test_an_app_whose_name_or_protocol_is_refused_meets_no_rule() -> None:
    text = (
        "zone: example.com\napps:\n"
        "  - {dns: {type: CNAME, name: 5}, protocol: udp/53,"
        " origin_direct: ['udp://192.0.2.1:53'], tls: full}\n"
    )
    _state, problems = validate_texts(text)
    assert not any("tls is TCP only" in p.message for p in problems)


# --- generated documents ------------------------------------------------------------------

SCHEMA_APP_FIELDS = sorted(desired_state_schema()["$defs"]["app"]["properties"])
json_scalars = st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.text(max_size=12)
json_scalars |= st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
ports = st.integers(1, 65535)
port_text = ports.map(str) | st.tuples(ports, ports).map(lambda p: f"{p[0]}-{p[1]}")
hosts = st.sampled_from(["a.example.com", "B.example.com", "a.example.net", "example.com"])
ips = st.sampled_from(["198.51.100.10", "2001:DB8::1", "2001:db8::1", "192.0.2.300", "x"])
plausible_app = st.fixed_dictionaries(
    {
        "dns": st.fixed_dictionaries(
            {"type": st.sampled_from(["CNAME", "ADDRESS"]), "name": hosts}
        ),
        "protocol": st.tuples(st.sampled_from(["tcp", "udp"]), port_text).map("/".join),
    },
    optional={
        "origin_direct": st.lists(
            st.tuples(
                st.sampled_from(["tcp", "udp"]),
                st.sampled_from(["192.0.2.1", "[2001:db8::5]", "[192.0.2.9]"]),
                port_text,
            ).map(lambda t: f"{t[0]}://{t[1]}:{t[2]}"),
            min_size=1,
            max_size=2,
        ),
        "origin_dns": st.fixed_dictionaries(
            {"name": st.just("origin.example.com")},
            optional={"ttl": st.integers(0, 5000), "type": st.sampled_from(["", "A", "SRV"])},
        ),
        "origin_port": ports | port_text,
        "edge_ips": st.just({"type": "dynamic", "connectivity": "all"})
        | st.lists(ips, min_size=1, max_size=3).map(lambda i: {"type": "static", "ips": i}),
        "tls": st.sampled_from(["off", "flexible", "full", "strict"]),
        "proxy_protocol": st.sampled_from(["off", "v1", "v2", "simple"]),
        "ip_firewall": st.booleans(),
        "argo_smart_routing": st.booleans(),
        "traffic_type": st.sampled_from(["direct", "http", "https", "worker"]),
        "virtual_network_id": st.sampled_from(["f70ff985-a4ef-4643-bbbc-4a0ed4fc8415", "vnet"]),
        "origin_worker_id": st.just("router"),
    },
)


@st.composite
def mangled(draw: st.DrawFn, app: st.SearchStrategy[dict[str, Any]]) -> dict[str, Any]:
    """A plausible app with a few fields replaced by anything at all, or extra keys."""
    value = dict(draw(app))
    for field in draw(st.lists(st.sampled_from([*SCHEMA_APP_FIELDS, "tsl", "dns.x"]), max_size=3)):
        value[field] = draw(json_values)
    return value


documents = st.fixed_dictionaries(
    {},
    optional={
        "zone": st.sampled_from(["example.com", "EXAMPLE.com.", "bad_zone"]) | json_values,
        "zone_id": st.sampled_from(["023e105f4ecef8ad9ca31a8372d0c353", "xyz"]),
        "ignore": st.lists(st.sampled_from(["a.*", "*", "legacy-*"]), max_size=2) | json_values,
        "safety": st.fixed_dictionaries(
            {},
            optional={
                "max_destructive_percent": st.integers(-5, 120),
                "allow_delete_all": st.booleans(),
            },
        )
        | json_values,
        "apps": st.lists(plausible_app | mangled(plausible_app) | json_values, max_size=4),
        "extra": json_values,
    },
)


class _NoAliasDumper(yaml.SafeDumper):
    """Writes shared values out in full (the loader refuses anchors on purpose)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def as_yaml(document: Any) -> bytes:
    text = yaml.dump(document, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)
    return text.encode()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, min_size=1, max_size=3))
def test_generated_documents_never_raise_and_every_problem_is_located(docs: list[Any]) -> None:
    items = [(f"gen{i}.yaml", as_yaml(doc)) for i, doc in enumerate(docs)]
    loaded, load_problems = load_documents_from_texts(items)
    assert load_problems == []  # safe_dump output always loads
    state, problems = validate_documents(loaded)
    names = {name for name, _ in items}
    assert all(p.location is not None and p.location.file in names for p in problems)
    assert all(" — " in p.message for p in problems)
    if state is None:
        assert problems
    else:
        assert problems == []
        declared = sum(len(doc.get("apps") or []) for doc in docs)
        assert len(state.apps) == declared


@settings(max_examples=200, deadline=None)
@given(json_values, st.integers(0, 40))
def test_deep_or_odd_values_anywhere_never_raise(value: Any, depth: int) -> None:
    for _ in range(depth):
        value = {"apps": [value]} if depth % 2 else [value]
    document = {"zone": "example.com", "apps": [value]}
    loaded, load_problems = load_documents_from_texts([("odd.yaml", as_yaml(document))])
    _state, problems = validate_documents(loaded)
    assert all(p.location is not None for p in [*load_problems, *problems])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_through_the_whole_pipeline_never_raise(content: bytes) -> None:
    loaded, load_problems = load_documents_from_texts([("junk.yaml", content)])
    _state, problems = validate_documents(loaded)
    assert all(p.location is not None for p in [*load_problems, *problems])


@st.composite
def valid_app(draw: st.DrawFn, index: int) -> dict[str, Any]:
    """A TCP app that keeps every rule: its own hostname, ports mapped one to one."""
    start = draw(st.integers(1, 60000))
    end = start + draw(st.integers(0, 100))
    ports = f"{start}-{end}" if end > start else str(start)
    app: dict[str, Any] = {
        "dns": {"type": "CNAME", "name": f"app{index}.example.com"},
        "protocol": f"tcp/{ports}",
        "origin_direct": [f"tcp://192.0.2.{draw(st.integers(1, 254))}:{ports}"],
    }
    optional = {
        "tls": st.sampled_from(["off", "flexible", "full", "strict"]),
        "proxy_protocol": st.sampled_from(["off", "v1", "v2"]),
        "ip_firewall": st.booleans(),
        "argo_smart_routing": st.booleans(),
        "traffic_type": st.just("direct"),
        "edge_ips": st.sampled_from(["all", "ipv4", "ipv6"]).map(
            lambda c: {"type": "dynamic", "connectivity": c}
        ),
    }
    for field in draw(st.lists(st.sampled_from(sorted(optional)), unique=True)):
        app[field] = draw(optional[field])
    return app


@st.composite
def valid_document(draw: st.DrawFn) -> dict[str, Any]:
    count = draw(st.integers(0, 5))
    return {"zone": "example.com", "apps": [draw(valid_app(i)) for i in range(count)]}


@settings(max_examples=100, deadline=None)
@given(valid_document())
def test_generated_valid_documents_give_a_state_with_every_app(document: dict[str, Any]) -> None:
    loaded, load_problems = load_documents_from_texts([("valid.yaml", as_yaml(document))])
    state, problems = validate_documents(loaded)
    assert load_problems == [] and problems == []
    assert state is not None
    assert [app.config for app in state.apps] == document["apps"]


def test_every_unknown_field_of_a_mapping_is_reported_at_its_own_key() -> None:
    _, problems = validate_texts(
        "zone: example.com\napps:\n"
        "  - dns: {type: CNAME, name: a.example.com}\n"
        "    protocol: tcp/22\n"
        "    origin_direct: ['tcp://192.0.2.1:22']\n"
        "    tsl: full\n"
        "    colour: blue\n"
    )
    assert [(p.location.line, p.location.col) for p in problems] == [(6, 5), (7, 5)]
    assert "unknown field 'tsl'" in problems[0].message and "'tls'" in problems[0].message
    assert "unknown field 'colour'" in problems[1].message


def test_an_app_missing_two_required_fields_reports_each_once() -> None:
    _, problems = validate_texts(
        "zone: example.com\napps:\n  - origin_direct: ['tcp://192.0.2.1:22']\n"
    )
    messages = sorted(p.message for p in problems)
    assert messages == [
        "apps[0] is missing the required field 'dns' — add it",
        "apps[0] is missing the required field 'protocol' — add it",
    ]


def test_a_protect_pattern_warns_only_when_no_app_of_its_own_zone_matches() -> None:
    app = "apps:\n  - dns: {type: CNAME, name: %s}\n    protocol: tcp/22\n"
    app += "    origin_direct: ['tcp://192.0.2.1:22']\n"
    state, problems = validate_texts(
        "zone: a.example\nprotect: ['db.*']\n" + app % "db.a.example",
        "zone: b.example\nprotect: ['db.*', 'api.*']\n" + app % "api.b.example",
    )
    assert problems == []
    warned = [str(w) for w in state.warnings if "protect pattern" in str(w)]
    # a's db app is its own; b has no db app (a's does not count for b), so only b warns.
    assert [w.split(" matches")[0] for w in warned] == ['f1.yaml:2:11: protect pattern "db.*"']


def test_a_protect_warning_is_located_at_its_pattern() -> None:
    # issue 25 item 12: it was located at the zone (1:7) though the pattern is on line 3
    app = "apps:\n  - dns: {type: CNAME, name: db.a.example}\n    protocol: tcp/22\n"
    app += "    origin_direct: ['tcp://192.0.2.1:22']\n"
    state, _ = validate_texts(
        "zone: a.example\nprotect:\n  - db.*\n  - typo.*\n" + app,
        "zone: a.example\nprotect: [typo.*, other.*]\n",  # the same pattern again: warned once
    )
    warned = [str(w).split(" matches")[0] for w in state.warnings if "protect pattern" in str(w)]
    assert warned == [
        'f0.yaml:4:5: protect pattern "typo.*"',
        'f1.yaml:2:19: protect pattern "other.*"',
    ]


def test_counts_in_rule_and_schema_messages_take_the_right_plural() -> None:
    # issue 25 item 20: "2 port(s)", "1 item(s)"
    _, problems = validate_texts(
        "zone: example.com\nbreak_glass: []\napps:\n"
        "  - dns: {type: CNAME, name: a.example.com}\n    protocol: tcp/1000-1050\n"
        "    origin_direct: ['tcp://192.0.2.1:2000-2001']\n"
    )
    messages = " ".join(p.message for p in problems)
    assert "(s)" not in messages
    assert "hold 2 ports but the edge" in messages and "list at least 1 item or" in messages
