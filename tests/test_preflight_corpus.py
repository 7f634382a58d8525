"""The refusal corpus: every code the emulator can answer a Spectrum app create or update with,
each either predicted by ``plan`` before any write or listed here with why it cannot be.

The codes come from ``reconciler.emulator.codes`` itself, so a code added there later fails this
test until it is given a case or a reason. For each predicted code the test proves both halves
over loopback: the emulator really refuses the write with that code, and ``plan`` refuses (or
warns about) the same configuration first. ``python -m tests.test_preflight_corpus`` prints the
table docs/preflight.md shows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

import reconciler.emulator.codes as codes
from reconciler.applying import workflow
from reconciler.checks.static_ips import AddressChecks
from reconciler.emulator import Emulator, EmulatorConfig, serve
from reconciler.emulator.codes import Code
from reconciler.errors import AddressRefusedError, ConfigError
from reconciler.live.cloudflare import CloudflareClient
from tests.conftest import FAST_RETRY

ROOT = Path(__file__).resolve().parent.parent
VNET = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"
BEGIN, END = "<!-- refusal corpus: begin -->", "<!-- refusal corpus: end -->"


def app(name: str = "ssh", protocol: str = "tcp/22", **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "dns": {"type": "CNAME", "name": f"{name}.example.com"},
        "protocol": protocol,
        "origin_direct": ["tcp://192.0.2.1:22"],
    }
    body.update(extra)
    return {k: v for k, v in body.items() if v is not None}


def static(ip: str, name: str = "st", protocol: str = "tcp/22", **extra: Any) -> dict[str, Any]:
    transport = protocol.split("/")[0]
    return app(
        name,
        protocol,
        dns={"type": "ADDRESS", "name": f"{name}.example.com"},
        edge_ips={"type": "static", "ips": [ip]},
        origin_direct=[f"{transport}://192.0.2.1:22"],
        **extra,
    )


@dataclass(frozen=True)
class Case:
    """A configuration whose last app Cloudflare refuses with ``code``, and how ``plan`` meets it
    first (``by``). Written directly, the apps before the last succeed."""

    by: str  # how plan meets it: validate, address check, preflight: KIND, warned: KIND
    what: str
    apps: list[dict[str, Any]]
    emulator: dict[str, Any] = field(default_factory=dict)
    elsewhere: list[dict[str, Any]] = field(default_factory=list)  # live apps of example.net,
    # a zone no file declares (counted by --account-wide)
    quota: int = 10


PREDICTED: dict[int, Case] = {
    10012: Case(
        "preflight: field_not_in_plan",
        "a field beyond protocol/dns/origin_direct below Enterprise",
        [app(protocol="ssh", tls="off")],
        {"zones": ("example.com,plan=pro",)},
    ),
    11000: Case(
        "validate",
        "both origin_direct and origin_dns",
        [app(origin_dns={"name": "origin.example.net"}, origin_port=22)],
    ),
    11001: Case(
        "validate",
        "origin_dns naming an IP address",
        [app(origin_direct=None, origin_dns={"name": "192.0.2.1"}, origin_port=22)],
    ),
    11002: Case(
        "validate",
        "an origin_direct that does not parse",
        [app(origin_direct=["tcp://2001:db8::1:22"])],
    ),
    11004: Case(
        "validate",
        "dns.type CNAME with static edge IPs",
        [app(edge_ips={"type": "static", "ips": ["198.51.100.10"]})],
    ),
    11018: Case(
        "warned: ip_not_byoip",
        "a static edge IP in an account without BYOIP or leased space",
        [static("198.51.100.10")],
        {"byoip_prefixes": ()},
    ),
    11019: Case(
        "warned: ip_not_byoip",
        "a static edge IP outside the account's approved prefixes",
        [static("192.0.2.200")],
    ),
    11034: Case(
        "preflight: one_app_per_protocol",
        "a second app of one protocol below Enterprise",
        [app(protocol="ssh"), app("ssh2", protocol="ssh")],
        {"zones": ("example.com,plan=business",)},
    ),
    11041: Case(
        "validate",
        "a virtual network origin with origin_dns",
        [
            app(
                origin_direct=None,
                origin_dns={"name": "o.example.net"},
                origin_port=22,
                virtual_network_id=VNET,
            )
        ],
    ),
    11042: Case(
        "validate",
        "a virtual network origin with two origins",
        [app(origin_direct=["tcp://10.0.0.1:22", "tcp://10.0.0.2:22"], virtual_network_id=VNET)],
    ),
    11043: Case(
        "validate",
        "a virtual network origin with a port range",
        [
            app(
                protocol="tcp/22-23",
                origin_direct=["tcp://10.0.0.1:22-23"],
                virtual_network_id=VNET,
            )
        ],
    ),
    11045: Case(
        "validate",
        "a virtual_network_id that is not a UUID",
        [app(origin_direct=["tcp://10.0.0.1:22"], virtual_network_id="vnet-1")],
    ),
    11900: Case("validate", "an ill-typed field", [app(ip_firewall="yes")]),
    11901: Case(
        "validate",
        "two apps on one hostname with overlapping ports",
        [
            app(protocol="tcp/22"),
            app(protocol="tcp/20-30", origin_direct=["tcp://192.0.2.1:20-30"]),
        ],
    ),
    11902: Case(
        "validate",
        "an origin port range of another size than the edge range",
        [app(protocol="tcp/22-23", origin_direct=["tcp://192.0.2.1:22-24"])],
    ),
    11903: Case("validate", "proxy_protocol simple on a TCP app", [app(proxy_protocol="simple")]),
    11906: Case(
        "address check",
        "a UDP app on a Magic Transit address",
        [static("100.64.0.10", protocol="udp/53")],
        {"byoip_prefixes": ("100.64.0.0/24,service=magic_transit",)},
    ),
    11909: Case(
        "validate",
        "a hostname in no zone of the account",
        [app(dns={"type": "CNAME", "name": "a.elsewhere.org"})],
    ),
    11910: Case(
        "preflight: spectrum_not_in_plan",
        "a zone on the Free plan",
        [app(protocol="ssh")],
        {"zones": ("example.com,plan=free",)},
    ),
    11050: Case(
        "warned: origin_dns_outside_account",
        "an origin_dns name in no zone of the account (emulator --origin-dns-policy account)",
        [app(origin_direct=None, origin_dns={"name": "origin.example.org"}, origin_port=22)],
        {"origin_dns_policy": "account"},
    ),
    12005: Case(
        "preflight: ipv4_hostname_quota",
        "the account's hostname past its IPv4 quota",
        [app("a"), app("b")],
        {"ipv4_hostname_quota": 2},
        elsewhere=[app("x", dns={"type": "CNAME", "name": "x.example.net"})],
        quota=2,
    ),
    13002: Case(
        "preflight: protocol_not_in_plan",
        "a protocol the zone's plan does not sell",
        [app()],
        {"zones": ("example.com,plan=pro",)},
    ),
    16001: Case(
        "validate",
        "a hostname of another zone",
        [app(dns={"type": "CNAME", "name": "a.example.net"})],
    ),
    81053: Case(
        "preflight: dns_record_conflict",
        "a hostname a manual proxied DNS record holds",
        [app()],
        {"dns_records": ("ssh.example.com,type=A,content=192.0.2.7",)},
    ),
}

NOT_PREDICTED: dict[int, str] = {
    9106: "authentication: no credentials — plan's own reads fail the same way first",
    6003: "authentication: malformed headers — plan's own reads fail the same way first",
    10000: "authentication: a refused token — plan's own reads fail the same way first",
    7003: "routing: an unknown zone or app id — a zone deleted after the plan (a race)",
    7000: "routing: sent with 7003",
    971: "the rate limit — retried, never a refusal of the configuration",
    10002: "a server fault — retried",
    11033: "an IP used by an app of a zone the files do not declare (validate refuses one IP "
    "declared in two zones)",
    11044: "a virtual network without a route to the origin: routes live in the tunnel "
    "configuration, which the plan does not read",
    11905: "the app vanished after the plan (a race); apply --plan refuses a stale plan",
}

NOT_APP_WRITES: dict[int, str] = {
    11907: "service bindings API",
    11908: "address plane API (unknown prefix, binding or BGP prefix)",
    11911: "BGP prefixes API (deleting one still advertised)",
    81044: "DNS records API (unknown record)",
}


def every_code() -> dict[int, Code]:
    return {value.code: value for value in vars(codes).values() if isinstance(value, Code)}


def test_every_code_is_predicted_or_explained() -> None:
    listed = {*PREDICTED, *NOT_PREDICTED, *NOT_APP_WRITES}
    assert set(every_code()) == listed, "a code of emulator/codes.py lacks a case or a reason"
    assert not set(PREDICTED) & set(NOT_PREDICTED) and not set(PREDICTED) & set(NOT_APP_WRITES)


@pytest.fixture
def served(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, str]]:
    case: Case = request.param
    settings: dict[str, Any] = {
        "zones": ("example.com", "example.net"),
        "byoip_prefixes": ("198.51.100.0/24",),
        "virtual_networks": {VNET: ("10.0.0.0/8",)},
    }
    settings.update(case.emulator)
    if "example.net" not in " ".join(settings["zones"]):
        settings["zones"] = (*settings["zones"], "example.net")
    emulator = Emulator(EmulatorConfig(**settings))
    with serve(emulator) as server:
        net = emulator.ensure_zone("example.net")["id"]
        with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as http:
            for body in case.elsewhere:
                assert http.post(f"/zones/{net}/spectrum/apps", json=body).status_code == 200
        yield emulator, server.base_url


def _write(directory: Path, apps: list[dict[str, Any]]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": "example.com", "apps": apps}))
    return str(directory)


def plan_verdict(case: Case, base_url: str, root: Path) -> str:
    """How ``plan`` meets the configuration, before any write: never an empty answer."""
    try:
        desired = workflow.load([_write(root, case.apps)])
    except ConfigError:
        return "validate"
    with CloudflareClient("t", base_url=base_url, retry=FAST_RETRY) as client:
        try:
            checks = AddressChecks(account_wide=True, ipv4_hostname_quota=case.quota)
            plan = workflow.plan_for(desired, client, checks=checks)
        except AddressRefusedError:
            return "address check"
    if plan.refusals:
        return "preflight: " + ", ".join(sorted({r.kind for r in plan.refusals}))
    return "warned: " + ", ".join(sorted({w.kind for w in plan.warnings})) if plan.warnings else ""


def emulator_answer(emulator: Emulator, base_url: str, case: Case) -> list[int]:
    """Write the case's apps directly (no plan); the codes the last write is refused with."""
    com = emulator.ensure_zone("example.com")["id"]
    with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer t"}) as http:
        for body in case.apps[:-1]:
            made = http.post(f"/zones/{com}/spectrum/apps", json=body)
            assert made.status_code == 200, made.text
        last = http.post(f"/zones/{com}/spectrum/apps", json=case.apps[-1])
    assert last.status_code >= 400, f"the emulator accepted {case.what}"
    return [item["code"] for item in last.json()["errors"]]


