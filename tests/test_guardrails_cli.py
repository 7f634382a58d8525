"""Guardrails through the command line, against an in-process emulator whose writes we count."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Emulator
from reconciler.render.plan_document import seal
from tests.conftest import make_emulator

WRITES = ("POST ", "PUT ", "PATCH ", "DELETE ")
FUTURE = "2999-01-01T00:00:00Z"
PAST = "2001-01-01T00:00:00Z"


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Every --sandbox run of the test talks to this one emulator (stats stay readable)."""
    emulator = make_emulator()
    monkeypatch.setattr(Emulator, "sandbox", classmethod(lambda cls, path, zones=(), **_: emulator))
    return emulator


def writes(emulator: Emulator) -> int:
    return sum(n for k, n in emulator.stats()["requests"].items() if k.startswith(WRITES))


def app(name: str, port: int) -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"{name}.example.com"},
        "protocol": f"tcp/{port}",
        "origin_direct": [f"tcp://192.0.2.1:{port}"],
    }


FOUR = [app("db-1", 5432), app("web", 22), app("a", 23), app("b", 24)]


def write_zone(directory: Path, apps: list[dict[str, Any]], **zone: Any) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    document = {"zone": "example.com", **zone, "apps": apps}
    (directory / "zone.yaml").write_text(json.dumps(document, indent=2))
    return str(directory)


def live_names(emulator: Emulator) -> list[str]:
    zone_id = emulator.ensure_zone("example.com")["id"]
    return sorted(a["dns"]["name"] for a in emulator.apps(zone_id))


@pytest.fixture
def four(run_cli, live: Emulator, tmp_path: Path) -> Emulator:  # type: ignore[no-untyped-def]
    assert (
        run_cli(
            ["apply", "--sandbox", "--auto-approve", write_zone(tmp_path / "v1", FOUR)]
        ).exit_code
        == 0
    )
    live.reset_stats()
    return live


