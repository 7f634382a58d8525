"""Live traffic end to end over loopback HTTP: plans show what deletes and recreates would cut,
a delete of an app that carries traffic is refused (exit 3) unless the zone or the run allows
it, and unreadable analytics are "traffic unknown" (refused only under --strict). The
emulator's clock builds the traffic history: no real waiting."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.emulator import Emulator, EmulatorConfig, serve
from reconciler.model import AppKey
from tests.conftest import DOC_PREFIXES, make_client

TOKEN = "tok-traffic-0123456789"
ENV = {"CLOUDFLARE_API_TOKEN": TOKEN}
SUMMARY = "GET /zones/{zone_id}/spectrum/analytics/events/summary"
HOUR = 3600


def app(name: str, port: int, zone: str = "example.com", **extra: Any) -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"{name}.{zone}"},
        "protocol": f"tcp/{port}",
        "origin_direct": [f"tcp://192.0.2.1:{port}"],
        **extra,
    }


STATIC = {"edge_ips": {"type": "static", "ips": ["198.51.100.7"]}}
LIVE = [app("ssh", 22), app("db", 5432), app("old", 8080), app("web", 443)]


def seeded(*traffic: str, **overrides: Any) -> Emulator:
    """example.com with four live apps (and example.net with one); history starts now, and
    only ``advance`` moves the emulator's clock (its wall clock stands still)."""
    settings: dict[str, Any] = {
        "zones": ("example.com", "example.net"),
        "byoip_prefixes": DOC_PREFIXES,
        "traffic": traffic,
        **overrides,
    }
    start = time.time()
    emulator = Emulator(EmulatorConfig(**settings), wall_clock=lambda: start)
    with make_client(emulator) as client:
        for zone, bodies in (("example.com", LIVE), ("example.net", [app("a", 22, "example.net")])):
            zone_id = str(emulator.ensure_zone(zone)["id"])
            for body in bodies:
                key = AppKey(zone, body["dns"]["name"], body["protocol"])
                client.create_app(zone_id, key, body)
    return emulator


def files(tmp_path: Path, apps: list[dict[str, Any]], **zone: Any) -> str:
    """example.com declares ``apps`` (``zone``: its policy keys); example.net is unchanged."""
    directory = tmp_path / "config"
    directory.mkdir(exist_ok=True)
    policy = {"safety": {"max_destructive_percent": 100}, **zone}
    (directory / "com.yaml").write_text(json.dumps({"zone": "example.com", **policy, "apps": apps}))
    net = {"zone": "example.net", "apps": [app("a", 22, "example.net")]}
    (directory / "net.yaml").write_text(json.dumps(net))
    return str(directory)


# ssh recreated (onto static IPs: dns.type changes), old deleted, db and web kept as they are.
CHANGED = [app("ssh", 22, **STATIC) | {"dns": {"type": "ADDRESS", "name": "ssh.example.com"}},
           app("db", 5432), app("web", 443)]  # fmt: skip
KEPT = [app("ssh", 22), app("db", 5432), app("web", 443)]  # only old deleted


@contextlib.contextmanager
def loopback(emulator: Emulator) -> Iterator[list[str]]:
    with serve(emulator) as running:
        yield ["--base-url", running.base_url]


def summaries(emulator: Emulator) -> int:
    return int(emulator.stats()["requests"].get(SUMMARY, 0))


def live_names(emulator: Emulator) -> set[str]:
    zone_id = str(emulator.ensure_zone("example.com")["id"])
    return {a["dns"]["name"] for a in emulator.apps(zone_id)}


