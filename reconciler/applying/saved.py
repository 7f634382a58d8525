"""Shell: a saved plan, re-derived from the files and the live state before anything runs.

In: the saved ``Plan`` read from ``apply --plan FILE`` (untrusted), the desired state its
recorded files declare, and a client. Out: the plan made *now* from those files and one read of
the live zones, once ``checks.integrity`` found the document saying exactly that; otherwise a
``StalePlanError`` (live state moved) or ``PlanMismatchError`` (the document says something
else), both exit 3, before any write. What runs, and every guardrail verdict on it, comes from
the files and the live state; the document only has to agree with them.
"""

from __future__ import annotations

from reconciler.applying.workflow import LiveReader, check_addresses, plan_against
from reconciler.checks import guardrails, integrity
from reconciler.checks.guardrails import live_delete
from reconciler.checks.static_ips import DEFAULT_CHECKS, AddressChecks
from reconciler.desired.selection import names_zone, select_zones
from reconciler.errors import PlanMismatchError, StalePlanError
from reconciler.model import DesiredState
from reconciler.plan import Plan
from reconciler.planning.stale import stale_reasons

_AGAIN = "run plan again, review it, and apply the new one"


def declared_part(saved: Plan, files: DesiredState) -> DesiredState:
    """The part of the files' desired state the saved plan covers; ``PlanMismatchError`` when it
    covers a zone no file declares."""
    unknown = integrity.undeclared_zones(saved, files.zones)
    if unknown:
        raise PlanMismatchError(f"{'; '.join(unknown)} — {_AGAIN}")
    covered = integrity.covered_zones(saved)
    return select_zones(
        files, lambda spec: any(names_zone(spec, name=n, zone_id=i) for n, i in covered)
    )


def replan(
    saved: Plan,
    desired: DesiredState,
    client: LiveReader,
    *,
    checks: AddressChecks = DEFAULT_CHECKS,
    overrides: guardrails.Overrides | None = None,
) -> Plan:
    """The plan made now from ``desired`` and the live zones, once the saved plan is found to be
    neither stale nor different from it; its address check skips the zones the guardrails would
    hold under ``overrides`` (``workflow.check_addresses``)."""
    live = client.fetch_live(desired.zones)
    stale = stale_reasons(saved, live)
    if stale:
        raise StalePlanError(f"the saved plan is stale: {'; '.join(stale)} — {_AGAIN}")
    fresh = plan_against(desired, live, sources=saved.sources)
    problems = integrity.problems_with(saved, fresh, live)
    if problems:
        raise PlanMismatchError(
            f"the saved plan does not match its files and the live state: {'; '.join(problems)}"
            f" — {_AGAIN}"
        )
    checked = check_addresses(fresh, client, checks, overrides)
    moved = live_delete.verdict_changes(saved, checked, overrides or guardrails.Overrides())
    if moved:
        raise StalePlanError(f"the saved plan is stale: {'; '.join(moved)} — {_AGAIN}")
    return checked
