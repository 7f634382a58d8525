"""The live_delete guardrail as pure rules: which deletes it refuses, what lifts it, how files
combine, and when a saved plan's verdict has moved."""

from __future__ import annotations

import dataclasses

from reconciler.checks.guardrails import Overrides, assess, from_declarations
from reconciler.checks.guardrails.live_delete import verdict_changes
from reconciler.model import AppKey, Guardrails
from reconciler.plan import (
    Action,
    ActionKind,
    AppTraffic,
    LiveAppStamp,
    Plan,
    ZoneSnapshot,
    ZoneTraffic,
)

ZONE_ID = "0" * 32
BUSY = AppTraffic(120, 10, 20)


def key(name: str) -> AppKey:
    return AppKey("example.com", f"{name}.example.com", "tcp/22")


def zone(*names: str, **policy: object) -> ZoneSnapshot:
    """The named apps and ten more, so one delete stays under the safety gate."""
    every = [*names, *(f"filler{i}" for i in range(10))]
    stamps = {f"id-{n}": LiveAppStamp(key(n), None, "0" * 64) for n in every}
    return ZoneSnapshot("example.com", ZONE_ID, stamps, guardrails=Guardrails(**policy))  # type: ignore[arg-type]


def delete(name: str) -> Action:
    return Action(ActionKind.DELETE, key(name), ZONE_ID, app_id=f"id-{name}")


def planned(snapshot: ZoneSnapshot, *actions: Action, apps: dict[str, AppTraffic] | None) -> Plan:
    traffic = ZoneTraffic(ZONE_ID, 86400, apps, None if apps is not None else "HTTP 403")
    return Plan(actions, zones=(snapshot,), traffic=(traffic,))


def rules(plan: Plan, **overrides: object) -> list[str]:
    verdict = assess(plan, now=None, overrides=Overrides(**overrides))  # type: ignore[arg-type]
    return [r.rule for r in verdict.refusals]


def test_a_delete_of_an_app_with_traffic_is_refused_and_an_idle_one_is_not() -> None:
    busy = planned(zone("a", "b", "c"), delete("a"), apps={"id-a": BUSY})
    idle = planned(zone("a", "b", "c"), delete("a"), apps={"id-b": BUSY})
    assert rules(busy) == ["live_delete"] and rules(idle) == []


def test_bytes_alone_count_as_traffic() -> None:
    plan = planned(zone("a", "b", "c"), delete("a"), apps={"id-a": AppTraffic(0, 0, 1)})
    assert rules(plan) == ["live_delete"]


def test_a_recreate_is_never_refused_by_it() -> None:
    recreate = Action(ActionKind.RECREATE, key("a"), ZONE_ID, app_id="id-a", reasons=("x",))
    assert rules(planned(zone("a", "b", "c"), recreate, apps={"id-a": BUSY})) == []


def test_traffic_not_read_refuses_nothing() -> None:
    assert rules(Plan((delete("a"),), zones=(zone("a", "b", "c"),))) == []


def test_unknown_traffic_is_live_only_under_strict() -> None:
    plan = planned(zone("a", "b", "c"), delete("a"), apps=None)
    assert rules(plan) == [] and rules(plan, strict=True) == ["live_delete"]


def test_the_zone_key_and_the_flag_each_lift_it() -> None:
    allowed = planned(zone("a", "b", "c", live_delete="allow"), delete("a"), apps={"id-a": BUSY})
    named = planned(zone("a", "b", "c"), delete("a"), apps={"id-a": BUSY})
    assert rules(allowed) == []
    assert rules(named, allow_live_delete=("A.example.com.:tcp/22",)) == []
    assert rules(named, allow_live_delete=("a.example.com:tcp/23",)) == ["live_delete"]


def test_what_the_flag_let_through_is_kept_for_the_journal_with_who_and_when() -> None:
    plan = planned(zone("a", "b", "c"), delete("a"), apps={"id-a": BUSY})
    overrides = Overrides(user="alice", allow_live_delete=("a.example.com:tcp/22",))
    verdict = assess(plan, now=None, overrides=overrides)
    [allowed] = verdict.allowed_live_deletes
    assert (allowed.user, allowed.key, allowed.zone) == (
        "alice",
        "a.example.com tcp/22",
        "example.com",
    )
    assert allowed.traffic.startswith("carried 120 connections") and allowed.at


def test_allow_holds_only_when_no_file_says_refuse() -> None:
    assert from_declarations([{"live_delete": "allow"}, {}]).live_delete == "allow"
    assert (
        from_declarations([{"live_delete": "allow"}, {"live_delete": "refuse"}]).live_delete
        == "refuse"
    )
    assert from_declarations([{}]).live_delete == "refuse"


def test_a_saved_plan_is_stale_when_the_verdict_moved_not_when_the_numbers_did() -> None:
    snapshot = zone("a", "b", "c")
    idle = planned(snapshot, delete("a"), apps={})
    busy = planned(snapshot, delete("a"), apps={"id-a": BUSY})
    busier = planned(
        snapshot, delete("a"), apps={"id-a": dataclasses.replace(BUSY, connections=999)}
    )
    assert verdict_changes(idle, busy, Overrides()) == [
        "a.example.com tcp/22 now carries traffic (carried 120 connections, 30 B in the last 24 h)"
    ]
    assert verdict_changes(busy, idle, Overrides()) == [
        "a.example.com tcp/22 no longer carries traffic"
    ]
    assert verdict_changes(busy, busier, Overrides()) == []


def test_a_zone_that_allows_live_deletes_records_no_override_and_never_goes_stale() -> None:
    """In a ``live_delete: allow`` zone the flag lifts nothing (no journal entry), and traffic
    starting after a plan was saved leaves its verdict, and so the plan, as reviewed."""
    snapshot = zone("a", "b", "c", live_delete="allow")
    idle = planned(snapshot, delete("a"), apps={})
    busy = planned(snapshot, delete("a"), apps={"id-a": BUSY})
    flagged = Overrides(user="alice", allow_live_delete=("a.example.com:tcp/22",))
    assert assess(busy, now=None, overrides=flagged).allowed_live_deletes == ()
    assert verdict_changes(idle, busy, Overrides()) == []
