"""A new user's first run (issue 15): every failure is one line that names the input and the fix.

In-process through the CLI (``run_cli``) except where the console script's own one-line usage
errors are the point.
"""

from __future__ import annotations

import io
import logging
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.cli import options
from reconciler.emulator import serve
from tests.conftest import EXAMPLES, make_emulator
from tests.test_cli import app, write_zone

Run = Any  # the run_cli fixture


def one_error_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    return lines[0]


# --- item 4: zone names, and export writes only files that validate ------------------------


@pytest.mark.parametrize("zone", ["", "not a zone!", "-bad-.com"])
def test_export_refuses_what_is_not_a_zone_name_and_creates_nothing(
    run_cli: Run, tmp_path: Path, zone: str
) -> None:
    out = tmp_path / "out.yaml"
    result = run_cli(["export", "--sandbox", "--zone", zone, "--out", str(out)])
    assert result.exit_code != 0  # a usage error: 1 from the console script (see below)
    assert "--zone" in result.stderr and "example.com" in result.stderr  # the fix: a domain
    assert not out.exists()
    sandbox = tmp_path / ".spectrum-sandbox.json"
    assert not sandbox.exists() or zone not in sandbox.read_text()


def test_an_exported_file_validates_and_plans_to_nothing(run_cli: Run, tmp_path: Path) -> None:
    assert run_cli(["apply", "--sandbox", "--auto-approve", str(EXAMPLES)]).exit_code == 0
    out = tmp_path / "exported.yaml"
    assert (
        run_cli(["export", "--sandbox", "--zone", "example.com", "--out", str(out)]).exit_code == 0
    )
    assert run_cli(["validate", str(out)]).exit_code == 0
    assert run_cli(["plan", "--sandbox", "--detailed-exitcode", str(out)]).exit_code == 0


# --- item 10: $schema points at a stable place ----------------------------------------------


def exported(run_cli: Run, out: Path, *extra: str) -> str:
    result = run_cli(["export", "--sandbox", "--zone", "example.com", "--out", str(out), *extra])
    assert result.exit_code == 0, result.stderr
    return out.read_text()


def test_export_never_points_the_schema_into_the_installed_package(
    run_cli: Run, tmp_path: Path
) -> None:
    text = exported(run_cli, tmp_path / "apps.yaml")
    assert "site-packages" not in text and "reconciler/schemas" not in text
    assert "$schema" not in text  # no stable place known: no modeline at all


def test_export_points_at_the_schema_the_user_names(run_cli: Run, tmp_path: Path) -> None:
    url = "https://example.org/desired-state.schema.json"
    text = exported(run_cli, tmp_path / "apps.yaml", "--schema-ref", url)
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={url}"


def test_export_finds_a_schemas_directory_above_the_output(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "desired-state.schema.json").write_text("{}")
    (tmp_path / "zones").mkdir()
    text = exported(run_cli, tmp_path / "zones" / "apps.yaml")
    expected = "# yaml-language-server: $schema=../schemas/desired-state.schema.json"
    assert text.splitlines()[0] == expected


# --- item 5: inputs that used to be "internal error: <Python exception>" --------------------


def test_a_corrupt_sandbox_file_is_named_with_how_to_start_again(
    run_cli: Run, tmp_path: Path
) -> None:
    (tmp_path / ".spectrum-sandbox.json").write_text("{corrupt")
    result = run_cli(["plan", "--sandbox", str(EXAMPLES)])
    line = one_error_line(result.stderr)
    assert result.exit_code == 1
    assert ".spectrum-sandbox.json" in line and "delete it" in line


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_an_emulator_port_out_of_range_is_a_usage_error(run_cli: Run, port: str) -> None:
    result = run_cli(["emulator", "--port", port])
    assert result.exit_code != 0 and "--port" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_an_emulator_port_in_use_says_so_and_how_to_pick_another(
    run_cli: Run, busy_port: int
) -> None:
    result = run_cli(["emulator", "--port", str(busy_port)])
    line = one_error_line(result.stderr)
    assert result.exit_code == 1
    assert f"127.0.0.1:{busy_port}" in line and "--port" in line


def test_an_unwritable_state_path_is_named(run_cli: Run, tmp_path: Path) -> None:
    where = tmp_path / "missing" / "state.json"
    result = run_cli(["emulator", "--port", "0", "--state", str(where)])
    line = one_error_line(result.stderr)
    assert result.exit_code == 1
    assert str(where) in line and "writable" in line


def test_a_state_file_that_is_not_one_is_named(run_cli: Run, tmp_path: Path) -> None:
    where = tmp_path / "state.json"
    where.write_text("[]")
    result = run_cli(["emulator", "--port", "0", "--state", str(where)])
    line = one_error_line(result.stderr)
    assert result.exit_code == 1 and str(where) in line and "delete" in line


def test_a_bad_emulator_zone_name_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli(["emulator", "--port", "0", "--zone", "bad zone!"])
    assert result.exit_code != 0
    assert '"bad zone!" is not a zone name' in result.stderr


def test_usage_errors_are_one_line_with_where_the_help_is() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", "export", "--sandbox", "--zone", "not a zone!"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    line = one_error_line(done.stderr)
    assert done.returncode == 1
    assert line.startswith("error: Invalid value for '--zone'")
    assert line.endswith("(see spectrum-reconciler export --help)")


# --- item 11: --sandbox with a URL ------------------------------------------------------------


def test_sandbox_with_base_url_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli(
        ["plan", "--sandbox", "--base-url", "http://127.0.0.1:1/client/v4", str(EXAMPLES)]
    )
    assert result.exit_code != 0 and "--sandbox and --base-url" in result.stderr


