"""The soak's second account and the address and plan states around the big zone: what the
preflight judges besides records and the quota, seeded and deterministic (the same at the CI and
the full size: only the seeds' count differs).

Account A (the emulator's own) holds the big zone ``example.com``, the undeclared
``example.net`` and a Pro zone; its prefix 198.51.100.0/24 has on-demand advertisement off
(``advertised`` null), 203.0.113.0/24 has half delegated to account B, 2001:db8::/48 is plain,
and 100.64.0.0/24 has a Spectrum binding in ``magic_transit_route_missing``; Cloudflare leases
it 172.65.64.0/24. Account B holds ``example.org`` (Enterprise) and ``example.biz`` (Business),
leases 172.65.65.0/24 and receives 203.0.113.128/25; its zones take their token from another
variable (``TEAM_B_TOKEN``), so plans and applies run through ``live.accounts.Accounts``.

The declared apps that use them (``extra_files``): in ``example.com``, apps on A's leased IPs and
apps whose ``origin_dns`` is in A's zones (its own and the undeclared one); in ``example.org``,
apps on the delegated CIDR, on B's leased IPs, and with ``origin_dns`` in B's two zones; in the
Pro and Business zones, the named protocols their plan sells, one app each, with only
``protocol``, ``dns`` and ``origin_direct``. The emulator refuses an ``origin_dns`` outside the
app's account (11050, ``origin_dns_policy="account"``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from reliability_helpers import ZONE, make_client

from reconciler.applying import workflow
from reconciler.applying.journal import Journal
from reconciler.applying.report import ApplyReport
from reconciler.checks.static_ips import AddressChecks
from reconciler.cli.apply_run import Settings, run_parts
from reconciler.emulator import Emulator
from reconciler.live.accounts import Accounts
from reconciler.live.connect import Connection
from reconciler.model import DEFAULT_TOKEN_ENV
from reconciler.plan import Plan

ACCOUNT_B = "023e105f4ecef8ad9ca31a8372d0c353"
TEAM_B = "example.org"
PRO = "example.info"  # account A, Pro: ssh only
BUSINESS = "example.biz"  # account B, Business: ssh and rdp
TOKEN_ENVS = {DEFAULT_TOKEN_ENV: "tok-soak-team-a-0001", "TEAM_B_TOKEN": "tok-soak-team-b-0002"}
PER_KIND = 2  # apps of each kind below, in each zone that has it

ZONES = (
    f"{PRO},plan=pro",
    f"{TEAM_B},account={ACCOUNT_B}",
    f"{BUSINESS},plan=business,account={ACCOUNT_B}",
)
BYOIP = (
    "198.51.100.0/24,on_demand=no",
    "203.0.113.0/24",
    "2001:db8::/48",
    "100.64.0.0/24,binding=route_missing",
)
ROUTE_MISSING_IP = "100.64.0.10"  # no declared app uses it: plan --strict would refuse it
LEASED = ("172.65.64.0/24", f"172.65.65.0/24,account={ACCOUNT_B}")
DELEGATIONS = (f"203.0.113.128/25,to={ACCOUNT_B}",)
STATES: dict[str, Any] = {
    "byoip_prefixes": BYOIP,
    "leased_prefixes": LEASED,
    "delegations": DELEGATIONS,
    "origin_dns_policy": "account",
}


def static_app(name: str, port: int, ip: str) -> dict[str, Any]:
    return {
        "dns": {"type": "ADDRESS", "name": name},
        "protocol": f"tcp/{port}",
        "origin_direct": [f"tcp://192.0.2.{port % 200 + 1}:{port}"],
        "edge_ips": {"type": "static", "ips": [ip]},
    }


def origin_dns_app(name: str, port: int, origin: str) -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": name},
        "protocol": f"tcp/{port}",
        "origin_dns": {"name": origin},
        "origin_port": port,
    }


def named_app(zone: str, protocol: str, port: int) -> dict[str, Any]:
    """An app as a zone below Enterprise takes it: protocol, dns and origin_direct only."""
    return {
        "dns": {"type": "CNAME", "name": f"{protocol}.{zone}"},
        "protocol": protocol,
        "origin_direct": [f"tcp://192.0.2.{port % 200 + 1}:{port}"],
    }


def extra_apps() -> dict[str, list[dict[str, Any]]]:
    """Every declared app beyond the big config's, by zone."""
    n = range(PER_KIND)
    return {
        ZONE: [static_app(f"lease{i}.{ZONE}", 5100 + i, f"172.65.64.{i + 1}") for i in n]
        + [origin_dns_app(f"orig{i}.{ZONE}", 5200 + i, f"db{i}.example.net") for i in n]
        + [origin_dns_app(f"self{i}.{ZONE}", 5300 + i, f"db{i}.{ZONE}") for i in n],
        TEAM_B: [static_app(f"dlg{i}.{TEAM_B}", 5400 + i, f"203.0.113.{200 + i}") for i in n]
        + [static_app(f"lease{i}.{TEAM_B}", 5500 + i, f"172.65.65.{i + 1}") for i in n]
        + [origin_dns_app(f"orig{i}.{TEAM_B}", 5600 + i, f"db{i}.{BUSINESS}") for i in n]
        + [origin_dns_app(f"self{i}.{TEAM_B}", 5700 + i, f"db{i}.{TEAM_B}") for i in n],
        PRO: [named_app(PRO, "ssh", 22)],
        BUSINESS: [named_app(BUSINESS, "ssh", 22), named_app(BUSINESS, "rdp", 3389)],
    }


def on_cloudflare_ipv4(zone: str) -> int:
    """The declared extra hostnames of ``zone`` that count against its account's IPv4 quota."""
    return sum(1 for app in extra_apps()[zone] if "edge_ips" not in app)


def write_extra_files(directory: Path) -> None:
    """One file per zone (``example.com``'s joins the big config's two); account B's zones name
    ``TEAM_B_TOKEN``."""
    for zone, apps in extra_apps().items():
        document: dict[str, Any] = {"zone": zone, "apps": apps}
        if zone in (TEAM_B, BUSINESS):
            document = {"zone": zone, "token_env": "TEAM_B_TOKEN", "apps": apps}
        (directory / f"extra-{zone}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def accounts_for(emulator: Emulator) -> Accounts:
    """``Accounts`` as ``plan``/``apply`` build it, its two clients talking to ``emulator``
    in-process (with each token) instead of over the network."""
    accounts = Accounts(Connection())
    for env, token in TOKEN_ENVS.items():
        accounts.clients[env] = make_client(emulator, token=token)
    return accounts


def plan_accounts(
    accounts: Accounts, config: str, checks: AddressChecks, *, preflight: bool = True
) -> Plan:
    desired = workflow.load([config])
    if preflight:
        return workflow.plan_for(desired, accounts, checks=checks)
    live = accounts.fetch_live(desired.zones)  # the counter-check: no check before the writes
    return workflow.plan_against(desired, live)


def apply_accounts(
    emulator: Emulator, config: str, checks: AddressChecks, *, preflight: bool = True
) -> ApplyReport:
    """One apply run as the CLI's ``apply --auto-approve`` does it over two tokens: load, read
    each zone with its token, plan with the checks, guard (preflight refusals raise), write each
    token's part through its client. ``preflight=False`` plans without the checks."""
    with accounts_for(emulator) as accounts:
        plan = plan_accounts(accounts, config, checks, preflight=preflight)
        settings = Settings(force=False, parallelism=8, journal=None, checks=checks)
        return run_parts(settings.guard(plan), accounts, settings, Journal(None))
