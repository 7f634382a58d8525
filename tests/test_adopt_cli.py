"""``adopt`` end to end over loopback: live changes written into commented multi-file configs.

Each test applies the fixture configuration (tests/fixtures/adopt/: two files for example.com
with different indentation and quoting, one for example.net) to an emulator served on
127.0.0.1, changes live state over HTTP as someone in the dashboard would, adopts, and checks
three things: the lines adopt did not need to touch are byte for byte as they were, the next
plan is empty, and what a selection does not name is still drift.
"""

from __future__ import annotations

import difflib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import Emulator, serve
from tests.conftest import FIXTURES, make_emulator

TOKEN = "tok-adopt-secret-0123456789"
SOURCE = FIXTURES / "adopt"


class Live:
    """The emulator behind a loopback server, and a dashboard user's HTTP edits to it."""

    def __init__(self, emulator: Emulator, base_url: str) -> None:
        self.emulator, self.base_url = emulator, base_url
        self.http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {TOKEN}"})

    def _apps_url(self, zone: str) -> str:
        return f"/zones/{self.emulator.ensure_zone(zone)['id']}/spectrum/apps"

    def find(self, name: str, zone: str = "example.com") -> dict[str, Any]:
        (found,) = [a for a in self.emulator.apps(self.emulator.ensure_zone(zone)["id"])
                    if a["dns"]["name"] == name]  # fmt: skip
        return found

    def change(self, name: str, **fields: Any) -> None:
        app = self.find(name)
        body = {k: v for k, v in app.items() if k not in ("id", "created_on", "modified_on")}
        response = self.http.put(
            f"{self._apps_url('example.com')}/{app['id']}", json={**body, **fields}
        )
        assert response.status_code == 200, response.text

    def add(self, body: dict[str, Any], zone: str = "example.com") -> None:
        response = self.http.post(self._apps_url(zone), json=body)
        assert response.status_code == 200, response.text

    def delete(self, name: str) -> None:
        response = self.http.delete(f"{self._apps_url('example.com')}/{self.find(name)['id']}")
        assert response.status_code == 200, response.text


@pytest.fixture
def config(tmp_path: Path) -> Path:
    shutil.copytree(SOURCE, tmp_path / "config")
    return tmp_path / "config"


@pytest.fixture
def live(run_cli, config: Path) -> Iterator[Live]:  # type: ignore[no-untyped-def]
    emulator = make_emulator(keep_unknown_fields=True)
    with serve(emulator, host="127.0.0.1", port=0) as running:
        world = Live(emulator, running.base_url)
        applied = cli(run_cli, world, "apply", "--auto-approve", str(config))
        assert applied.exit_code == 0, applied.stderr
        yield world
        world.http.close()


def cli(run_cli, live: Live, command: str, *args: str):  # type: ignore[no-untyped-def]
    env = {"CLOUDFLARE_API_TOKEN": TOKEN}
    result = run_cli([command, "--base-url", live.base_url, *args], env=env)
    assert TOKEN not in result.stdout + result.stderr
    return result


