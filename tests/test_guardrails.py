"""guardrails: each rule refuses what it names, lets the rest through, and says what lifts it."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timezone

import pytest

from reconciler.checks import guardrails
from reconciler.checks.guardrails import GuardrailError, Overrides, assess
from reconciler.model import AppKey, Freeze, Guardrails, SafetyPolicy
from reconciler.plan import Action, ActionKind, LiveAppStamp, Plan, ZoneSnapshot

ZONE_ID = "0" * 32
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
LATER = "2026-12-24T00:00:00Z"
EARLIER = "2026-11-01T00:00:00Z"


def key(name: str) -> AppKey:
    return AppKey("example.com", f"{name}.example.com", "tcp/22")


def zone(names: list[str], **fields: object) -> ZoneSnapshot:
    stamps = {f"id-{n}": LiveAppStamp(key(n), None, "0" * 64) for n in names}
    return ZoneSnapshot("example.com", ZONE_ID, stamps, **fields)  # type: ignore[arg-type]


def act(kind: ActionKind, name: str) -> Action:
    return Action(kind, key(name), ZONE_ID, app_id=f"id-{name}")


def plan(snapshot: ZoneSnapshot, *actions: Action) -> Plan:
    return Plan(actions, zones=(snapshot,))


def rules_of(verdict: guardrails.Verdict) -> list[str]:
    return [r.rule for r in verdict.refusals]


TEN = [f"app{i}" for i in range(10)]


class TestProtected:
    @pytest.mark.parametrize("kind", [ActionKind.DELETE, ActionKind.RECREATE])
    def test_a_destructive_action_on_a_protected_app_is_refused_even_with_force(
        self, kind: ActionKind
    ) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(protect=("APP1.*",)))
        verdict = assess(plan(snapshot, act(kind, "app1")), now=NOW, overrides=Overrides(True))
        assert rules_of(verdict) == ["protected"]
        assert verdict.refusals[0].override is None
        with pytest.raises(GuardrailError, match=re.escape('protected by protect "APP1.*"')):
            verdict.raise_if_refused()

    def test_updates_and_unprotected_deletes_pass(self) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(protect=("app1.*",)))
        actions = (act(ActionKind.UPDATE, "app1"), act(ActionKind.DELETE, "app2"))
        assert assess(plan(snapshot, *actions), now=NOW).refusals == ()


class TestPrune:
    def test_a_delete_in_a_prune_false_zone_is_refused_even_with_force(self) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(prune=False))
        verdict = assess(
            plan(snapshot, act(ActionKind.DELETE, "app1")), now=NOW, overrides=Overrides(True)
        )
        assert rules_of(verdict) == ["prune"]

    def test_recreates_are_not_prunes(self) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(prune=False))
        assert assess(plan(snapshot, act(ActionKind.RECREATE, "app1")), now=NOW).refusals == ()


class TestFreeze:
    def test_any_write_before_until_is_refused_unless_break_glass(self) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(freezes=(Freeze(LATER, "holidays"),)))
        frozen = plan(snapshot, act(ActionKind.UPDATE, "app1"))
        refused = assess(frozen, now=NOW, overrides=Overrides(force=True))
        assert rules_of(refused) == ["freeze"] and refused.refusals[0].override == "--break-glass"
        assert refused.refusals[0].message.endswith("the plan would make 1 change")  # no "(s)"
        broken = assess(frozen, now=NOW, overrides=Overrides(break_glass="outage", user="alice"))
        assert broken.refusals == ()
        record = broken.broken_freezes[0]
        assert (record.reason, record.why, record.user, record.until) == (
            "holidays",
            "outage",
            "alice",
            LATER,
        )
        assert record.at.startswith("2026-12-01T12:00:00")

    def test_an_expired_freeze_is_ignored_with_a_note(self) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(freezes=(Freeze(EARLIER, "old"),)))
        verdict = assess(plan(snapshot, act(ActionKind.UPDATE, "app1")), now=NOW)
        assert verdict.refusals == () and verdict.broken_freezes == ()
        assert any("has expired and is ignored" in note for note in verdict.notes)

    def test_a_freeze_with_nothing_to_write_refuses_nothing(self) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(freezes=(Freeze(LATER, "holidays"),)))
        assert assess(plan(snapshot), now=NOW).refusals == ()

    def test_without_a_clock_a_freeze_counts_as_in_force(self) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(freezes=(Freeze(EARLIER, "old"),)))
        assert rules_of(assess(plan(snapshot, act(ActionKind.CREATE, "new")), now=None)) == [
            "freeze"
        ]


class TestFreezeBoundary:
    """``until`` is the end: a write a microsecond before it is refused, one at it runs."""

    UNTIL = datetime(2026, 12, 24, tzinfo=timezone.utc)

    @pytest.mark.parametrize(
        ("now", "refused"),
        [
            (datetime(2026, 12, 23, 23, 59, 59, 999999, tzinfo=timezone.utc), True),
            (datetime(2026, 12, 24, tzinfo=timezone.utc), False),
        ],
    )
    def test_the_freeze_ends_at_until(self, now: datetime, refused: bool) -> None:
        snapshot = zone(TEN, guardrails=Guardrails(freezes=(Freeze(LATER, "audit"),)))
        verdict = assess(plan(snapshot, act(ActionKind.CREATE, "new")), now=now)
        assert (rules_of(verdict) == ["freeze"]) is refused


class TestObserve:
    def test_an_observe_zone_skips_every_action_and_refuses_none(self) -> None:
        snapshot = zone(["a"], guardrails=Guardrails(mode="observe", protect=("a.*",)))
        actions = (act(ActionKind.DELETE, "a"), act(ActionKind.CREATE, "b"))
        verdict = assess(plan(snapshot, *actions), now=NOW)
        assert verdict.refusals == () and verdict.plan.actions == ()
        assert len(verdict.skipped) == 2
        assert all(line.startswith("observe: skipped") for line in verdict.skipped_lines())


class TestSafetyGateCountsManagedAppsOnly:
    def test_ignored_apps_do_not_dilute_the_gate(self) -> None:
        # issue 12 item 5: 20 ignored legacy apps + 5 managed, the config declares none
        legacy = [f"legacy-{i}" for i in range(20)]
        managed = [f"app{i}" for i in range(5)]
        snapshot = zone(legacy + managed, ignore=("legacy-*",), safety=SafetyPolicy(100))
        deletes = [act(ActionKind.DELETE, n) for n in managed]
        verdict = assess(plan(snapshot, *deletes), now=NOW)
        assert rules_of(verdict) == ["safety"]
        assert "5 of 5 managed apps" in verdict.refusals[0].message
        assert "all of them" in verdict.refusals[0].message

    def test_apps_kept_by_prune_false_do_not_dilute_the_gate(self) -> None:
        snapshot = zone(
            ["kept1", "kept2", "kept3", "a"],
            guardrails=Guardrails(prune=False),
            unmanaged=("id-kept1", "id-kept2", "id-kept3"),
        )
        verdict = assess(plan(snapshot, act(ActionKind.RECREATE, "a")), now=NOW)
        assert "1 of 1 managed apps" in verdict.refusals[0].message

    def test_all_of_them_names_allow_delete_all(self) -> None:
        # issue 15 item 1: at 100% the setting that unblocks it is allow_delete_all
        snapshot = zone(["a", "b"], safety=SafetyPolicy(100))
        verdict = assess(
            plan(snapshot, act(ActionKind.DELETE, "a"), act(ActionKind.DELETE, "b")), now=NOW
        )
        assert verdict.refusals[0].hint.endswith("set safety.allow_delete_all: true for the zone")
        assert "max_destructive_percent" not in verdict.refusals[0].hint

    def test_over_the_percentage_names_max_destructive_percent(self) -> None:
        snapshot = zone(["a", "b", "c", "d"])
        verdict = assess(
            plan(snapshot, act(ActionKind.DELETE, "a"), act(ActionKind.DELETE, "b")), now=NOW
        )
        refusal = verdict.refusals[0]
        assert refusal.hint.endswith("raise safety.max_destructive_percent for the zone")
        assert refusal.plan_line().startswith("apply will refuse this without --force: ")
        assert "2 of 4 managed apps" in refusal.plan_line() and "30%" in refusal.plan_line()

    def test_force_lifts_the_gate(self) -> None:
        snapshot = zone(["a"])
        assert (
            assess(
                plan(snapshot, act(ActionKind.DELETE, "a")), now=NOW, overrides=Overrides(True)
            ).refusals
            == ()
        )


class TestPolicyChanges:
    def test_a_saved_plan_whose_policies_differ_from_the_files_is_stale(self) -> None:
        from reconciler.model import ZoneSpec

        snapshot = zone(["a"], guardrails=Guardrails(protect=("a.*",)))
        same = ZoneSpec("example.com", None, guardrails=Guardrails(protect=("a.*",)))
        assert guardrails.policy_changes(plan(snapshot), [same]) == []
        for changed in (
            dataclasses.replace(same, guardrails=Guardrails()),
            dataclasses.replace(same, ignore=("a.*",)),
            dataclasses.replace(same, safety=SafetyPolicy(100)),
            dataclasses.replace(
                same, guardrails=Guardrails(("a.*",), freezes=(Freeze(LATER, "x"),))
            ),
        ):
            assert guardrails.policy_changes(plan(snapshot), [changed]) != []
        assert guardrails.policy_changes(plan(snapshot), []) == [
            "zone example.com is no longer declared by the files"
        ]


def test_from_declarations_lets_the_stricter_file_win() -> None:
    merged = guardrails.from_declarations(
        [
            {"protect": ["a*"], "freeze": {"until": EARLIER, "reason": "one"}},
            {"protect": ["b*", "a*"], "prune": False, "mode": "observe"},
            {"freeze": {"until": LATER, "reason": "two"}, "prune": True},
        ]
    )
    assert merged == Guardrails(
        ("a*", "b*"), False, "observe", (Freeze(EARLIER, "one"), Freeze(LATER, "two"))
    )


def test_user_comes_from_the_ci_then_the_login() -> None:
    assert guardrails.user_from({"GITHUB_ACTOR": "octo", "USER": "runner"}) == "octo"
    assert guardrails.user_from({"USER": "me"}) == "me"
    assert guardrails.user_from({}) == "unknown"


class TestBreakGlassAllowList:
    FROZEN = Guardrails(freezes=(Freeze(LATER, "holidays"),), break_glass=("alice", "team-oncall"))

    @pytest.mark.parametrize("user", ["alice", "ALICE", "team-oncall"])
    def test_a_named_actor_breaks_glass(self, user: str) -> None:
        frozen = plan(zone(TEN, guardrails=self.FROZEN), act(ActionKind.UPDATE, "app1"))
        verdict = assess(frozen, now=NOW, overrides=Overrides(break_glass="INC-1", user=user))
        assert verdict.refusals == () and verdict.broken_freezes[0].user == user

    def test_anyone_else_is_refused_and_nothing_is_recorded_as_broken(self) -> None:
        frozen = plan(zone(TEN, guardrails=self.FROZEN), act(ActionKind.UPDATE, "app1"))
        verdict = assess(frozen, now=NOW, overrides=Overrides(break_glass="INC-1", user="bob"))
        assert rules_of(verdict) == ["freeze"] and verdict.broken_freezes == ()
        assert "given by bob, whom break_glass does not name" in verdict.refusals[0].message
        assert "only alice, team-oncall (break_glass) may" in verdict.refusals[0].hint

    def test_unset_means_anyone(self) -> None:
        open_to_all = Guardrails(freezes=(Freeze(LATER, "holidays"),))
        frozen = plan(zone(TEN, guardrails=open_to_all), act(ActionKind.UPDATE, "app1"))
        verdict = assess(frozen, now=NOW, overrides=Overrides(break_glass="INC-1", user="bob"))
        assert verdict.refusals == ()

    def test_several_files_allow_only_whom_every_list_names(self) -> None:
        merged = guardrails.from_declarations(
            [{"break_glass": ["alice", "Team-Oncall"]}, {"break_glass": ["team-oncall"]}, {}]
        )
        assert merged.break_glass == ("Team-Oncall",)
        assert guardrails.from_declarations([{}, {}]).break_glass is None