@pytest.mark.parametrize(
    ("code", "served"),
    [pytest.param(code, case, id=str(code)) for code, case in PREDICTED.items()],
    indirect=["served"],
)
def test_the_emulator_refuses_and_plan_predicts_it(
    code: int, served: tuple[Emulator, str], tmp_path: Path
) -> None:
    emulator, base_url = served
    case = PREDICTED[code]
    assert plan_verdict(case, base_url, tmp_path / "cfg") == case.by
    assert emulator_answer(emulator, base_url, case) == [code]


def corpus_table() -> str:
    """docs/preflight.md's table: the count, then every code and how it is met."""
    total = len(PREDICTED) + len(NOT_PREDICTED)
    lines = [
        f"Refusals predicted by plan: **{len(PREDICTED)} of {total}** codes the emulator can "
        "answer a create or update with (`tests/test_preflight_corpus.py`).",
        "",
        "| code | refusal | predicted by plan |",
        "|---|---|---|",
    ]
    lines += [f"| {c} | {case.what} | {case.by} |" for c, case in sorted(PREDICTED.items())]
    lines += [f"| {c} | — | not predicted: {why} |" for c, why in sorted(NOT_PREDICTED.items())]
    return "\n".join(lines)


def test_the_preflight_page_shows_this_table() -> None:
    page = (ROOT / "docs" / "preflight.md").read_text(encoding="utf-8")
    shown = page.split(BEGIN)[1].split(END)[0].strip()
    assert shown == corpus_table(), "run: python -m tests.test_preflight_corpus"


if __name__ == "__main__":
    print(corpus_table())
