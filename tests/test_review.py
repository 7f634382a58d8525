"""``diff``: offline review of a config change, between two trees or against a git revision.

No token and no network: the old tree stands in for live state. Every test here runs with
CLOUDFLARE_API_TOKEN unset and with sockets refusing to connect.
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_output_schemas import check

V1 = {
    "zone": "example.com",
    "apps": [
        {
            "dns": {"type": "CNAME", "name": "ssh.example.com"},
            "protocol": "tcp/22",
            "origin_direct": ["tcp://192.0.2.1:22"],
        },
        {
            "dns": {"type": "CNAME", "name": "db.example.com"},
            "protocol": "tcp/5432",
            "origin_direct": ["tcp://192.0.2.5:5432"],
        },
        {
            "dns": {"type": "CNAME", "name": "old.example.com"},
            "protocol": "tcp/8080",
            "origin_direct": ["tcp://192.0.2.8:8080"],
        },
    ],
}

# ssh moves onto our BYOIP prefix (a recreate), db turns on TLS (an update), old goes (a delete).
V2 = {
    "zone": "example.com",
    "apps": [
        {
            "dns": {"type": "ADDRESS", "name": "ssh.example.com"},
            "protocol": "tcp/22",
            "origin_direct": ["tcp://192.0.2.1:22"],
            "edge_ips": {"type": "static", "ips": ["198.51.100.10"]},
        },
        {
            "dns": {"type": "CNAME", "name": "db.example.com"},
            "protocol": "tcp/5432",
            "origin_direct": ["tcp://192.0.2.5:5432"],
            "tls": "strict",
        },
    ],
}


def write(directory: Path, document: dict[str, Any]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return directory


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token, and any attempt to open a connection fails the test loudly."""
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"diff tried to use the network: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def trees(tmp_path: Path) -> tuple[str, str]:
    return str(write(tmp_path / "old", V1)), str(write(tmp_path / "new", V2))


def lines_about(output: str, needle: str) -> list[str]:
    return [line for line in output.splitlines() if needle in line]


