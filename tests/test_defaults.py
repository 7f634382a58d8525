"""Defaults for any flag: a flag beats its environment variable, which beats the file
(``spectrum-reconciler.toml``'s ``[defaults]``, or ``pyproject.toml``), which beats the built-in
default. A bad file is one located line and exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
import pytest

from reconciler.cli import cli
from reconciler.cli.defaults import envvar_name, settable
from tests.conftest import EXAMPLES


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """The examples, at a configuration root of their own (their marker file is kept)."""
    copy = tmp_path / "config"
    shutil.copytree(EXAMPLES, copy)
    return copy


def write_defaults(config: Path, text: str) -> Path:
    marker = config / "spectrum-reconciler.toml"
    marker.write_text(text)
    return marker


def plan_format(run_cli, config: Path, *flags: str, env: dict[str, str] | None = None) -> str:  # type: ignore[no-untyped-def]
    """Which format plan printed in: text, json or markdown."""
    result = run_cli(["plan", "--sandbox", *flags, str(config)], env=env)
    assert result.exit_code == 0, result.stderr
    if result.stdout.startswith("{"):
        return "json"
    return "markdown" if result.stdout.startswith("<!--") else "text"


ENV = {"SPECTRUM_RECONCILER_PLAN_FORMAT": "markdown"}


class TestPrecedence:
    def test_built_in_default_without_a_file_or_variable(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        assert plan_format(run_cli, config) == "text"

    def test_the_file_beats_the_built_in_default(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        write_defaults(config, '[defaults]\nformat = "json"\n')
        assert plan_format(run_cli, config) == "json"

    def test_the_environment_beats_the_file(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        write_defaults(config, '[defaults]\nformat = "json"\n')
        assert plan_format(run_cli, config, env=ENV) == "markdown"

    def test_the_flag_beats_the_environment_and_the_file(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        write_defaults(config, '[defaults]\nformat = "json"\n')
        assert plan_format(run_cli, config, "--format", "text", env=ENV) == "text"

    def test_a_command_table_beats_the_shared_one(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        write_defaults(
            config, '[defaults]\nformat = "json"\n[defaults.plan]\nformat = "markdown"\n'
        )
        assert plan_format(run_cli, config) == "markdown"

    def test_pyproject_tool_table_when_there_is_no_marker_file(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        (config / "spectrum-reconciler.toml").unlink()
        (config / ".git").mkdir()  # the git work tree's top is then the root
        (config / "pyproject.toml").write_text(
            '[project]\nname = "x"\n[tool.spectrum-reconciler.defaults]\nformat = "json"\n'
        )
        assert plan_format(run_cli, config, str(config / "example.net")) == "json"

    def test_a_shared_key_skips_the_commands_that_refuse_its_value(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        write_defaults(config, '[defaults]\nformat = "markdown"\n')  # validate: text|github
        result = run_cli(["validate", str(config)])
        assert result.exit_code == 0 and "valid:" in result.stderr

    def test_a_repeatable_flag_takes_a_list(self, run_cli, config) -> None:  # type: ignore[no-untyped-def]
        write_defaults(config, '[defaults.plan]\nzone = ["example.net"]\n')
        result = run_cli(["plan", "--sandbox", str(config)])
        assert result.exit_code == 0, result.stderr
        assert "example.net" in result.stdout and "example.com" not in result.stdout


@pytest.mark.parametrize(
    ("text", "where", "says"),
    [
        ("[defaults]\nparalelism = 8\n", "2:1", "unknown key 'paralelism'"),
        ("[defaults]\nrate_limit = '1/1'\n", "2:1", "rate-limit?"),
        ("# why\n[defaults]\n  parallelism = '8'\n", "3:3", "takes integer values, not str"),
        ("[defaults.apply]\nparallelism = 99\n", "2:1", "99 is not in the range"),
        ("[defaults.plan]\nzone = 'example.com'\n", "2:1", "give a list"),
        ("[defaults]\ntraffic-window = 'a day'\n", "2:1", "not a duration like 30s"),
        ("[defaults]\nrate-limit = 'fast'\n", "2:1", "is not N/SECONDS"),
        ("[defaults.plan]\nzone = ['not a zone']\n", "2:1", "--zone (for plan): "),
        ("[defaults]\nsandbox = 'yes'\n", "2:1", "takes boolean values"),
        ("[defaults]\nforce = true\n", "2:1", "--force cannot be set from a file"),
        ("[defaults.apply]\nbreak-glass = 'x'\n", "2:1", "--break-glass cannot be set"),
        ("[defaults.emulator]\ntoken = 'x'\n", "2:1", "--token cannot be set from a file"),
        ("[defaults.deploy]\nx = 1\n", "1:1", "no command 'deploy'"),
        ("token = 'x'\n", "1:1", "unknown key 'token'"),
        ("[defaults\n", "1:10", "not valid TOML"),
    ],
)
def test_a_bad_file_is_one_located_line_and_exit_1(  # type: ignore[no-untyped-def]
    run_cli, config, text: str, where: str, says: str
) -> None:
    marker = write_defaults(config, text)
    result = run_cli(["plan", "--sandbox", str(config)])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"{marker}:{where}: " in line and says in line
    assert "Traceback" not in result.stderr


def test_help_works_beside_a_bad_file(run_cli, config) -> None:  # type: ignore[no-untyped-def]
    # --help is how one learns which keys the file may hold: a bad file must not hide it
    write_defaults(config, "[defaults]\nbogus = 1\n")
    result = run_cli(["plan", str(config), "--help"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("Usage:")


def test_pyproject_refuses_other_keys_in_its_tool_table(run_cli, config) -> None:  # type: ignore[no-untyped-def]
    (config / "spectrum-reconciler.toml").unlink()
    (config / ".git").mkdir()
    pyproject = config / "pyproject.toml"
    pyproject.write_text('[project]\nname = "x"\n\n[tool.spectrum-reconciler]\nformat = "json"\n')
    result = run_cli(["plan", "--sandbox", str(config)])
    assert result.exit_code == 1
    assert f"{pyproject}:5:1: unknown key 'format' (this file holds a [defaults] table)" in (
        result.stderr
    )


def test_paths_under_two_roots_with_different_files_take_the_current_directorys(  # type: ignore[no-untyped-def]
    run_cli, config, tmp_path
) -> None:
    old = tmp_path / "old"  # diff OLD NEW of two checkouts
    shutil.copytree(config, old)
    write_defaults(config, '[defaults]\nformat = "json"\n')
    write_defaults(old, '[defaults]\nformat = "markdown"\n')

    def diff_prints() -> str:
        result = run_cli(["diff", str(old), str(config)])
        assert result.exit_code == 0, result.stderr
        return result.stdout[:1]

    assert diff_prints() not in ("{", "<")  # run from tmp_path: neither file, text
    (tmp_path / "spectrum-reconciler.toml").write_text('[defaults.diff]\nformat = "json"\n')
    assert diff_prints() == "{"


def every_command() -> dict[str, click.Command]:
    group = cli
    assert isinstance(group, click.Group)
    with click.Context(group) as ctx:
        found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def test_every_option_of_every_command_has_its_variable() -> None:
    for name, command in every_command().items():
        for flag, option in settable(command).items():
            wanted = f"SPECTRUM_RECONCILER_{name}_{flag}".upper().replace("-", "_")
            given = [option.envvar] if isinstance(option.envvar, str) else option.envvar
            assert wanted == envvar_name(name, option) and wanted in (given or []), flag


def test_no_variable_takes_the_name_of_one_that_already_means_something() -> None:
    meaning = {"SPECTRUM_RECONCILER_PLAN_KEY", "SPECTRUM_RECONCILER_WEBHOOK_SECRET"}
    names = {
        envvar_name(name, option)
        for name, command in every_command().items()
        for option in settable(command).values()
    }
    assert names.isdisjoint(meaning)
    assert not any("TOKEN" in n and not n.endswith("EMULATOR_TOKEN") for n in names)


def test_the_old_webhook_variable_still_works_beside_the_new_one() -> None:
    option = settable(every_command()["reconcile"])["notify-webhook"]
    assert option.envvar == [
        "SPECTRUM_RECONCILER_NOTIFY_WEBHOOK",
        "SPECTRUM_RECONCILER_RECONCILE_NOTIFY_WEBHOOK",
    ]
