"""The desired-state JSON Schema: well-formed, packaged, and matching the API's app object."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.desired.loading import load_documents
from reconciler.desired.validate import desired_state_schema, validate_documents

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "config"
SCHEMA = desired_state_schema()
VALIDATOR = Draft202012Validator(SCHEMA)


def app(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "dns": {"type": "CNAME", "name": "a.example.com"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.1:22"],
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


def valid(document: dict[str, Any]) -> bool:
    return VALIDATOR.is_valid(document)


def test_the_schema_is_a_valid_2020_12_schema_with_an_id() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"]


def test_the_schema_is_packaged_and_the_top_level_symlink_points_at_it() -> None:
    packaged = resources.files("reconciler") / "schemas" / "desired-state.schema.json"
    assert json.loads(packaged.read_text()) == SCHEMA
    assert (ROOT / "schemas" / "desired-state.schema.json").resolve() == (
        ROOT / "reconciler" / "schemas" / "desired-state.schema.json"
    ).resolve()


def test_every_object_is_closed() -> None:
    def objects(node: Any) -> list[dict[str, Any]]:
        found = []
        if isinstance(node, dict):
            if node.get("type") == "object":
                found.append(node)
            for key, value in node.items():
                if key != "if":  # conditions test objects; they do not define them
                    found.extend(objects(value))
        elif isinstance(node, list):
            for value in node:
                found.extend(objects(value))
        return found

    closed = [o for o in objects(SCHEMA) if o.get("additionalProperties") is False]
    assert len(closed) == len(objects(SCHEMA)) >= 7


def test_every_api_app_field_is_described() -> None:
    fields = set(SCHEMA["$defs"]["app"]["properties"])
    assert fields == {
        "dns", "protocol", "traffic_type", "origin_direct", "origin_dns", "origin_port",
        "edge_ips", "tls", "proxy_protocol", "ip_firewall", "argo_smart_routing",
        "virtual_network_id", "origin_worker_id",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("document", "ok"),
    [
        ({"zone": "example.com"}, True),
        ({"zone_id": "023e105f4ecef8ad9ca31a8372d0c353"}, True),
        ({"apps": []}, False),
        ({"zone": "example.com", "ignore": ["legacy-*"]}, True),
        ({"zone": "example.com", "ignore": "legacy-*"}, False),
        ({"zone": "example.com", "safety": {"max_destructive_percent": 0}}, True),
        ({"zone": "example.com", "safety": {"max_destructive_percent": -1}}, False),
        ({"zone": "example.com", "safety": {"allow_delete_all": "yes"}}, False),
        ({"zone": "example.com", "safety": {"max_deletes": 3}}, False),
        ({"zone": "example.com", "protect": ["db-*.example.com"]}, True),
        ({"zone": "example.com", "protect": "db-*"}, False),
        ({"zone": "example.com", "prune": False}, True),
        ({"zone": "example.com", "prune": "no"}, False),
        ({"zone": "example.com", "mode": "observe"}, True),
        ({"zone": "example.com", "mode": "dry-run"}, False),
        ({"zone": "example.com", "freeze": {"until": "2026-12-24T00:00:00Z", "reason": "x"}}, True),
        ({"zone": "example.com", "freeze": {"until": "2026-12-24T00:00:00+01:00", "reason": "x"}}, True),
        ({"zone": "example.com", "freeze": {"until": "next tuesday", "reason": "x"}}, False),
        ({"zone": "example.com", "freeze": {"until": "2026-12-24T00:00:00Z"}}, False),
        ({"zone": "example.com", "freeze": {"cron": "0 18 * * FRI", "duration": "64h", "timezone": "Europe/Berlin", "reason": "weekend"}}, True),
        ({"zone": "example.com", "freeze": [{"until": "2026-12-24T00:00:00Z", "reason": "x"}, {"cron": "0 18 * * FRI", "duration": "64h", "reason": "y"}]}, True),
        ({"zone": "example.com", "freeze": []}, False),
        ({"zone": "example.com", "freeze": {"cron": "0 18 * * FRI", "reason": "no duration"}}, False),
        ({"zone": "example.com", "freeze": {"cron": "0 18 * * FRI", "duration": "2 days", "reason": "x"}}, False),
        ({"zone": "example.com", "freeze": {"cron": "0 18 * * FRI", "duration": "1h", "until": "2026-12-24T00:00:00Z", "reason": "both"}}, False),
        ({"zone": "example.com", "freeze": {"until": "2026-12-24T00:00:00Z", "timezone": "UTC", "reason": "tz without cron"}}, False),
        ({"zone": "example.com", "break_glass": ["alice", "team-oncall"]}, True),
        ({"zone": "example.com", "break_glass": []}, False),
        ({"zone": "example.com", "break_glass": "alice"}, False),
        ({"zone": "example.com", "apps": [app()]}, True),
        ({"zone": "example.com", "apps": [app(protocol="udp/1000-2000")]}, True),
        ({"zone": "example.com", "apps": [app(protocol="tcp/65536")]}, False),
        ({"zone": "example.com", "apps": [app(protocol="TCP/22")]}, False),
        ({"zone": "example.com", "apps": [app(protocol="ssh")]}, True),
        ({"zone": "example.com", "apps": [app(protocol="rdp")]}, True),
        ({"zone": "example.com", "apps": [app(protocol="minecraft")]}, False),
        ({"zone": "example.com", "apps": [app(protocol="ssh/22")]}, False),
        ({"zone": "example.com", "apps": [app(origin_direct=["tcp://[2001:db8::1]:443"])]}, True),
        ({"zone": "example.com", "apps": [app(origin_direct=["tcp://2001:db8::1:443"])]}, False),
        ({"zone": "example.com", "apps": [app(origin_direct=["http://192.0.2.1:80"])]}, False),
        ({"zone": "example.com", "apps": [app(origin_direct=[])]}, False),
        ({"zone": "example.com", "apps": [app(origin_port=443)]}, True),
        ({"zone": "example.com", "apps": [app(origin_port="3000-4000")]}, True),
        ({"zone": "example.com", "apps": [app(origin_port=0)]}, False),
        ({"zone": "example.com", "apps": [app(origin_port="http")]}, False),
        ({"zone": "example.com", "apps": [app(origin_port=True)]}, False),
        ({"zone": "example.com", "apps": [app(dns={"name": "a.example.com"})]}, False),
        ({"zone": "example.com", "apps": [app(dns={"type": "A", "name": "a.example.com"})]}, False),
        ({"zone": "example.com", "apps": [app(edge_ips={"type": "dynamic"})]}, True),
        ({"zone": "example.com", "apps": [app(edge_ips={"type": "dynamic", "ips": ["x"]})]}, False),
        ({"zone": "example.com", "apps": [app(traffic_type="worker")]}, False),
        ({"zone": "example.com", "apps": [app(origin_worker_id="w")]}, False),
        ({"zone": "example.com", "apps": [app(tls="on")]}, False),
        ({"zone": "example.com", "apps": [app(proxy_protocol=True)]}, False),
        ({"zone": "example.com", "apps": [app(origin_dns={"name": "o.example.com", "ttl": 600})]},
         False),
        ({"zone": "example.com", "apps": [app(origin_direct=None, origin_dns={
            "name": "o.example.com", "ttl": 600, "type": ""}, origin_port=22)]}, True),
        ({"zone": "example.com", "apps": [app(origin_direct=None, origin_dns={
            "name": "o.example.com", "type": "CNAME"}, origin_port=22)]}, False),
    ],
)  # fmt: skip
def test_schema_cases(document: dict[str, Any], ok: bool) -> None:
    assert valid(document) is ok


def test_address_goes_with_static_and_cname_with_dynamic() -> None:
    static = {"type": "static", "ips": ["198.51.100.10"]}
    address = {"type": "ADDRESS", "name": "a.example.com"}
    assert valid({"zone": "example.com", "apps": [app(dns=address, edge_ips=static)]})
    assert not valid({"zone": "example.com", "apps": [app(dns=address)]})
    assert not valid({"zone": "example.com", "apps": [app(edge_ips=static)]})
    assert not valid(
        {"zone": "example.com", "apps": [app(dns=address, edge_ips={"type": "dynamic"})]}
    )


# Schema errors as problems: located at the offending value (or key) and saying what to do.
SCHEMA_PROBLEMS = [
    ("bad-unknown-field.yaml", 6, 5, "unknown field 'tsl' in apps[0] — did you mean 'tls'?"),
    ("bad-unknown-top-level-field.yaml", 2, 1, "unknown field 'ignroe' in the top level"),
    ("bad-both-origins.yaml", 6, 17, "both origin_direct and origin_dns — keep exactly one"),
    ("bad-no-origin.yaml", 3, 5, "the app has no origin — add origin_direct"),
    ("bad-address-dynamic.yaml", 6, 22, "dns.type ADDRESS needs static edge IPs"),
    ("bad-address-no-edge-ips.yaml", 3, 5, "dns.type ADDRESS needs static edge IPs"),
    ("bad-cname-static.yaml", 6, 22, "static edge IPs need dns.type ADDRESS"),
    ("bad-static-without-ips.yaml", 6, 15, "is missing the required field 'ips'"),
    ("bad-dynamic-connectivity.yaml", 6, 45, "did you mean 'ipv6'?"),
    ("bad-edge-ips-type.yaml", 6, 15, "edge_ips.type is dynamic or static — write"),
    ("bad-protocol-grammar.yaml", 4, 15, "write it like tcp/22, udp/1000-2000 or ssh"),
    ("bad-protocol-port-zero.yaml", 4, 15, 'protocol "udp/0"'),
    ("bad-tls-enum.yaml", 6, 10, 'apps[0].tls is "of", not one of'),
    ("bad-ip-firewall-string.yaml", 6, 18, 'must be true or false, not string "yes"'),
    ("bad-origin-direct-hostname.yaml", 5, 21, "for a hostname origin use origin_dns"),
    ("bad-origin-port-out-of-range.yaml", 6, 18, "origin_port is 70000 — it must be at most"),
    ("bad-origin-dns-ttl.yaml", 5, 49, "ttl is 300 — it must be at least 600"),
    ("bad-missing-dns.yaml", 3, 5, "apps[0] is missing the required field 'dns'"),
    ("bad-dns-name-invalid.yaml", 3, 30, "not a valid hostname"),
    ("bad-missing-zone.yaml", 1, 1, "the file names no zone — add zone:"),
    ("bad-zone-id-format.yaml", 1, 10, "not a zone id"),
    ("bad-safety-percent.yaml", 2, 35, "max_destructive_percent is 150"),
]


@pytest.mark.parametrize(("name", "line", "col", "words"), SCHEMA_PROBLEMS)
def test_a_schema_error_is_one_located_actionable_problem(
    name: str, line: int, col: int, words: str
) -> None:
    docs, load_problems = load_documents([FIXTURES / name])
    assert load_problems == []
    state, problems = validate_documents(docs)
    assert state is None
    assert [(p.location.line, p.location.col) for p in problems if p.location] == [(line, col)]
    assert words in problems[0].message
    assert " — " in problems[0].message


def test_examples_carry_the_modeline_and_validate_against_the_raw_schema() -> None:
    files = sorted((ROOT / "examples").rglob("*.yaml"))
    assert len(files) >= 3
    for file in files:
        first = file.read_text().splitlines()[0]
        relative = Path("../" * (len(file.relative_to(ROOT).parts) - 1))
        assert first == f"# yaml-language-server: $schema={relative.as_posix()}/" + (
            "schemas/desired-state.schema.json"
        )
        assert (file.parent / first.split("=", 1)[1]).resolve().is_file()
        (doc,), _ = load_documents([file])
        assert list(VALIDATOR.iter_errors(doc.data)) == []