class TestProtect:
    def test_deleting_the_block_and_forcing_is_still_refused_and_writes_nothing(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        without_db = write_zone(tmp_path / "v2", FOUR[1:], protect=["db-*.example.com"])
        result = run_cli(["apply", "--sandbox", "--auto-approve", "--force", without_db])
        assert result.exit_code == 3, result.stderr
        assert "protected by protect" in result.stderr and "--force does not lift" in result.stderr
        assert writes(four) == 0
        assert "db-1.example.com" in live_names(four)

    def test_every_plan_format_marks_the_protected_app_and_the_refusal(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        without_db = write_zone(tmp_path / "v2", FOUR[1:], protect=["db-*.example.com"])
        text = run_cli(["plan", "--sandbox", without_db]).stdout
        assert "apply will refuse this: zone example.com" in text
        assert "protected: db-1.example.com tcp/5432" in text
        markdown = run_cli(["plan", "--sandbox", "--format", "markdown", without_db]).stdout
        assert "🔒 <code>-</code> delete <code>db-1.example.com tcp/5432</code>" in markdown
        document = json.loads(run_cli(["plan", "--sandbox", "--format", "json", without_db]).stdout)
        assert [r["rule"] for r in document["guardrails"]["refusals"]] == ["protected"]
        assert document["guardrails"]["protected"][0]["key"]["dns_name"] == "db-1.example.com"

    def test_validate_warns_when_a_pattern_matches_no_declared_app(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        config = write_zone(tmp_path / "v", FOUR[1:], protect=["db-*.example.com"])
        result = run_cli(["validate", config])
        assert result.exit_code == 0
        assert (
            "warning: " in result.stderr and 'protect pattern "db-*.example.com"' in result.stderr
        )


class TestSavedPlans:
    def test_a_plan_made_before_protect_was_merged_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = tmp_path / "v2"
        write_zone(config, FOUR[1:])
        saved = tmp_path / "plan.json"
        assert run_cli(["plan", "--sandbox", "--out", str(saved), str(config)]).exit_code == 0
        write_zone(config, FOUR[1:], protect=["db-*.example.com"])  # merged after the review
        result = run_cli(["apply", "--sandbox", "--plan", str(saved)])
        assert result.exit_code == 3 and "guardrail settings of zone example.com" in result.stderr
        assert writes(four) == 0

    def test_a_plan_edited_to_drop_protect_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(tmp_path / "v2", FOUR[1:], protect=["db-*.example.com"])
        saved = tmp_path / "plan.json"
        run_cli(["plan", "--sandbox", "--out", str(saved), config])
        document = json.loads(saved.read_text())
        for zone in document["live"]["zones"]:
            zone["guardrails"]["protect"] = []  # and the checksum recomputed: it is no signature
        saved.write_text(json.dumps(seal(document)))
        result = run_cli(["apply", "--sandbox", "--force", "--plan", str(saved)])
        assert result.exit_code == 3, result.stderr
        assert writes(four) == 0

    def test_a_plan_whose_files_are_gone_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = tmp_path / "v2"
        write_zone(config, FOUR)
        saved = tmp_path / "plan.json"
        run_cli(["plan", "--sandbox", "--out", str(saved), str(config)])
        (config / "zone.yaml").unlink()
        config.rmdir()
        result = run_cli(["apply", "--sandbox", "--plan", str(saved)])
        assert result.exit_code == 1 and "cannot re-check" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


class TestPrune:
    def test_prune_false_keeps_an_undeclared_app_and_drift_reports_it(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(
            tmp_path / "v2", FOUR[:2], prune=False, ignore=["b.example.com"]
        )  # a: undeclared, kept; b: ignored, not listed
        plan = run_cli(["plan", "--sandbox", "--detailed-exitcode", config])
        assert plan.exit_code == 0, plan.stdout
        assert "unmanaged (prune: false): a.example.com tcp/23" in plan.stdout
        assert "b.example.com" not in plan.stdout
        applied = run_cli(["apply", "--sandbox", "--auto-approve", config])
        assert applied.exit_code == 0
        assert writes(four) == 0 and len(live_names(four)) == 4
        drift = run_cli(["drift", "--sandbox", config])
        assert drift.exit_code == 2 and "a.example.com tcp/23" in drift.stdout
        assert "prune: false" in drift.stdout and "b.example.com" not in drift.stdout

    @pytest.mark.parametrize("output", ["text", "markdown", "json"])
    def test_drift_shows_a_kept_app_as_unmanaged_kept_never_as_a_delete(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path, output: str
    ) -> None:
        config = write_zone(tmp_path / "v2", FOUR[1:], prune=False)  # db-1: undeclared, kept
        drift = run_cli(["drift", "--sandbox", "--format", output, config])
        assert drift.exit_code == 2, drift.stdout + drift.stderr
        if output == "json":
            document = json.loads(drift.stdout)
            assert document["unmanaged"] == [] and document["has_drift"] is True
            [kept] = document["kept"]
            assert kept["key"]["dns_name"] == "db-1.example.com" and kept["action"] == "kept"
            return
        kept_line = next(line for line in drift.stdout.splitlines() if "db-1.example.com" in line)
        assert "unmanaged (kept)" in kept_line and "delete" not in kept_line
        assert "delete" not in drift.stdout.lower().replace("never deletes", "")

    def test_adopt_still_declares_a_kept_app(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(tmp_path / "v2", FOUR[1:], prune=False)
        into = str(tmp_path / "v2" / "adopted.yaml")
        adopted = run_cli(["adopt", "--sandbox", "--into", into, config])
        assert adopted.exit_code == 0, adopted.stdout + adopted.stderr
        assert "db-1.example.com" in Path(into).read_text()
        assert run_cli(["drift", "--sandbox", config]).exit_code == 0


class TestIgnore:
    def test_a_pattern_written_with_a_trailing_dot_keeps_the_live_app_it_names(  # type: ignore[no-untyped-def]
        self, run_cli, live: Emulator, tmp_path: Path
    ) -> None:
        # validate and the guardrails read "legacy-*.example.com." as covering legacy-db; the
        # plan must too, else the app they call ignored is deleted.
        seeded = write_zone(tmp_path / "v1", [app("legacy-db", 5432), *FOUR[1:]])
        assert run_cli(["apply", "--sandbox", "--auto-approve", seeded]).exit_code == 0
        config = write_zone(tmp_path / "v2", FOUR[1:], ignore=["legacy-*.example.com."])
        assert run_cli(["validate", config]).exit_code == 0
        plan = run_cli(["plan", "--sandbox", "--format", "json", config])
        assert plan.exit_code == 0, plan.stderr
        assert json.loads(plan.stdout)["actions"] == []
        applied = run_cli(["apply", "--sandbox", "--auto-approve", "--force", config])
        assert applied.exit_code == 0, applied.stderr
        assert "legacy-db.example.com" in live_names(live)


class TestObserve:
    def test_an_observe_zone_gets_no_write_and_each_skip_is_said(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        changed = [{**FOUR[1], "tls": "full"}, app("new", 25)]
        config = write_zone(tmp_path / "v2", changed, mode="observe")
        plan = run_cli(["plan", "--sandbox", "--detailed-exitcode", config])
        assert plan.exit_code == 2 and "mode: observe" in plan.stdout
        result = run_cli(["apply", "--sandbox", "--auto-approve", config])
        assert result.exit_code == 0, result.stderr
        skipped = [
            line for line in result.stdout.splitlines() if line.startswith("observe: skipped")
        ]
        assert len(skipped) == 5  # 1 update, 1 create, 3 deletes (db-1, a, b)
        assert writes(four) == 0


class TestFreeze:
    def test_a_frozen_zone_is_refused_then_break_glass_applies_and_journals(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        freeze = {"until": FUTURE, "reason": "black friday"}
        config = write_zone(tmp_path / "v2", [*FOUR, app("new", 25)], freeze=freeze)
        plan = run_cli(["plan", "--sandbox", config]).stdout
        assert "apply will refuse this without --break-glass: zone example.com is frozen" in plan
        refused = run_cli(["apply", "--sandbox", "--auto-approve", "--force", config])
        assert refused.exit_code == 3 and "--break-glass" in refused.stderr
        assert writes(four) == 0
        journal = tmp_path / "journal.jsonl"
        applied = run_cli(
            ["apply", "--sandbox", "--auto-approve", "--journal", str(journal),
             "--break-glass", "hotfix INC-7", config],
            env={"GITHUB_ACTOR": "octocat"},
        )  # fmt: skip
        assert applied.exit_code == 0, applied.stderr
        assert "new.example.com" in live_names(four)
        assert "break-glass: zone example.com is frozen until" in applied.stdout
        assert "octocat" in applied.stdout and "hotfix INC-7" in applied.stdout
        events = [json.loads(line) for line in journal.read_text().splitlines()]
        broken = [e for e in events if e["event"] == "break-glass"]
        assert broken and broken[0]["user"] == "octocat" and broken[0]["why"] == "hotfix INC-7"
        assert broken[0]["reason"] == "black friday" and broken[0]["at"]

    def test_an_expired_freeze_is_ignored_with_a_note(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        freeze = {"until": PAST, "reason": "long ago"}
        config = write_zone(tmp_path / "v2", [*FOUR, app("new", 25)], freeze=freeze)
        result = run_cli(["apply", "--sandbox", "--auto-approve", config])
        assert result.exit_code == 0 and "has expired and is ignored" in result.stdout
        assert writes(four) == 1

    def test_break_glass_needs_a_reason(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        config = write_zone(tmp_path / "v", FOUR)
        result = run_cli(["apply", "--sandbox", "--break-glass", " ", config])
        assert result.exit_code == 2 and "needs a reason" in result.stderr


class TestSafetyGate:
    def test_plan_says_apply_will_refuse_it_in_every_format(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        # issue 15 item 2: a reviewer must see the refusal before the merge
        config = write_zone(tmp_path / "v2", FOUR[:2])
        expected = "apply will refuse this without --force: zone example.com: 2 of 4 managed apps"
        assert expected in run_cli(["plan", "--sandbox", config]).stdout
        assert expected in run_cli(["plan", "--sandbox", "--format", "markdown", config]).stdout
        document = json.loads(run_cli(["plan", "--sandbox", "--format", "json", config]).stdout)
        (refusal,) = document["guardrails"]["refusals"]
        assert (
            refusal["override"] == "--force" and "more than the 30% allowed" in refusal["message"]
        )


def test_force_says_it_overrode_the_gate(  # type: ignore[no-untyped-def]
    run_cli, four: Emulator, tmp_path: Path
) -> None:
    config = write_zone(tmp_path / "v2", FOUR[:2])  # 2 of 4 deleted: over the 30%
    result = run_cli(["apply", "--sandbox", "--auto-approve", "--force", config])
    assert result.exit_code == 0, result.stderr
    assert "! overridden by --force: zone example.com: 2 of 4 managed apps" in result.stdout
    assert "will refuse" not in result.stdout  # issue 25 item 11: the gate was lifted, say so
    plain = run_cli(["plan", "--sandbox", config]).stdout
    assert "overridden" not in plain


def test_a_saved_plan_applied_with_force_says_the_gate_was_overridden(  # type: ignore[no-untyped-def]
    run_cli, four: Emulator, tmp_path: Path
) -> None:
    config = write_zone(tmp_path / "v2", FOUR[:2])
    saved = str(tmp_path / "plan.json")
    run_cli(["plan", "--sandbox", "--out", saved, config])
    result = run_cli(["apply", "--sandbox", "--auto-approve", "--force", "--plan", saved])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.count("overridden by --force: zone example.com: 2 of 4") == 1
    assert "will refuse" not in result.stderr


def test_a_plan_with_every_guardrail_is_a_valid_plan_document(  # type: ignore[no-untyped-def]
    run_cli, four: Emulator, tmp_path: Path
) -> None:
    import jsonschema

    from tests.conftest import ROOT

    schema = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
    config = write_zone(
        tmp_path / "v2",
        [FOUR[1], app("new", 25)],
        protect=["db-*.example.com"],
        prune=False,
        mode="observe",
        freeze={"until": FUTURE, "reason": "audit"},
    )
    document = json.loads(run_cli(["plan", "--sandbox", "--format", "json", config]).stdout)
    jsonschema.validate(document, schema)
    (zone,) = document["guardrails"]["zones"]
    assert (zone["prune"], zone["mode"], zone["freeze"]["reason"]) == (False, "observe", "audit")
    assert sorted(u["key"]["dns_name"] for u in document["guardrails"]["unmanaged"]) == [
        "a.example.com",
        "b.example.com",
        "db-1.example.com",
    ]
    assert document["sources"] == [config] and document["made_at"]


class TestRecurringFreezeAndBreakGlass:
    """A recurring window in force now (every minute, for an hour), and who may break glass."""

    ALWAYS: dict[str, Any] = {"cron": "* * * * *", "duration": "1h", "timezone": "Europe/Berlin"}

    def config(self, tmp_path: Path) -> str:
        windows = [{"until": PAST, "reason": "old"}, {**self.ALWAYS, "reason": "weekend"}]
        return write_zone(
            tmp_path / "v2",
            [*FOUR, app("new", 25)],
            freeze=windows,
            break_glass=["alice", "team-oncall"],
        )

    def test_only_a_named_actor_breaks_glass_and_the_journal_says_who(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config, journal = self.config(tmp_path), tmp_path / "journal.jsonl"
        command = ["apply", "--sandbox", "--auto-approve", "--journal", str(journal),
                   "--break-glass", "INC-9", config]  # fmt: skip
        refused = run_cli(command, env={"GITHUB_ACTOR": "mallory"})
        assert refused.exit_code == 3, refused.stderr
        assert "given by mallory, whom break_glass does not name" in refused.stderr
        assert "only alice, team-oncall (break_glass) may" in refused.stderr
        assert writes(four) == 0
        applied = run_cli(command, env={"GITHUB_ACTOR": "Team-OnCall"})
        assert applied.exit_code == 0, applied.stderr
        assert "new.example.com" in live_names(four)
        events = [json.loads(line) for line in journal.read_text().splitlines()]
        broken = [e for e in events if e["event"] == "break-glass"]
        assert [(e["user"], e["reason"]) for e in broken] == [("Team-OnCall", "weekend")]

    def test_the_saved_plan_records_every_window_and_apply_plan_still_refuses(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        import jsonschema

        config, saved = self.config(tmp_path), tmp_path / "plan.json"
        assert run_cli(["plan", "--sandbox", "--out", str(saved), config]).exit_code == 0
        document = json.loads(saved.read_text())
        schema = Path(__file__).parents[1] / "schemas" / "plan.schema.json"
        jsonschema.validate(document, json.loads(schema.read_text()))
        zone = document["guardrails"]["zones"][0]
        assert zone["break_glass"] == ["alice", "team-oncall"]
        assert [w["reason"] for w in zone["freeze"]] == ["old", "weekend"]
        refused = run_cli(["apply", "--sandbox", "--auto-approve", "--plan", str(saved)],
                          env={"GITHUB_ACTOR": "mallory"})  # fmt: skip
        assert refused.exit_code == 3, refused.stderr
        assert "mallory may not break glass here" in refused.stderr
        assert "is frozen until" in refused.stderr and writes(four) == 0


class TestScope:
    """A refusal holds its own zone; the other zones apply; exit 3 says a zone was held."""

    def zones(self, tmp_path: Path, **com_policy: Any) -> str:
        root = tmp_path / "cfg"
        write_zone(root / "com", [FOUR[1], app("new", 25)], **com_policy)
        net = {**app("web", 22), "dns": {"type": "CNAME", "name": "web.example.net"}}
        (root / "net").mkdir(parents=True)
        (root / "net" / "zone.yaml").write_text(json.dumps({"zone": "example.net", "apps": [net]}))
        return str(root)

    def net_names(self, emulator: Emulator) -> list[str]:
        zone_id = emulator.ensure_zone("example.net")["id"]
        return sorted(a["dns"]["name"] for a in emulator.apps(zone_id))

    @pytest.mark.parametrize(
        ("policy", "why"),
        [
            ({"freeze": {"until": FUTURE, "reason": "release"}}, "is frozen until"),
            ({"protect": ["db-*.example.com"]}, "protected by protect"),
            ({}, "managed apps would be deleted"),  # the safety gate: 3 of 4 deletes
        ],
    )
    def test_a_held_zone_does_not_stop_the_others(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path, policy: dict[str, Any], why: str
    ) -> None:
        result = run_cli(["apply", "--sandbox", "--auto-approve", self.zones(tmp_path, **policy)])
        assert result.exit_code == 3, result.stdout + result.stderr
        assert self.net_names(four) == ["web.example.net"]  # the other zone went ahead
        assert live_names(four) == sorted(a["dns"]["name"] for a in FOUR)  # held: untouched
        held = [line for line in result.stdout.splitlines() if line.startswith("held: ")]
        assert any(why in line for line in held)
        assert all(line.startswith("held: zone example.com") for line in held)
        last = result.stdout.strip().splitlines()[-1]
        assert last.startswith("Apply HELD in part") and "held by a guardrail" in last

    def test_reconcile_self_heal_applies_the_zones_not_held(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = self.zones(tmp_path, freeze={"until": FUTURE, "reason": "release"})
        result = run_cli(["reconcile", "--sandbox", "--once", "--self-heal", config])
        assert result.exit_code == 3, result.stdout + result.stderr
        assert result.stdout.startswith("cycle 1: refused") and "frozen" in result.stdout
        assert self.net_names(four) == ["web.example.net"]
        assert "new.example.com" not in live_names(four)

    def test_when_every_zone_with_changes_is_held_nothing_is_written(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        freeze = {"until": FUTURE, "reason": "release"}
        config = write_zone(tmp_path / "v2", [*FOUR, app("new", 25)], freeze=freeze)
        result = run_cli(["apply", "--sandbox", "--auto-approve", config])
        assert result.exit_code == 3 and "is frozen until" in result.stderr
        assert writes(four) == 0


def test_observe_skips_are_counted_in_the_summary(  # type: ignore[no-untyped-def]
    run_cli, four: Emulator, tmp_path: Path
) -> None:
    config = write_zone(tmp_path / "v2", [*FOUR, app("new", 25)], mode="observe")
    result = run_cli(["apply", "--sandbox", "--auto-approve", config])
    assert result.exit_code == 0
    last = result.stdout.strip().splitlines()[-1]
    assert "1 skipped (1 by mode: observe)" in last and "0 done" in last
