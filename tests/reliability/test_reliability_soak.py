"""Fault soak: under a 20% fault rate, applying 100 apps converges in at most three runs, from an
empty zone, a partly applied one and a drifted one, and nothing outside the config is touched.

The account also holds what the preflight judges: manual DNS records (a proxied one on a
hostname no file declares, a DNS-only one on a declared hostname), an IPv4 hostname quota
exactly as large as the drifted start needs while its plan runs (every live hostname, other
zones' included, plus the declared ones), and the states of ``soak_states``: a second account
with its own token, leased and delegated static IPs, a prefix without on-demand advertisement,
a route-missing binding, Pro and Business zones, origin_dns names checked against the account's
zones (11050). Every apply runs with ``--strict``. A plan that passed preflight is never refused
by the emulator for a reason the corpus lists as predictable; a plan the preflight refuses
(one hostname past the quota, an origin in the other account, its leased IP, a protocol the
plan does not sell, a route-missing binding) writes nothing, and applied without the checks the
emulator refuses it: the soak's assertion can fail."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml
from reliability_helpers import (
    OTHER_ZONE,
    SCALE,
    ZONE,
    app_config,
    crash_copy,
    extra_app,
    identities,
    make_client,
    make_emulator,
    note_max,
    plan_once,
    write_big_config,
    zone_id,
)
from soak_states import (
    PRO,
    ROUTE_MISSING_IP,
    STATES,
    TEAM_B,
    ZONES,
    apply_accounts,
    extra_apps,
    named_app,
    on_cloudflare_ipv4,
    origin_dns_app,
    static_app,
    write_extra_files,
)

from reconciler.applying.report import ApplyReport
from reconciler.checks.static_ips import AddressChecks
from reconciler.errors import AddressRefusedError, PreflightRefusedError, ReconcilerError
from reconciler.planning.normalize import request_body
from tests.test_preflight_corpus import PREDICTED

pytestmark = pytest.mark.reliability

SEEDS = list(range(1, SCALE.soak_seeds + 1))
DRIFT_CHANGED = 10  # declared apps edited outside git
DRIFT_MISSING = 5  # declared apps deleted outside git
DRIFT_EXTRA = 8  # undeclared apps created outside git: the config says delete them
IGNORED = 5  # apps matching the ignore pattern: never touched
OTHER_ZONE_APPS = 3
DNS_RECORDS = (
    f"www.{ZONE},type=A,content=192.0.2.9",  # proxied, on a hostname no file declares
    f"svc001.{ZONE},type=CNAME,content=origin.example.org,proxied=no",  # DNS-only: no conflict
)
# The drifted start's peak: declared hostnames on Cloudflare IPv4 (every app but the static
# ones, i % 7 == 3, and the extra zones' dynamic ones of account A), the ignored, the other
# zone's and the stray ones (deletes run last). Account B stays far below it.
QUOTA = (
    sum(1 for i in range(SCALE.apps) if i % 7 != 3)
    + on_cloudflare_ipv4(ZONE)
    + on_cloudflare_ipv4(PRO)
    + IGNORED
    + OTHER_ZONE_APPS
    + DRIFT_EXTRA
)
PREFLIGHT = {
    "zones": (ZONE, OTHER_ZONE, *ZONES),
    "dns_records": DNS_RECORDS,
    "ipv4_hostname_quota": QUOTA,
    **STATES,
}
# --strict: a warning the emulator would turn into a refusal (11050, 11019) stops the plan too.
REFUSALS = (PreflightRefusedError, AddressRefusedError)  # the preflight's and the address check's
CHECKS = AddressChecks(strict=True, account_wide=True, ipv4_hostname_quota=QUOTA)


def post(emulator: Any, zone: str, body: dict[str, Any]) -> dict[str, Any]:
    with make_client(emulator) as client:
        return dict(client.create_app(zone_id(emulator, zone), _key(zone, body), body))


def _key(zone: str, body: dict[str, Any]) -> Any:
    from reconciler.model import AppKey

    return AppKey.of(zone, body["dns"]["name"], body["protocol"])


def write_config(directory: Path) -> str:
    """The big zone's two files and one file per extra zone (``soak_states``)."""
    config = write_big_config(directory)
    write_extra_files(directory)
    return config


