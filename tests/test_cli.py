"""The command line end to end, against the sandbox and a loopback emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.cli.offline import github_annotation
from reconciler.emulator import serve
from reconciler.model import Location, Problem
from tests.conftest import EXAMPLES, ROOT, make_emulator

PLAN_SCHEMA = json.loads((ROOT / "schemas" / "plan.schema.json").read_text())
TOKEN = "tok-ZXCV-recognisable-0123456789"


def write_zone(directory: Path, apps: list[dict[str, Any]], zone: str = "example.com") -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": zone, "apps": apps}, indent=2))
    return str(directory)


def app(name: str, port: int) -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"{name}.example.com"},
        "protocol": f"tcp/{port}",
        "origin_direct": [f"tcp://192.0.2.1:{port}"],
    }


class TestValidate:
    def test_the_examples_are_valid(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["validate", str(EXAMPLES)])
        assert result.exit_code == 0, result.stderr
        assert "valid:" in result.stderr

    def test_every_problem_is_one_located_line(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            "zone: example.com\napps:\n  - dns: {type: CNAME, name: a.example.com}\n    protocol: tcp/99999\n"
        )
        result = run_cli(["validate", str(bad)])
        assert result.exit_code == 1
        located = [line for line in result.stderr.splitlines() if not line.startswith("error:")]
        assert located and all(line.startswith(f"{bad}:") for line in located)

    def test_github_annotations(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            "zone: example.com\napps:\n  - dns: {type: CNAME, name: a.example.com}\n    protocool: tcp/22\n"
        )
        result = run_cli(["validate", "--format", "github", str(bad)])
        assert result.exit_code == 1
        assert result.stdout.startswith(f"::error file={bad},line=")


@pytest.mark.parametrize(
    ("file", "message", "expected"),
    [
        (
            "a,b:c.yaml",
            "50% off\r\nnext",
            "::error file=a%2Cb%3Ac.yaml,line=3,col=7::50%25 off%0D%0Anext",
        ),
        ("dir/100%.yaml", "x: y, z", "::error file=dir/100%25.yaml,line=3,col=7::x: y, z"),
        ("new\nline.yaml", "m", "::error file=new%0Aline.yaml,line=3,col=7::m"),
    ],
)
def test_github_annotations_escape_as_actions_core_does(
    file: str, message: str, expected: str
) -> None:
    # issue 25 item 22: @actions/core's escapeProperty / escapeData (toolkit command.ts)
    problem = Problem(Location(file, 3, 7), message)
    assert github_annotation(problem) == expected


class TestSandboxLifecycle:
    def test_apply_the_examples_then_the_plan_is_empty(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        applied = run_cli(["apply", "--sandbox", "--auto-approve", str(EXAMPLES)])
        assert applied.exit_code == 0, applied.stderr
        assert "Apply complete" in applied.stdout
        again = run_cli(["plan", "--sandbox", "--detailed-exitcode", str(EXAMPLES)])
        assert again.exit_code == 0, again.stdout + again.stderr
        assert "No changes" in again.stdout

    def test_plan_formats(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        as_json = run_cli(["plan", "--sandbox", "--format", "json", str(EXAMPLES)])
        document = json.loads(as_json.stdout)
        jsonschema.validate(document, PLAN_SCHEMA)
        assert document["summary"]["create"] > 0
        markdown = run_cli(["plan", "--sandbox", "--format", "markdown", str(EXAMPLES)])
        assert markdown.stdout.startswith("<!-- spectrum-reconciler:plan -->")
        text = run_cli(["plan", "--sandbox", "--detailed-exitcode", str(EXAMPLES)])
        assert text.exit_code == 2 and "\x1b[" not in text.stdout

    def test_redacted_plans_show_no_origin(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        for fmt in ("text", "json", "markdown"):
            result = run_cli(
                ["plan", "--sandbox", "--redact-origins", "--format", fmt, str(EXAMPLES)]
            )
            assert "192.0.2." not in result.stdout

    def test_a_saved_plan_applies_and_a_stale_one_is_refused(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        v1 = write_zone(tmp_path / "v1", [app("a", 1001), app("b", 1002)])
        assert run_cli(["apply", "--sandbox", "--auto-approve", v1]).exit_code == 0
        v2 = write_zone(tmp_path / "v2", [app("a", 1001), {**app("b", 1002), "tls": "full"}])
        saved = tmp_path / "plan.json"
        assert run_cli(["plan", "--sandbox", "--out", str(saved), v2]).exit_code == 0
        moved = write_zone(tmp_path / "v3", [{**app("a", 1001), "tls": "strict"}, app("b", 1002)])
        assert run_cli(["apply", "--sandbox", "--auto-approve", moved]).exit_code == 0
        stale = run_cli(["apply", "--sandbox", "--plan", str(saved)])
        assert stale.exit_code == 3
        assert "a.example.com tcp/1001" in stale.stderr and "tls" in stale.stderr
        fresh = tmp_path / "fresh.json"
        assert run_cli(["plan", "--sandbox", "--out", str(fresh), v2]).exit_code == 0
        assert run_cli(["apply", "--sandbox", "--plan", str(fresh)]).exit_code == 0
        assert run_cli(["plan", "--sandbox", "--detailed-exitcode", v2]).exit_code == 0

    def test_an_edited_plan_file_is_refused(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        v1 = write_zone(tmp_path / "v1", [app("a", 1001)])
        saved = tmp_path / "plan.json"
        run_cli(["plan", "--sandbox", "--out", str(saved), v1])
        saved.write_text(saved.read_text().replace("tcp://192.0.2.1:1001", "tcp://192.0.2.66:1001"))
        result = run_cli(["apply", "--sandbox", "--plan", str(saved)])
        assert result.exit_code == 1 and "plan" in result.stderr
        saved.write_text(saved.read_text()[:100])
        assert run_cli(["apply", "--sandbox", "--plan", str(saved)]).exit_code == 1

    def test_the_safety_gate_refuses_then_force_applies(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        three = write_zone(tmp_path / "v1", [app("a", 1001), app("b", 1002), app("c", 1003)])
        assert run_cli(["apply", "--sandbox", "--auto-approve", three]).exit_code == 0
        two = write_zone(tmp_path / "v2", [app("a", 1001), app("b", 1002)])
        refused = run_cli(["apply", "--sandbox", "--auto-approve", two])
        assert refused.exit_code == 3 and "--force" in refused.stderr
        forced = run_cli(["apply", "--sandbox", "--auto-approve", "--force", two])
        assert forced.exit_code == 0

    def test_drift_exit_codes(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        v1 = write_zone(tmp_path / "v1", [app("a", 1001)])
        run_cli(["apply", "--sandbox", "--auto-approve", v1])
        assert run_cli(["drift", "--sandbox", v1]).exit_code == 0
        v2 = write_zone(tmp_path / "v2", [{**app("a", 1001), "tls": "full"}])
        found = run_cli(["drift", "--sandbox", v2])
        assert found.exit_code == 2 and "tls" in found.stdout

    def test_export_then_plan_is_empty(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        assert run_cli(["apply", "--sandbox", "--auto-approve", str(EXAMPLES)]).exit_code == 0
        out = tmp_path / "exported" / "example.com.yaml"
        out.parent.mkdir()
        assert (
            run_cli(["export", "--sandbox", "--zone", "example.com", "--out", str(out)]).exit_code
            == 0
        )
        assert "$schema" not in out.read_text()  # no stable schema location known here
        assert run_cli(["validate", str(out)]).exit_code == 0
        result = run_cli(["plan", "--sandbox", "--detailed-exitcode", str(out)])
        assert result.exit_code == 0, result.stdout

    def test_export_never_replaces_a_file_without_force(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        # issue 25 item 18: it overwrote a zone's hand-written file silently
        assert run_cli(["apply", "--sandbox", "--auto-approve", str(EXAMPLES)]).exit_code == 0
        out = tmp_path / "example.com.yaml"
        out.write_text("# my zone, by hand\n")
        export = ["export", "--sandbox", "--zone", "example.com", "--out", str(out)]
        refused = run_cli(export)
        assert refused.exit_code == 1 and out.read_text() == "# my zone, by hand\n"
        assert refused.stderr == (
            f"error: {out} already exists — nothing was written; pass --force to replace it, "
            "or choose another --out\n"
        )
        assert run_cli([*export, "--force"]).exit_code == 0
        assert "apps:" in out.read_text()

    def test_apply_without_a_terminal_needs_auto_approve(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["apply", "--sandbox", str(EXAMPLES)])
        assert result.exit_code == 1 and "--auto-approve" in result.stderr


class TestTheRealApiPath:
    def test_a_refused_token_exits_1_and_plans_nothing(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        emulator = make_emulator(token="the-only-good-token")
        with serve(emulator, host="127.0.0.1", port=0) as running:
            result = run_cli(
                ["plan", "--base-url", running.base_url, str(EXAMPLES)],
                env={"CLOUDFLARE_API_TOKEN": TOKEN},
            )
        assert result.exit_code == 1
        assert "10000" in result.stderr and result.stdout == ""
        assert TOKEN not in result.stderr

    def test_no_token_is_a_clear_error(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(["plan", str(EXAMPLES)])
        assert result.exit_code == 1 and "CLOUDFLARE_API_TOKEN" in result.stderr

    def test_plain_http_to_a_remote_host_is_refused(self, run_cli) -> None:  # type: ignore[no-untyped-def]
        result = run_cli(
            ["plan", "--base-url", "http://api.example.com/client/v4", str(EXAMPLES)],
            env={"CLOUDFLARE_API_TOKEN": TOKEN},
        )
        assert result.exit_code == 1 and "https" in result.stderr


def test_usage_errors_exit_1_not_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "plan", "--format", "yaml", "x"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1 and "Invalid value" in done.stderr


def test_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "spectrum-reconciler" in done.stdout


def test_a_zone_given_with_its_id_works_in_the_sandbox(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "pinned"
    config.mkdir()
    document = {
        "zone": "example.com",
        "zone_id": "023e105f4ecef8ad9ca31a8372d0c353",
        "apps": [app("a", 1001)],
    }
    (config / "apps.yaml").write_text(json.dumps(document))
    assert run_cli(["apply", "--sandbox", "--auto-approve", str(config)]).exit_code == 0
    assert run_cli(["plan", "--sandbox", "--detailed-exitcode", str(config)]).exit_code == 0


def test_an_unwritable_output_is_a_clear_error_not_a_crash(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    missing = tmp_path / "no-such-dir"
    for args in (
        ["plan", "--sandbox", "--out", str(missing / "plan.json"), str(EXAMPLES)],
        [
            "apply",
            "--sandbox",
            "--auto-approve",
            "--journal",
            str(missing / "j.jsonl"),
            str(EXAMPLES),
        ],
        ["export", "--sandbox", "--zone", "example.com", "--out", str(missing / "x.yaml")],
    ):
        result = run_cli(args)
        assert result.exit_code == 1, args
        assert f"cannot write {missing}" in result.stderr and "internal error" not in result.stderr
    assert not missing.exists()


def test_setup_errors_read_as_one_plain_sentence(run_cli) -> None:  # type: ignore[no-untyped-def]
    result = run_cli(["plan", str(EXAMPLES)])
    assert result.stderr.startswith("error: CLOUDFLARE_API_TOKEN is not set — ")


def test_validate_shows_advice_as_warnings_and_still_passes(run_cli) -> None:  # type: ignore[no-untyped-def]
    fixture = ROOT / "tests" / "fixtures" / "config" / "warn-hostname-static-sets.yaml"
    text = run_cli(["validate", str(fixture)])
    assert text.exit_code == 0, text.stderr
    assert f"warning: {fixture}:14:35: game.example.com udp/27016 declares" in text.stderr
    github = run_cli(["validate", "--format", "github", str(fixture)])
    assert github.exit_code == 0
    assert github.stdout.startswith(f"::warning file={fixture},line=14,col=35::")


def test_a_github_annotation_of_a_path_names_the_file_and_no_line() -> None:
    # a directory with no YAML in it has no line 1 column 1 to point at
    problem = Problem(Location("empty,dir", 0, 0), "a directory with no *.yaml files")
    assert (
        github_annotation(problem) == "::error file=empty%2Cdir::a directory with no *.yaml files"
    )