def snapshot(config: Path) -> dict[str, str]:
    return {str(p.relative_to(config)): p.read_text() for p in sorted(config.rglob("*.yaml"))}


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """The lines a line diff removes from ``before`` and adds in ``after``, in order: every
    other line is kept byte for byte."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    removed, added = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += old[i1:i2]
            added += new[j1:j2]
    return removed, added


def plan_is_empty(run_cli, live: Live, config: Path) -> bool:  # type: ignore[no-untyped-def]
    result = cli(run_cli, live, "plan", "--detailed-exitcode", str(config))
    return bool(result.exit_code == 0)


class TestAFieldChangedLive:
    def test_the_value_changes_where_it_was_declared_and_nothing_else(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        before = snapshot(config)
        live.change("db.example.com", tls="full")
        assert cli(run_cli, live, "drift", str(config)).exit_code == 2
        result = cli(run_cli, live, "adopt", str(config))
        assert result.exit_code == 0, result.stderr
        assert "db.example.com tcp/5432 (example.com): tls at" in result.stderr
        after = snapshot(config)
        assert changed_lines(before["team/data.yaml"], after["team/data.yaml"]) == (
            ["      tls: strict\n"],
            ["      tls: full\n"],
        )
        assert {k: v for k, v in after.items() if k != "team/data.yaml"} == {
            k: v for k, v in before.items() if k != "team/data.yaml"
        }
        assert plan_is_empty(run_cli, live, config)

    def test_a_field_added_and_a_field_removed_live_keep_the_comments_around_them(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        before = snapshot(config)["team/shell.yaml"]
        live.change("git.example.com", ip_firewall=False, tls="flexible",
                    origin_direct=["tcp://192.0.2.20:22", "tcp://192.0.2.22:22"])  # fmt: skip
        assert cli(run_cli, live, "adopt", str(config)).exit_code == 0
        after = snapshot(config)["team/shell.yaml"]
        removed, added = changed_lines(before, after)
        assert removed == [
            "      - tcp://192.0.2.21:22   # rack B\n",
            "    ip_firewall: true      # allow-list lives in the WAF\n",
        ]
        assert (
            added
            == [
                "      - tcp://192.0.2.22:22   # rack B\n",
                "    tls: flexible\n",
                "    ip_firewall: false     # allow-list lives in the WAF\n",  # the comment's column kept
            ]
        )
        assert plan_is_empty(run_cli, live, config)

    def test_unknown_live_fields_stay_out_of_the_file(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        live.change("cache.example.com", tls="full", future_knob=7,
                    dns={"type": "CNAME", "name": "cache.example.com", "ttl": 60})  # fmt: skip
        assert cli(run_cli, live, "adopt", str(config)).exit_code == 0
        text = (config / "team" / "data.yaml").read_text()
        assert "tls: full" in text
        assert "future_knob" not in text and "ttl" not in text
        assert plan_is_empty(run_cli, live, config)


class TestAnAppAddedLive:
    def test_it_is_appended_to_a_file_of_its_zone_in_that_files_style(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        before = snapshot(config)
        live.add({"dns": {"type": "CNAME", "name": "mail.example.com"}, "protocol": "tcp/25",
                  "origin_direct": ["tcp://192.0.2.80:25"], "tls": "full"})  # fmt: skip
        result = cli(run_cli, live, "adopt", str(config))
        assert result.exit_code == 0, result.stderr
        after = snapshot(config)
        removed, added = changed_lines(before["team/data.yaml"], after["team/data.yaml"])
        assert removed == []
        assert added == [
            "\n",
            "    - dns: {type: CNAME, name: mail.example.com}\n",
            "      protocol: tcp/25\n",
            "      origin_direct: ['tcp://192.0.2.80:25']\n",
            "      tls: full\n",
        ]
        assert after["team/shell.yaml"] == before["team/shell.yaml"]
        assert plan_is_empty(run_cli, live, config)

    def test_into_a_new_file_under_the_directory(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        before = snapshot(config)
        live.add({"dns": {"type": "CNAME", "name": "mail.example.com"}, "protocol": "tcp/25",
                  "origin_direct": ["tcp://192.0.2.80:25"]})  # fmt: skip
        target = config / "team" / "adopted.yaml"
        result = cli(run_cli, live, "adopt", str(config), "--into", str(target))
        assert result.exit_code == 0, result.stderr
        assert "mail.example.com" in target.read_text()
        assert {k: v for k, v in snapshot(config).items() if k != "team/adopted.yaml"} == before
        assert plan_is_empty(run_cli, live, config)

    def test_an_ignored_app_is_never_adopted_and_naming_it_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        before = snapshot(config)
        live.add({"dns": {"type": "CNAME", "name": "legacy-db.example.com"},
                  "protocol": "tcp/5432", "origin_direct": ["tcp://192.0.2.90:5432"]})  # fmt: skip
        result = cli(run_cli, live, "adopt", str(config))
        assert result.exit_code == 0 and "nothing to adopt" in result.stderr
        named = cli(run_cli, live, "adopt", str(config), "--app", "legacy-db.example.com:tcp/5432")
        assert named.exit_code == 1
        assert "ignores it ('legacy-*.example.com')" in named.stderr
        assert snapshot(config) == before


class TestAnAppDeletedLive:
    def test_it_is_listed_and_kept_unless_remove_missing(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        before = snapshot(config)
        live.delete("bastion.example.com")
        kept = cli(run_cli, live, "adopt", str(config))
        assert kept.exit_code == 0
        assert "left: bastion.example.com tcp/2222 (example.com): declared at" in kept.stderr
        assert snapshot(config) == before
        result = cli(run_cli, live, "adopt", str(config), "--remove-missing")
        assert result.exit_code == 0, result.stderr
        removed, added = changed_lines(
            before["team/shell.yaml"], snapshot(config)["team/shell.yaml"]
        )
        assert added == []
        assert removed == [
            "\n",
            "  # Bastion: the incident runbook points here.\n",
            "  - dns: {type: CNAME, name: bastion.example.com}\n",
            "    protocol: tcp/2222\n",
            '    origin_direct: ["tcp://192.0.2.30:22"]\n',
            '    tls: "off"\n',
            "    edge_ips: {type: dynamic, connectivity: all}\n",
        ]
        assert snapshot(config)["team/shell.yaml"].endswith("# rack B\n    proxy_protocol: v2\n"
            "    ip_firewall: true      # allow-list lives in the WAF\n# end of shell apps\n")  # fmt: skip
        assert plan_is_empty(run_cli, live, config)

    def test_the_first_app_of_a_file_goes_with_its_heading(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        live.delete("db.example.com")
        assert cli(run_cli, live, "adopt", str(config), "--remove-missing").exit_code == 0
        assert (config / "team" / "data.yaml").read_text() == (
            "# Data services of example.com.\nzone: example.com\n\napps:\n\n"
            "    # Redis for the batch jobs.\n"
            "    - dns: {type: CNAME, name: cache.example.com}\n"
            "      protocol: tcp/6379\n"
            "      origin_direct: ['tcp://192.0.2.60:6379']\n"
        )
        assert plan_is_empty(run_cli, live, config)


class TestSelection:
    def test_only_the_named_app_is_adopted(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        live.change("db.example.com", tls="full")
        live.change("cache.example.com", tls="full")
        result = cli(run_cli, live, "adopt", str(config), "--app", "cache.example.com:tcp/6379")
        assert result.exit_code == 0, result.stderr
        text = (config / "team" / "data.yaml").read_text()
        assert "tls: strict" in text and "tls: full" in text
        drift = cli(run_cli, live, "drift", str(config))
        assert drift.exit_code == 2 and "db.example.com" in drift.stdout
        assert "cache.example.com" not in drift.stdout

    def test_only_the_named_zone_is_adopted(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        live.change("db.example.com", tls="full")
        live.add({"dns": {"type": "CNAME", "name": "lobby.example.net"}, "protocol": "tcp/80",
                  "origin_direct": ["tcp://192.0.2.71:80"]}, zone="example.net")  # fmt: skip
        before = snapshot(config)
        assert cli(run_cli, live, "adopt", str(config), "--zone", "example.net").exit_code == 0
        after = snapshot(config)
        assert "lobby.example.net" in after["net/apps.yaml"]
        assert after["team/data.yaml"] == before["team/data.yaml"]

    def test_an_app_without_drift_is_refused_not_skipped(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        result = cli(run_cli, live, "adopt", str(config), "--app", "db.example.com:tcp/5433")
        assert result.exit_code == 1 and "no drift for this app" in result.stderr


class TestRefusals:
    def test_a_result_that_would_not_validate_writes_nothing(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        # Someone replaced git tcp/22 by git tcp/20-30 live. Adopting the new app while the
        # old one stays declared overlaps their ports, which validate refuses.
        live.delete("git.example.com")
        live.add({"dns": {"type": "CNAME", "name": "git.example.com"}, "protocol": "tcp/20-30",
                  "origin_direct": ["tcp://192.0.2.20:20-30"]})  # fmt: skip
        before = snapshot(config)
        result = cli(run_cli, live, "adopt", str(config))
        assert result.exit_code == 1
        assert "would not validate" in result.stderr and "overlaps" in result.stderr
        assert "nothing was written" in result.stderr
        assert snapshot(config) == before
        assert list(config.rglob(".*")) == []  # no temporary file left behind
        fixed = cli(run_cli, live, "adopt", str(config), "--remove-missing")
        assert fixed.exit_code == 0, fixed.stderr
        assert plan_is_empty(run_cli, live, config)

    def test_a_protected_app_is_adopted_like_any_other(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        live.change("git.example.com", proxy_protocol="v1")
        assert cli(run_cli, live, "adopt", str(config)).exit_code == 0
        assert "proxy_protocol: v1" in (config / "team" / "shell.yaml").read_text()
        assert plan_is_empty(run_cli, live, config)

    def test_dry_run_prints_a_diff_and_writes_nothing(  # type: ignore[no-untyped-def]
        self, run_cli, live: Live, config: Path
    ) -> None:
        live.change("db.example.com", tls="full")
        before = snapshot(config)
        result = cli(run_cli, live, "adopt", str(config), "--dry-run")
        assert result.exit_code == 0
        assert f"--- a/{config}/team/data.yaml" in result.stdout
        assert "-      tls: strict\n+      tls: full\n" in result.stdout
        assert snapshot(config) == before