def prepare(state: str, state_file: Path) -> None:
    """Write the starting state with a fault-free emulator; the soak emulator loads it."""
    setup = make_emulator(state_file=state_file, **PREFLIGHT)
    for i in range(OTHER_ZONE_APPS):  # another zone of the account that no config names
        post(setup, OTHER_ZONE, extra_app(f"keep{i}.{OTHER_ZONE}", 6000 + i))
    for i in range(IGNORED):
        post(setup, ZONE, extra_app(f"legacy-{i}.{ZONE}", 7000 + i))
    if state == "empty":
        setup.close()
        return
    for zone, apps in extra_apps().items():  # half of each extra zone's apps exist already
        for body in apps[: len(apps) // 2]:
            post(setup, zone, request_body(body))
    declared = [request_body(app_config(i)) for i in range(SCALE.apps)]
    upto = SCALE.apps * 2 // 5 if state == "partly-applied" else SCALE.apps
    for body in declared[:upto]:
        post(setup, ZONE, body)
    if state != "drifted":
        setup.close()
        return
    zid = zone_id(setup)
    by_name = {a["dns"]["name"]: a for a in setup.apps(zid)}
    with make_client(setup) as client:
        for i in range(DRIFT_CHANGED):  # someone edited these in the dashboard
            live = by_name[f"svc{i:03d}.{ZONE}"]
            edited = copy.deepcopy(request_body(app_config(i)))
            edited["origin_direct"] = [edited["origin_direct"][0].replace("192.0.2.", "192.0.2.1")]
            client.update_app(zid, live["id"], edited)
        for i in range(DRIFT_CHANGED, DRIFT_CHANGED + DRIFT_MISSING):
            client.delete_app(zid, by_name[f"svc{i:03d}.{ZONE}"]["id"])
    for i in range(DRIFT_EXTRA):
        post(setup, ZONE, extra_app(f"stray{i}.{ZONE}", 8000 + i))
    setup.close()


def untouchable(emulator: Any) -> dict[str, Any]:
    """The apps no config may touch: the other zone's and the ignored ones, ids and configs."""
    ignored = [
        a for a in emulator.apps(zone_id(emulator)) if a["dns"]["name"].startswith("legacy-")
    ]
    return {
        "other-zone": sorted(emulator.apps(zone_id(emulator, OTHER_ZONE)), key=lambda a: a["id"]),
        "ignored": sorted(ignored, key=lambda a: a["id"]),
    }


def predictable(report: ApplyReport) -> list[str]:
    """The writes the emulator refused for a reason the refusal corpus says plan predicts."""
    return [f"{o.action.key}: {o.detail}" for o in report.outcomes if set(o.codes) & set(PREDICTED)]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The config tree, written once: every scenario reads it, none writes to it."""
    return write_config(tmp_path_factory.mktemp("soak") / "config")


@pytest.mark.parametrize("start", ["empty", "partly-applied", "drifted"])
@pytest.mark.parametrize("seed", SEEDS)
def test_100_apps_under_20_percent_faults_converge_in_three_runs(
    seed: int, start: str, config: str, tmp_path: Path, figures: Any
) -> None:
    state_file = tmp_path / "state.json"
    prepare(start, state_file)
    emulator = make_emulator(fault_rate=0.2, seed=seed, state_file=state_file, **PREFLIGHT)
    before = untouchable(emulator)
    assert len(before["ignored"]) == IGNORED and len(before["other-zone"]) == OTHER_ZONE_APPS

    runs = 0
    for runs in range(1, 4):  # noqa: B007 (the count is the figure)
        try:
            report = apply_accounts(emulator, config, CHECKS)
        except REFUSALS:
            raise  # every state is set so that this plan passes: a false refusal
        except ReconcilerError:  # a read that failed every retry: this run did nothing
            continue
        assert predictable(report) == []
        if report.complete:
            break

    # Judge from a restarted, fault-free emulator on the files as a crash would leave them now
    # (snapshot and journal, not a last compaction): what is really stored.
    restarted = make_emulator(state_file=crash_copy(state_file, tmp_path / "restart"))
    final = plan_once(restarted, config)
    assert final.actions == (), [str(a.key) for a in final.actions]
    live = restarted.apps(zone_id(restarted))
    declared = identities([app_config(i) for i in range(SCALE.apps)] + extra_apps()[ZONE])
    managed = [a for a in live if not a["dns"]["name"].startswith("legacy-")]
    assert sorted(identities(managed)) == sorted(declared)  # exact count, no duplicate identity
    assert len(set(identities(live))) == len(live)
    for zone, apps in extra_apps().items():
        if zone != ZONE:
            assert sorted(identities(restarted.apps(zone_id(restarted, zone)))) == sorted(
                identities(apps)
            )
    assert untouchable(restarted) == before  # same ids, same configs, same timestamps

    stats = emulator.stats()
    assert stats["faults"] > 0
    figures(
        soak_scenarios=1,
        soak_apply_runs=runs,
        soak_faults_injected=stats["faults"],
        soak_requests=stats["total"],
        soak_apps_checked=len(live) + len(before["other-zone"]),
        soak_apps_lost=len(set(declared) - set(identities(managed))),
    )
    note_max(soak_runs_max=runs)
    for kind, count in stats["faults_by_kind"].items():
        figures(**{f"soak_faults_{kind}": count})


# What the preflight must refuse, by the kind it names: a hostname one past the quota, and,
# with a quota one larger, an origin_dns in account B's zone (11050), account B's leased IP in
# account A's zone (11019), rdp in the Pro zone (13002), an IP whose binding is route-missing
# (the emulator takes it; it would carry no traffic). Each but the first is an extra file.
REFUSED: dict[str, tuple[int | None, int, str, dict[str, Any] | None]] = {
    "ipv4_hostname_quota": (12005, -1, ZONE, None),
    "origin_dns_outside_account": (
        11050,
        1,
        ZONE,
        origin_dns_app(f"far.{ZONE}", 5950, f"db.{TEAM_B}"),
    ),
    "ip_not_byoip": (11019, 1, ZONE, static_app(f"borrow.{ZONE}", 5951, "172.65.65.9")),
    "protocol_not_in_plan": (13002, 1, PRO, named_app(PRO, "rdp", 3389)),
    "binding_route_missing": (None, 1, ZONE, static_app(f"held.{ZONE}", 5952, ROUTE_MISSING_IP)),
}


@pytest.fixture(scope="module")
def drifted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The drifted start, prepared once for the refusal cases (each loads a copy)."""
    state_file = tmp_path_factory.mktemp("drifted") / "state.json"
    prepare("drifted", state_file)
    return state_file


@pytest.mark.parametrize("kind", sorted(REFUSED))
def test_a_refused_plan_writes_nothing_and_unchecked_the_emulator_refuses_it(
    kind: str, drifted: Path, tmp_path: Path
) -> None:
    """With the checks the plan is refused before any write, naming ``kind``; the counter-check
    (the soak's assertion can fail): the same plan with no check before the writes meets the
    emulator's refusal, a code the corpus says plan predicts."""
    code, delta, zone, app = REFUSED[kind]
    config = write_config(tmp_path / "config")
    if app is not None:
        document = {"zone": zone, "apps": [app]}
        (Path(config) / "refused.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    quota = QUOTA + delta
    emulator = make_emulator(
        state_file=crash_copy(drifted, tmp_path / "state"),
        **{**PREFLIGHT, "ipv4_hostname_quota": quota},
    )
    emulator.reset_stats()
    checks = dataclasses.replace(CHECKS, ipv4_hostname_quota=quota)
    with pytest.raises(REFUSALS, match="nothing was written") as refused:
        apply_accounts(emulator, config, checks)
    assert f"[{kind}]" in str(refused.value.problems)
    writes = {k: n for k, n in emulator.stats()["requests"].items() if not k.startswith("GET")}
    assert writes == {}
    if code is None:  # the emulator takes it: Cloudflare would too, and carry no traffic
        return
    report = apply_accounts(emulator, config, checks, preflight=False)
    assert predictable(report) != []
    assert {c for o in report.outcomes for c in o.codes} & set(PREDICTED) == {code}
