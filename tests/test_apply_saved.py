"""``apply --plan`` treats the saved plan as untrusted input: what runs is what the files and the
live state give now, and a document edited to say otherwise — even with its checksum recomputed —
is refused (exit 3) with nothing written."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from reconciler.emulator import Emulator
from reconciler.render.plan_document import seal
from tests.conftest import make_emulator

WRITES = ("POST ", "PUT ", "PATCH ", "DELETE ")
KEY = "SPECTRUM_RECONCILER_PLAN_KEY"


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator = make_emulator()
    monkeypatch.setattr(Emulator, "sandbox", classmethod(lambda cls, path, zones=(), **_: emulator))
    monkeypatch.delenv(KEY, raising=False)
    return emulator


def app(name: str, port: int, zone: str = "example.com") -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"{name}.{zone}"},
        "protocol": f"tcp/{port}",
        "origin_direct": [f"tcp://192.0.2.1:{port}"],
    }


FOUR = [app("db-1", 5432), app("web", 22), app("a", 23), app("b", 24)]


def write_zone(directory: Path, apps: list[dict[str, Any]], **zone: Any) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    document = {"zone": "example.com", **zone, "apps": apps}
    (directory / "zone.yaml").write_text(json.dumps(document, indent=2))
    return str(directory)


def writes(emulator: Emulator) -> int:
    return sum(n for k, n in emulator.stats()["requests"].items() if k.startswith(WRITES))


def live_names(emulator: Emulator, zone: str = "example.com") -> list[str]:
    zone_id = emulator.ensure_zone(zone)["id"]
    return sorted(a["dns"]["name"] for a in emulator.apps(zone_id))


@pytest.fixture
def four(run_cli, live: Emulator, tmp_path: Path) -> Emulator:  # type: ignore[no-untyped-def]
    config = write_zone(tmp_path / "v1", FOUR)
    assert run_cli(["apply", "--sandbox", "--auto-approve", config]).exit_code == 0
    live.reset_stats()
    return live


Edit = Callable[[dict[str, Any]], None]


def saved_plan(run_cli, tmp_path: Path, config: str, env: dict[str, str] | None = None) -> Path:  # type: ignore[no-untyped-def]
    saved = tmp_path / "plan.json"
    result = run_cli(["plan", "--sandbox", "--out", str(saved), config], env=env)
    assert result.exit_code == 0, result.stderr
    return saved


def edit(saved: Path, change: Edit) -> None:
    """Edit the document the way an attacker with write access to the artifact would: change it,
    then recompute the (unkeyed) checksum."""
    document = json.loads(saved.read_text())
    change(document)
    saved.write_text(json.dumps(seal(document)))


def action(document: dict[str, Any], dns_name: str) -> dict[str, Any]:
    return next(a for a in document["actions"] if a["key"]["dns_name"] == dns_name)


def refused(run_cli, saved: Path, *, force: bool = True) -> str:  # type: ignore[no-untyped-def]
    args = ["apply", "--sandbox", *(["--force"] if force else []), "--plan", str(saved)]
    result = run_cli(args)
    assert result.exit_code == 3, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    return result.stderr


class TestEditedPlans:
    def test_a_zone_removed_from_the_recorded_live_zones_does_not_lift_protect(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(tmp_path / "v2", FOUR[1:], protect=["db-*.example.com"])
        saved = saved_plan(run_cli, tmp_path, config)
        edit(saved, lambda d: d["live"].update(zones=[]))
        stderr = refused(run_cli, saved)
        assert "db-1.example.com" in stderr
        assert writes(four) == 0 and "db-1.example.com" in live_names(four)

    def test_a_renamed_delete_is_judged_by_the_app_its_id_names(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(tmp_path / "v2", FOUR[1:], protect=["db-*.example.com"])
        saved = saved_plan(run_cli, tmp_path, config)
        edit(
            saved, lambda d: action(d, "db-1.example.com")["key"].update(dns_name="zz.example.com")
        )
        stderr = refused(run_cli, saved)
        assert "zz.example.com" in stderr and "db-1.example.com" in stderr
        assert writes(four) == 0 and "db-1.example.com" in live_names(four)

    def test_an_action_in_a_zone_no_file_declares_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        net_id = four.ensure_zone("example.net")["id"]
        config = write_zone(tmp_path / "v2", [*FOUR, app("new", 25)])
        saved = saved_plan(run_cli, tmp_path, config)

        def to_example_net(document: dict[str, Any]) -> None:
            created = action(document, "new.example.com")
            created.update(zone="example.net", zone_id=net_id)
            created["key"]["dns_name"] = "new.example.net"

        edit(saved, to_example_net)
        stderr = refused(run_cli, saved)
        assert "example.net" in stderr and "no file declares" in stderr
        assert writes(four) == 0 and live_names(four, "example.net") == []

    def test_an_edited_body_is_not_what_the_files_give(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(tmp_path / "v2", [*FOUR, app("new", 25)])
        saved = saved_plan(run_cli, tmp_path, config)

        def elsewhere(document: dict[str, Any]) -> None:
            created = action(document, "new.example.com")
            created["body"]["origin_direct"] = ["tcp://192.0.2.99:25"]
            created["after"]["origin_direct"] = ["tcp://192.0.2.99:25"]

        edit(saved, elsewhere)
        stderr = refused(run_cli, saved)
        assert "new.example.com" in stderr and "files" in stderr
        assert writes(four) == 0

    def test_an_action_dropped_from_the_document_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(tmp_path / "v2", [*FOUR, app("new", 25), app("other", 26)])
        saved = saved_plan(run_cli, tmp_path, config)
        edit(saved, lambda d: d["actions"].remove(action(d, "other.example.com")))
        stderr = refused(run_cli, saved)
        assert "other.example.com" in stderr
        assert writes(four) == 0

    def test_the_untouched_plan_applies(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        config = write_zone(
            tmp_path / "v2", [*FOUR[1:], app("new", 25)], safety={"max_destructive_percent": 100}
        )
        saved = saved_plan(run_cli, tmp_path, config)
        result = run_cli(["apply", "--sandbox", "--plan", str(saved)])
        assert result.exit_code == 0, result.stderr
        assert live_names(four) == [
            "a.example.com",
            "b.example.com",
            "new.example.com",
            "web.example.com",
        ]


class TestKeyedSeal:
    def test_a_plan_sealed_with_the_key_applies(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        env = {KEY: "s3cret"}
        saved = saved_plan(
            run_cli, tmp_path, write_zone(tmp_path / "v2", [*FOUR, app("n", 25)]), env
        )
        assert json.loads(saved.read_text())["signature"].startswith("hmac-sha256:")
        result = run_cli(["apply", "--sandbox", "--plan", str(saved)], env=env)
        assert result.exit_code == 0, result.stderr
        assert "n.example.com" in live_names(four)

    @pytest.mark.parametrize(
        ("made_with", "applied_with", "says"),
        [
            (None, "s3cret", "not signed"),
            ("other", "s3cret", "signature does not match"),
            ("s3cret", None, f"set {KEY}"),
        ],
    )
    def test_a_plan_not_sealed_with_the_apply_key_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path, made_with, applied_with, says
    ) -> None:
        config = write_zone(tmp_path / "v2", [*FOUR, app("n", 25)])
        saved = saved_plan(run_cli, tmp_path, config, {KEY: made_with} if made_with else None)
        result = run_cli(
            ["apply", "--sandbox", "--plan", str(saved)],
            env={KEY: applied_with} if applied_with else None,
        )
        assert result.exit_code == 1, result.stderr
        assert says in result.stderr and len(result.stderr.strip().splitlines()) == 1
        assert "s3cret" not in result.stderr + result.stdout
        assert writes(four) == 0

    def test_an_edit_resealed_without_the_key_is_detected_as_such(  # type: ignore[no-untyped-def]
        self, run_cli, four: Emulator, tmp_path: Path
    ) -> None:
        env = {KEY: "s3cret"}
        saved = saved_plan(
            run_cli, tmp_path, write_zone(tmp_path / "v2", [*FOUR, app("n", 25)]), env
        )
        edit(saved, lambda d: action(d, "n.example.com")["key"].update(dns_name="m.example.com"))
        result = run_cli(["apply", "--sandbox", "--plan", str(saved)], env=env)
        assert result.exit_code == 1 and "signature does not match" in result.stderr
        assert writes(four) == 0