def test_the_sandbox_wins_over_cloudflare_base_url(run_cli: Run) -> None:
    env = {"CLOUDFLARE_BASE_URL": "http://127.0.0.1:1/client/v4"}  # nothing listens there
    result = run_cli(["plan", "--sandbox", str(EXAMPLES)], env=env)
    assert result.exit_code == 0, result.stderr


# --- item 8: each outcome once ----------------------------------------------------------------


def test_off_a_terminal_each_outcome_is_printed_once(run_cli: Run, tmp_path: Path) -> None:
    config = write_zone(tmp_path / "c", [app("a", 1001), app("b", 1002)])
    result = run_cli(["apply", "--sandbox", "--auto-approve", config])
    assert result.exit_code == 0, result.stderr
    both = result.stdout + result.stderr
    assert both.count("a.example.com tcp/1001") == 2  # once in the plan, once as its outcome
    assert result.stderr.splitlines() == ["applying: 2 done, 0 failed, 0 skipped of 2"]  # its end


# --- item 9: diff says what it compared -------------------------------------------------------


def test_diff_without_changes_does_not_claim_to_have_read_live_state(
    run_cli: Run, tmp_path: Path
) -> None:
    old = write_zone(tmp_path / "old", [app("a", 1001)])
    new = write_zone(tmp_path / "new", [app("a", 1001)])
    result = run_cli(["diff", old, new])
    assert result.exit_code == 0
    assert "Live state" not in result.stdout
    assert "No changes. The two configurations match (1 unchanged)." in result.stdout


# --- item 14: help that tells the truth -------------------------------------------------------


def test_emulator_help_describes_every_option(run_cli: Run) -> None:
    text = " ".join(run_cli(["emulator", "--help"]).stdout.split())
    assert "Log every request answered." in text
    assert "Delay every API answer" in text and "meet a fault" in text and "Seed" in text
    assert "--byoip-prefix" in text and "(repeatable)" in text


@pytest.mark.parametrize("command", ["validate", "diff", "import-terraform"])
def test_offline_commands_do_not_offer_a_request_log(run_cli: Run, command: str) -> None:
    assert "Log every request" not in run_cli([command, "--help"]).stdout


def test_top_level_help_lists_every_command_that_exits_2(run_cli: Run) -> None:
    text = " ".join(run_cli(["--help"]).stdout.split())
    assert "diff --detailed-exitcode" in text and "plan --detailed-exitcode" in text


def test_the_emulator_logs_each_request_at_info(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="reconciler.emulator.server")
    with serve(make_emulator(), port=0) as server, httpx.Client() as http:
        http.get(server.base_url + "/zones", headers={"Authorization": "Bearer secret-token"})
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "GET /client/v4/zones" in logged and "secret-token" not in logged


# --- item 15: NO_COLOR ----------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("value", "color"), [(None, True), ("", True), ("1", False)])
def test_only_a_non_empty_no_color_turns_colour_off(
    monkeypatch: pytest.MonkeyPatch, value: str | None, color: bool
) -> None:
    if value is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", value)
    assert options.use_color(Terminal()) is color


COLOUR_VARIABLES = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE")


@pytest.mark.parametrize(
    ("env", "terminal", "color"),
    [
        ({}, False, False),  # a pipe: no colour unless asked
        ({"FORCE_COLOR": "1"}, False, True),
        ({"FORCE_COLOR": "true"}, False, True),  # any non-empty value forces (force-color.org)
        ({"CLICOLOR_FORCE": "1"}, False, True),
        ({"FORCE_COLOR": ""}, False, False),  # empty is unset
        ({"FORCE_COLOR": "0"}, False, False),  # 0 forces nothing: the terminal decides
        ({"CLICOLOR_FORCE": "0"}, True, True),
        ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, True, False),  # NO_COLOR wins over both
        ({"NO_COLOR": "1", "CLICOLOR_FORCE": "1"}, False, False),
        ({"NO_COLOR": "", "FORCE_COLOR": "1"}, False, True),  # an empty NO_COLOR says nothing
    ],
)
def test_colour_precedence_no_color_then_forcing_then_the_terminal(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], terminal: bool, color: bool
) -> None:
    for name in COLOUR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    stream = Terminal() if terminal else io.StringIO()
    assert options.use_color(stream) is color


def test_force_color_colours_a_piped_plan(run_cli: Run, tmp_path: Path) -> None:
    config = write_zone(tmp_path / "apps", [app("a", 1001)])
    assert "\x1b[" not in run_cli(["plan", "--sandbox", config]).stdout
    assert "\x1b[" in run_cli(["plan", "--sandbox", config], env={"FORCE_COLOR": "1"}).stdout


# --- item 13: plurals -------------------------------------------------------------------------


def test_counts_take_the_right_plural(run_cli: Run, tmp_path: Path) -> None:
    one = write_zone(tmp_path / "one", [app("a", 1001)])
    assert "valid: 1 app in 1 zone" in run_cli(["validate", one]).stderr
    two = write_zone(tmp_path / "two", [app("a", 1001), app("b", 1002)])
    assert "valid: 2 apps in 1 zone" in run_cli(["validate", two]).stderr


def test_import_terraform_counts_take_the_right_plural(run_cli: Run) -> None:
    from tests.conftest import FIXTURES

    result = run_cli(
        ["import-terraform", str(FIXTURES / "terraform" / "v4-show.json"), "--out", "c"]
    )
    assert result.exit_code == 0, result.stderr
    assert re.search(r"imported \d+ apps of 1 zone into", result.stderr), result.stderr