class TestTwoDirectories:
    def test_text_names_each_action(self, run_cli, trees: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["diff", *trees])
        assert result.exit_code == 0, result.stderr
        (db,) = lines_about(result.stdout, "db.example.com tcp/5432")
        assert db.lstrip().startswith("~") and "(update in example.com)" in db
        assert 'tls: "off" -> "strict"' in result.stdout
        (old, gate) = lines_about(result.stdout, "old.example.com tcp/8080")
        assert old.lstrip().startswith("-") and "(delete in example.com)" in old
        assert gate.startswith("! apply will refuse this without --force")  # as plan says it
        (ssh,) = lines_about(result.stdout, "ssh.example.com tcp/22 (")
        assert ssh.lstrip().startswith("-/+") and "(recreate in example.com)" in ssh
        assert "dns.type CNAME -> ADDRESS" in result.stdout
        assert "cannot change in place" in result.stdout
        assert "0 to create, 1 to update, 1 to delete, 1 to recreate" in result.stdout
        assert "[app " not in result.stdout  # no made-up ids shown as if they were Cloudflare's

    def test_markdown_marks_the_recreate(self, run_cli, trees: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["diff", "--format", "markdown", *trees])
        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("<!-- spectrum-reconciler:plan -->")
        rows = {
            app: row
            for row in result.stdout.splitlines()
            if row.startswith("|")
            for app in ("ssh.example.com", "db.example.com", "old.example.com")
            if f"`{app}" in row
        }
        assert "recreate" in rows["ssh.example.com"] and "⚠️" in rows["ssh.example.com"]
        assert "`dns.type`" in rows["ssh.example.com"]
        assert "update" in rows["db.example.com"] and "⚠️" not in rows["db.example.com"]
        assert "delete" in rows["old.example.com"]
        assert "dns.type CNAME -> ADDRESS (non-BYOIP to BYOIP) cannot change in place" in (
            result.stdout
        )

    def test_json_is_the_plan_document(self, run_cli, trees: tuple[str, str]) -> None:  # type: ignore[no-untyped-def]
        import json

        document = json.loads(run_cli(["diff", "--format", "json", *trees]).stdout)
        kinds = {a["key"]["dns_name"]: a["action"] for a in document["actions"]}
        assert kinds == {
            "ssh.example.com": "recreate",
            "db.example.com": "update",
            "old.example.com": "delete",
        }

    def test_detailed_exitcode_is_2_on_change_and_0_without(
        self, run_cli, trees: tuple[str, str]
    ) -> None:  # type: ignore[no-untyped-def]
        old, new = trees
        assert run_cli(["diff", "--detailed-exitcode", old, new]).exit_code == 2
        same = run_cli(["diff", "--detailed-exitcode", new, new])
        assert same.exit_code == 0, same.stdout + same.stderr
        assert "No changes" in same.stdout

    def test_redacted_origins(self, run_cli, trees: tuple[str, str], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        moved = V2 | {"apps": [V2["apps"][0] | {"origin_direct": ["tcp://192.0.2.99:22"]}]}
        old = write(tmp_path / "moved", moved)
        for fmt in ("text", "markdown", "json"):
            result = run_cli(["diff", "--redact-origins", "--format", fmt, trees[1], str(old)])
            assert result.exit_code == 0 and "origin_direct" in result.stdout
            assert "192.0.2." not in result.stdout, fmt

    def test_an_invalid_new_tree_is_a_located_error(
        self, run_cli, trees: tuple[str, str], tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        bad = tmp_path / "bad"
        bad.mkdir()
        (bad / "apps.yaml").write_text("zone: example.com\napps:\n  - protocool: tcp/22\n")
        result = run_cli(["diff", trees[0], str(bad)])
        assert result.exit_code == 1 and f"{bad / 'apps.yaml'}:" in result.stderr

    def test_one_path_without_from_ref_is_a_usage_error(
        self, run_cli, trees: tuple[str, str]
    ) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["diff", trees[0]])
        assert result.exit_code != 0 and "--from-ref" in result.stderr


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def repo(run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:  # type: ignore[no-untyped-def]
    """A git repository with config/ committed at v1 and changed to v2 in the working tree."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root / "config", V1)
    (root / "README").write_text("not config\n")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "v1")
    write(root / "config", V2)
    monkeypatch.chdir(root)  # after run_cli's own chdir: --from-ref reads the repo we stand in
    return root


class TestFromRef:
    def test_the_working_tree_against_a_revision(self, run_cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["diff", "--from-ref", "HEAD", "config/", "--detailed-exitcode"])
        assert result.exit_code == 2, result.stderr
        assert "(recreate in example.com)" in result.stdout
        assert "(update in example.com)" in result.stdout
        assert "(delete in example.com)" in result.stdout

    def test_a_branch_name_as_ci_passes_it(self, run_cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
        markdown = run_cli(["diff", "--from-ref", "main", "config/", "--format", "markdown"])
        assert markdown.exit_code == 0, markdown.stderr
        assert "recreate" in markdown.stdout and "`ssh.example.com tcp/22`" in markdown.stdout

    def test_no_change_since_the_revision(self, run_cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
        git(repo, "commit", "-q", "-am", "v2")
        result = run_cli(["diff", "--from-ref", "HEAD", "config/", "--detailed-exitcode"])
        assert result.exit_code == 0 and "No changes" in result.stdout
        before = run_cli(["diff", "--from-ref", "HEAD~1", "config/", "--detailed-exitcode"])
        assert before.exit_code == 2

    def test_a_bad_revision_is_one_clear_line(self, run_cli, repo: Path) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["diff", "--from-ref", "no-such-branch", "config/"])
        assert result.exit_code == 1
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("error: ") and "no-such-branch" in line
        assert "Traceback" not in result.stderr

    def test_outside_a_repository_is_one_clear_line(
        self, run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:  # type: ignore[no-untyped-def]
        elsewhere = write(tmp_path / "plain" / "config", V2).parent
        monkeypatch.chdir(elsewhere)
        monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
        result = run_cli(["diff", "--from-ref", "HEAD", "config/"])
        assert result.exit_code == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith("error: ") and "repository" in line


class TestWhatPlanSees:
    """A review shows every verdict that needs no live state, as ``plan`` does (issue 25)."""

    def test_an_app_dropped_from_a_prune_false_zone_is_kept_and_is_a_change(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        old = write(tmp_path / "old", {**V1, "prune": False})
        new = write(tmp_path / "new", {**V1, "prune": False, "apps": V1["apps"][:2]})
        result = run_cli(["diff", "--detailed-exitcode", str(old), str(new)])
        assert result.exit_code == 2, result.stdout + result.stderr
        assert (
            "! no longer declared: kept live (prune: false): old.example.com tcp/8080 in zone "
            "example.com" in result.stdout
        )
        last = result.stdout.strip().splitlines()[-1]
        assert (
            last
            == "No app changes, but 1 app no longer declared: kept live (prune: false) (2 unchanged)."
        )
        markdown = run_cli(["diff", "--format", "markdown", str(old), str(new)]).stdout
        assert (
            "- no longer declared: kept live (prune: false): `old.example.com tcp/8080`" in markdown
        )
        document = json.loads(run_cli(["diff", "--format", "json", str(old), str(new)]).stdout)
        (kept,) = document["guardrails"]["unmanaged"]
        assert kept["key"]["dns_name"] == "old.example.com"
        assert kept["app_id"].startswith("offline-")  # never taken for Cloudflare's

    def test_protect_freeze_and_observe_show_as_in_plan(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        policy = {"protect": ["old.*"], "freeze": {"until": "2999-01-01T00:00:00Z", "reason": "r"}}
        old = write(tmp_path / "old", V1)
        new = write(tmp_path / "new", {**V2, **policy})
        result = run_cli(["diff", str(old), str(new)])
        assert (
            "apply will refuse this: zone example.com: the plan would delete old.example.com"
            in (result.stdout)
        )
        assert "apply will refuse this without --break-glass: zone example.com is frozen" in (
            result.stdout
        )
        document = json.loads(run_cli(["diff", "--format", "json", str(old), str(new)]).stdout)
        rules = {r["rule"] for r in document["guardrails"]["refusals"]}
        assert rules == {"protected", "freeze", "safety"}
        assert document["address_checks"] == "offline"
        observe = write(tmp_path / "observe", {**V2, "mode": "observe"})
        assert (
            "mode: observe — apply writes nothing"
            in run_cli(["diff", str(old), str(observe)]).stdout
        )

    def test_it_says_which_checks_need_live_state(  # type: ignore[no-untyped-def]
        self, run_cli, trees: tuple[str, str]
    ) -> None:
        text = run_cli(["diff", *trees]).stdout
        assert text.startswith("! offline review: no live state was read")
        markdown = run_cli(["diff", "--format", "markdown", *trees]).stdout
        assert "> Offline review: no live state was read" in markdown

    def test_a_review_document_is_no_plan_to_apply(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        old = write(tmp_path / "old", {**V1, "apps": V1["apps"][:1]})
        new = write(tmp_path / "new", V1)  # two creates: a document that parses as a plan
        review = tmp_path / "review.json"
        review.write_text(run_cli(["diff", "--format", "json", str(old), str(new)]).stdout)
        result = run_cli(["apply", "--sandbox", "--plan", str(review)])
        assert result.exit_code == 1 and "offline review" in result.stderr

    def test_a_review_with_deletes_and_updates_matches_the_plan_schema_and_is_refused(  # type: ignore[no-untyped-def]
        self, run_cli, trees: tuple[str, str], tmp_path: Path
    ) -> None:
        printed = run_cli(["diff", "--format", "json", *trees]).stdout
        document = json.loads(printed)
        kinds = {a["action"] for a in document["actions"]}
        assert {"delete", "update"} <= kinds and document["address_checks"] == "offline"
        check(document, "plan.schema.json")  # docs/json-output.md: diff prints a plan document
        review = tmp_path / "review.json"
        review.write_text(printed)
        result = run_cli(["apply", "--sandbox", "--plan", str(review)])
        assert result.exit_code == 1 and "offline review" in result.stderr