class TestThePlanShowsTraffic:
    def test_deletes_and_recreates_say_what_they_carried_in_text_markdown_and_json(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        import jsonschema

        emulator = seeded("ssh.example.com=100", "db.example.com=50")
        emulator.advance(HOUR)
        config = files(tmp_path, CHANGED)
        with loopback(emulator) as url:
            text = run_cli(["plan", *url, config], env=ENV)
            markdown = run_cli(["plan", *url, "--format", "markdown", config], env=ENV)
            as_json = run_cli(["plan", *url, "--format", "json", config], env=ENV)
        assert text.exit_code == markdown.exit_code == as_json.exit_code == 0, text.stderr
        ssh = text.stdout.split("ssh.example.com tcp/22 (recreate")[1]
        assert ssh.splitlines()[1].strip() == (
            "traffic: carried 6,000 connections, 1.5 GB in the last 24 h"
        )
        old = text.stdout.split("old.example.com tcp/8080 (delete")[1]
        assert old.splitlines()[1].strip() == "traffic: idle for 24 h"
        assert "db.example.com" not in text.stdout  # unchanged: no traffic shown
        assert "> Traffic: carried 6,000 connections, 1.5 GB in the last 24 h" in markdown.stdout
        assert "> Traffic: idle for 24 h" in markdown.stdout
        document = json.loads(as_json.stdout)
        schema = json.loads((Path(__file__).parents[1] / "schemas/plan.schema.json").read_text())
        jsonschema.validate(document, schema)
        shown = {a["key"]["dns_name"]: a.get("traffic") for a in document["actions"]}
        assert shown["ssh.example.com"]["connections"] == 6000
        assert shown["ssh.example.com"]["known"] is True
        assert shown["old.example.com"]["words"] == "idle for 24 h"

    def test_one_analytics_read_per_zone_with_a_delete_or_recreate_and_none_otherwise(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = seeded()
        with loopback(emulator) as url:
            run_cli(["plan", *url, files(tmp_path, CHANGED)], env=ENV)
            assert summaries(emulator) == 1  # example.com only: example.net changes nothing
            update = [app("ssh", 22, tls="full"), *LIVE[1:]]
            run_cli(["plan", *url, files(tmp_path, update)], env=ENV)
            assert summaries(emulator) == 1  # an update cuts nothing: no read

    def test_the_window_is_the_flags(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = seeded("old.example.com=10")
        emulator.advance(3 * HOUR)
        with loopback(emulator) as url:
            result = run_cli(
                ["plan", *url, "--traffic-window", "1h", files(tmp_path, KEPT)], env=ENV
            )
            bad = run_cli(
                ["plan", *url, "--traffic-window", "soon", files(tmp_path, KEPT)], env=ENV
            )
        assert "traffic: carried 600 connections, 150.0 MB in the last 1 h" in result.stdout
        assert bad.exit_code == 2 and "not a duration" in bad.stderr

    def test_unreadable_analytics_are_said_once_per_zone_and_the_plan_goes_on(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = seeded("ssh.example.com=100", analytics_forbidden=True)
        with loopback(emulator) as url:
            result = run_cli(["plan", *url, files(tmp_path, CHANGED)], env=ENV)
            markdown = run_cli(
                ["plan", *url, "--format", "markdown", files(tmp_path, CHANGED)], env=ENV
            )
        assert markdown.stdout.count("zone example.com: traffic unknown (the plan goes on)") == 1
        assert markdown.stdout.count("> Traffic: traffic unknown") == 2
        assert result.exit_code == 0, result.stderr
        assert result.stdout.count("traffic: traffic unknown") == 2  # the recreate, the delete
        said = [
            line
            for line in result.stdout.splitlines()
            if "zone example.com: traffic unknown" in line
        ]
        assert len(said) == 1 and "HTTP 403" in said[0] and "Analytics > Read" in said[0]
        assert "CLOUDFLARE_API_TOKEN" not in said[0]  # the token works; it lacks a permission
        assert "traffic unknown" not in result.stderr  # said once: in the plan
        assert TOKEN not in result.stdout + result.stderr


class TestLiveDelete:
    def test_a_delete_of_an_app_with_traffic_is_refused_with_exit_3(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = seeded("old.example.com=5")
        emulator.advance(HOUR)
        config = files(tmp_path, KEPT)
        with loopback(emulator) as url:
            plan = run_cli(["plan", *url, config], env=ENV)
            refused = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
        assert "apply will refuse this without --allow-live-delete" in plan.stdout
        assert refused.exit_code == 3, refused.stderr
        assert "old.example.com tcp/8080 (carried 300 connections" in refused.stderr
        assert "--allow-live-delete old.example.com:tcp/8080" in refused.stderr
        assert "old.example.com" in live_names(emulator)

    def test_an_idle_app_is_deleted_and_a_recreate_with_traffic_is_not_refused(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = seeded("ssh.example.com=100")
        emulator.advance(HOUR)
        with loopback(emulator) as url:
            applied = run_cli(["apply", *url, "--auto-approve", files(tmp_path, CHANGED)], env=ENV)
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert "old.example.com" not in live_names(emulator)

    def test_a_replace_keeps_the_service_and_is_not_refused(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = seeded("ssh.example.com=100")
        emulator.advance(HOUR)
        wider = app("ssh", 22) | {
            "protocol": "tcp/22-23",
            "origin_direct": ["tcp://192.0.2.1:22-23"],
        }
        config = files(tmp_path, [wider, *LIVE[1:]])
        with loopback(emulator) as url:
            plan = run_cli(["plan", *url, config], env=ENV)
            applied = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
        assert "traffic: carried 6,000 connections" in plan.stdout  # shown, as for a recreate
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        zone_id = str(emulator.ensure_zone("example.com")["id"])
        assert "tcp/22-23" in {a["protocol"] for a in emulator.apps(zone_id)}

    def test_the_zones_live_delete_allow_lets_it_go(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = seeded("old.example.com=5")
        emulator.advance(HOUR)
        config = files(tmp_path, KEPT, live_delete="allow")
        with loopback(emulator) as url:
            applied = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert "old.example.com" not in live_names(emulator)

    def test_a_saved_plan_of_that_zone_applies(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = seeded("old.example.com=5")
        emulator.advance(HOUR)
        config, saved = files(tmp_path, KEPT, live_delete="allow"), str(tmp_path / "plan.json")
        with loopback(emulator) as url:
            assert run_cli(["plan", *url, "--out", saved, config], env=ENV).exit_code == 0
            applied = run_cli(["apply", *url, "--plan", saved], env=ENV)
        assert applied.exit_code == 0, applied.stdout + applied.stderr  # was: not a valid plan
        assert "old.example.com" not in live_names(emulator)

    def test_the_flag_lets_the_named_app_go_and_the_journal_says_who_and_when(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = seeded("old.example.com=5")
        emulator.advance(HOUR)
        config, journal = files(tmp_path, KEPT), tmp_path / "journal.jsonl"
        with loopback(emulator) as url:
            other = run_cli(["apply", *url, "--auto-approve", "--allow-live-delete",
                             "ssh.example.com:tcp/22", config], env=ENV)  # fmt: skip
            bad = run_cli(
                ["apply", *url, "--auto-approve", "--allow-live-delete", "old", config], env=ENV
            )
            applied = run_cli(["apply", *url, "--auto-approve", "--journal", str(journal),
                               "--allow-live-delete", "old.example.com:tcp/8080", config],
                              env={**ENV, "GITHUB_ACTOR": "alice"})  # fmt: skip
        assert other.exit_code == 3 and bad.exit_code == 2 and "HOST:PROTOCOL" in bad.stderr
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert "allow-live-delete: old.example.com tcp/8080 in zone example.com" in applied.stdout
        events = [json.loads(line) for line in journal.read_text().splitlines()]
        allowed = [e for e in events if e["event"] == "allow-live-delete"]
        assert [(e["user"], e["key"]) for e in allowed] == [("alice", "old.example.com tcp/8080")]
        assert allowed[0]["at"] and "carried 300 connections" in allowed[0]["traffic"]
        assert "old.example.com" not in live_names(emulator)

    def test_unknown_traffic_is_live_only_under_strict(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = seeded(analytics_forbidden=True)
        config = files(tmp_path, KEPT)
        with loopback(emulator) as url:
            strict = run_cli(["apply", *url, "--auto-approve", "--strict", config], env=ENV)
            assert strict.exit_code == 3, strict.stdout + strict.stderr
            assert "old.example.com tcp/8080 (traffic unknown)" in strict.stderr
            assert "old.example.com" in live_names(emulator)
            relaxed = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
        assert relaxed.exit_code == 0, relaxed.stdout + relaxed.stderr
        assert "old.example.com" not in live_names(emulator)

    def test_the_held_zone_holds_only_its_own_actions(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = seeded("old.example.com=5")
        emulator.advance(HOUR)
        config = files(tmp_path, KEPT)
        (Path(config) / "net.yaml").write_text(
            json.dumps(
                {
                    "zone": "example.net",
                    "apps": [app("a", 22, "example.net"), app("b", 23, "example.net")],
                }
            )
        )
        with loopback(emulator) as url:
            result = run_cli(["apply", *url, "--auto-approve", config], env=ENV)
        assert result.exit_code == 3, result.stdout + result.stderr
        net = str(emulator.ensure_zone("example.net")["id"])
        assert {a["dns"]["name"] for a in emulator.apps(net)} == {"a.example.net", "b.example.net"}
        assert "old.example.com" in live_names(emulator)


class TestSavedPlans:
    def test_a_plan_saved_before_traffic_started_is_stale(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = seeded("old.example.com=5")  # no history yet: old is idle
        config, saved = files(tmp_path, KEPT), str(tmp_path / "plan.json")
        with loopback(emulator) as url:
            assert run_cli(["plan", *url, "--out", saved, config], env=ENV).exit_code == 0
            emulator.advance(HOUR)
            refused = run_cli(["apply", *url, "--plan", saved], env=ENV)
        assert refused.exit_code == 3
        assert (
            "the saved plan is stale: old.example.com tcp/8080 now carries traffic"
            in refused.stderr
        )
        assert "old.example.com" in live_names(emulator)

    def test_new_traffic_numbers_alone_do_not_make_it_stale(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = seeded("ssh.example.com=100")
        emulator.advance(HOUR)
        config, saved = files(tmp_path, CHANGED), str(tmp_path / "plan.json")
        with loopback(emulator) as url:
            assert run_cli(["plan", *url, "--out", saved, config], env=ENV).exit_code == 0
            emulator.advance(HOUR)  # ssh carried more since; old is still idle
            applied = run_cli(["apply", *url, "--plan", saved], env=ENV)
        assert applied.exit_code == 0, applied.stdout + applied.stderr
        assert "old.example.com" not in live_names(emulator)


class TestReconcile:
    def test_self_heal_holds_a_zone_deleting_an_app_with_traffic(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = seeded("old.example.com=5")
        emulator.advance(HOUR)
        with loopback(emulator) as url:
            held = run_cli(
                ["reconcile", "--once", "--self-heal", *url, files(tmp_path, KEPT)], env=ENV
            )
            assert held.exit_code == 3, held.stdout + held.stderr
            assert "old.example.com" in live_names(emulator)
            allowed = files(tmp_path, KEPT, live_delete="allow")
            healed = run_cli(["reconcile", "--once", "--self-heal", *url, allowed], env=ENV)
        assert healed.exit_code == 0, healed.stdout + healed.stderr
        assert "old.example.com" not in live_names(emulator)


def test_a_bad_live_delete_value_is_a_located_problem(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = files(tmp_path, KEPT, live_delete="sometimes")
    result = run_cli(["validate", config])
    assert (
        result.exit_code == 1 and "com.yaml:1:" in result.stderr and "live_delete" in result.stderr
    )
    assert "Traceback" not in result.stderr
