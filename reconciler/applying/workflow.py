"""The steps a command strings together: load -> fetch -> plan -> (check) -> apply.

In: paths, a client, flags. Out: Plans, Drift, ApplyReports, or ReconcilerErrors. Reading,
planning and writing stay separate: ``plan`` and ``drift`` never build an executor, and an apply
checks the plan it was given against live state before it writes anything.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from typing import Protocol

from reconciler.applying.executor import Executor
from reconciler.applying.report import ApplyReport
from reconciler.checks import guardrails, integrity, preflight, static_ips, traffic
from reconciler.checks.static_ips import DEFAULT_CHECKS, AddressChecks
from reconciler.desired.configuration import load_configuration
from reconciler.desired.document import Document
from reconciler.errors import (
    ConfigError,
    PlanFileError,
    PreflightRefusedError,
    ReconcilerError,
    StalePlanError,
)
from reconciler.model import DesiredState, LiveZone, Problem, ZoneSpec
from reconciler.plan import Plan
from reconciler.planning.gcpause import collector_paused
from reconciler.planning.planner import Drift, build_plan, classify_drift
from reconciler.planning.stale import stale_reasons


class LiveReader(Protocol):
    """What planning reads through: one ``CloudflareClient``, or ``live.accounts.Accounts``
    (several tokens: each zone read, and its checks' reads made, with its own token)."""

    def fetch_live(self, zones: Sequence[ZoneSpec]) -> tuple[LiveZone, ...]: ...

    @property
    def addresses(self) -> static_ips.AddressPlanes: ...

    @property
    def preflight(self) -> preflight.PreflightReads: ...

    @property
    def analytics(self) -> traffic.SummaryReads: ...


def load(
    paths: Sequence[str],
    *,
    zones: Sequence[str] = (),
    on_parsed: Callable[[Sequence[Document]], None] | None = None,
) -> DesiredState:
    """Desired state from files and directories, with every other file under the configuration
    root that declares one of their zones (``desired.configuration``), narrowed to ``zones``
    when given; raises ConfigError with every problem. ``on_parsed`` hears the parsed files
    before they are validated (``early_reads``)."""
    return load_configuration(paths, zones=zones, on_parsed=on_parsed)


def sources_of(paths: Sequence[str], desired: DesiredState) -> tuple[str, ...]:
    """What a plan records to re-read at ``apply --plan``: the PATHs, else (``--zone`` alone)
    every file the desired state was loaded from."""
    if paths:
        return tuple(paths)
    return tuple(sorted({where.file for zone in desired.zones for where in zone.sources}))


def plan_for(
    desired: DesiredState,
    client: LiveReader,
    *,
    sources: Sequence[str] = (),
    checks: AddressChecks = DEFAULT_CHECKS,
    overrides: guardrails.Overrides | None = None,
    live: Sequence[LiveZone] | None = None,
) -> Plan:
    """Read every declared zone (concurrently; ``live`` when already read) and plan desired
    against it; then check the
    static edge IPs the plan would write against the live address plane (``static_ips``) and
    what Cloudflare would refuse (``preflight``: the plan carries its refusals; the command
    shows the plan, then refuses with ``raise_if_refused``).

    ``sources`` (the PATHs ``desired`` was loaded from) are recorded so that ``apply --plan``
    can re-read the guardrails; the time is recorded to judge freezes by. With ``overrides``
    (apply's), the zones the guardrails would hold are judged first: their address findings,
    like an observe zone's, only warn.
    """
    if live is None:
        live = client.fetch_live(desired.zones)
    plan = plan_against(desired, live, sources=sources)
    return check_addresses(plan, client, checks, overrides)


def check_addresses(
    plan: Plan,
    client: LiveReader,
    checks: AddressChecks = DEFAULT_CHECKS,
    overrides: guardrails.Overrides | None = None,
) -> Plan:
    """The checks before any write, against live state read now (``apply --plan`` runs them
    again: records, quota and bindings can move after review): the static edge IPs of the
    actions that will run (see ``plan_for``), then what Cloudflare would refuse (``preflight``);
    first, the traffic each delete and recreate would cut (one analytics read per such zone)."""
    plan = traffic.attach(plan, client.analytics, checks.traffic_window_s)
    idle = verdict_on(plan, overrides).idle_zone_ids if overrides else frozenset[str]()
    checked = static_ips.check_plan(plan, client.addresses, checks, idle_zones=idle)
    return preflight.check_plan(checked, client.preflight, checks, idle_zones=idle)


def raise_if_refused(plan: Plan) -> None:
    """``PreflightRefusedError`` (exit 1) naming every refusal, if the plan has any."""
    if not plan.refusals:
        return
    problems = [Problem(r.source, f"{r.message} [{r.kind}]") for r in plan.refusals]
    count = len(problems)
    noun = "write Cloudflare would refuse" if count == 1 else "writes Cloudflare would refuse"
    raise PreflightRefusedError(problems, f"{count} {noun} (preflight); nothing was written")


def _plan(desired: DesiredState, client: LiveReader, sources: Sequence[str]) -> Plan:
    return plan_against(desired, client.fetch_live(desired.zones), sources=sources)


def plan_against(
    desired: DesiredState, live: Sequence[LiveZone], *, sources: Sequence[str] = ()
) -> Plan:
    """The plan of ``desired`` against zones already read (the reconcile loop reads per token);
    no address check (``static_ips.check_plan`` is the caller's, per client)."""
    with collector_paused():
        plan = build_plan(desired, live)
    made_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return dataclasses.replace(plan, sources=tuple(sources), made_at=made_at)


def drift_for(
    desired: DesiredState, client: LiveReader, checks: AddressChecks = DEFAULT_CHECKS
) -> Drift:
    """Every difference between live and git, sorted by kind (apps prune: false keeps count);
    every declared app's static edge IPs are checked against the live address plane."""
    plan = static_ips.check_declared(_plan(desired, client, ()), desired, client.addresses, checks)
    return drift_of(plan)


def drift_of(plan: Plan) -> Drift:
    """A plan's differences sorted by kind, with the apps prune: false keeps as ``kept``."""
    return dataclasses.replace(classify_drift(plan), kept=guardrails.kept_apps(plan))


def zones_of(plan: Plan) -> tuple[ZoneSpec, ...]:
    """The zones a saved plan covers, as specs the client can read without a lookup."""
    return tuple(ZoneSpec(name=z.name, zone_id=z.zone_id) for z in plan.zones)


def check_not_stale(plan: Plan, client: LiveReader) -> None:
    """Refuse a saved plan when any app of its zones changed, appeared or vanished since."""
    reasons = stale_reasons(plan, client.fetch_live(zones_of(plan)))
    if reasons:
        listing = "; ".join(reasons)
        raise StalePlanError(
            f"the saved plan is stale: {listing} — run plan again, review it, and apply the new one"
        )


def check_policies_unchanged(plan: Plan) -> DesiredState:
    """Re-read the files a saved plan was made from; refuse it if any zone's policies moved.

    A saved plan cannot carry its own guardrails past the reviewed files: the files' current
    ignore, safety and guardrail settings must be the ones the plan recorded. Returns what the
    files declare (their ``token_env`` says which token applies the plan).
    """
    if not plan.sources:
        raise PlanFileError(
            "the saved plan records no desired-state files to re-check its guardrails against; "
            "make a new one with `spectrum-reconciler plan PATH... --out FILE`"
        )
    try:
        desired = load(plan.sources)
    except ConfigError as error:
        first = error.problems[0] if error.problems else error
        raise ReconcilerError(
            f"cannot re-check the saved plan's guardrails: the files it was made from do not "
            f"load ({first}) — run apply --plan where plan ran, with the reviewed files"
        ) from None
    changes = guardrails.policy_changes(plan, desired.zones)
    changes += integrity.token_changes(plan, desired.zones)
    if changes:
        raise StalePlanError(
            f"the saved plan is stale: {'; '.join(changes)} since it was made — run plan "
            "again, review it, and apply the new one"
        )
    return desired


def overrides_of(
    *,
    force: bool,
    break_glass: str | None = None,
    allow_live_delete: Sequence[str] = (),
    strict: bool = False,
) -> guardrails.Overrides:
    """The operator's overrides, with who they are (from the CI's or the shell's variables)."""
    user = guardrails.user_from(os.environ)
    return guardrails.Overrides(force, break_glass, user, tuple(allow_live_delete), strict)


def verdict_on(plan: Plan, overrides: guardrails.Overrides | None) -> guardrails.Verdict:
    """The guardrails' verdict on applying ``plan`` now (a refusal holds its own zone)."""
    now = datetime.now(timezone.utc)
    return guardrails.assess(plan, now=now, overrides=overrides or guardrails.Overrides())


def guard(
    plan: Plan,
    *,
    force: bool,
    break_glass: str | None = None,
    allow_live_delete: Sequence[str] = (),
    strict: bool = False,
) -> guardrails.Verdict:
    """The guardrails' verdict on applying ``plan`` now. ``PreflightRefusedError`` (exit 1) if
    Cloudflare would refuse a write: whatever path leads to a write passes here. A refused
    zone's actions are held (``verdict.held``) and the other zones' run; ``GuardrailError``
    (exit 3) when refusals leave nothing to run."""
    raise_if_refused(plan)
    overrides = overrides_of(
        force=force, break_glass=break_glass, allow_live_delete=allow_live_delete, strict=strict
    )
    verdict = verdict_on(plan, overrides)
    verdict.raise_if_all_held()
    return verdict


def run_verdict(verdict: guardrails.Verdict, executor: Executor) -> ApplyReport:
    """Journal what the guardrails allowed (break-glass, observe skips), then apply the rest."""
    for broken in verdict.broken_freezes:
        executor.journal.write("break-glass", **broken.to_dict())
    for allowed in verdict.allowed_live_deletes:
        executor.journal.write("allow-live-delete", **allowed.to_dict())
    for action in verdict.skipped:
        executor.journal.write(
            "observe-skipped",
            action=action.kind.value,
            zone=action.key.zone,
            key=action.key.to_dict(),
        )
    return executor.apply(verdict.plan)
