"""The configuration root: a zone is never planned from part of its files.

The root is the nearest directory upward holding ``spectrum-reconciler.toml``, else the top of
the git work tree. Every file under it that declares a zone the given paths touch is loaded with
them (and said); ``--zone NAME`` narrows a run to those zones of the whole configuration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired.configuration import ROOT_MARKER, find_root, load_configuration
from reconciler.emulator import Emulator
from reconciler.errors import ConfigError, ReconcilerError
from tests.conftest import make_emulator


def app(name: str, port: int, zone: str = "example.com") -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"{name}.{zone}"},
        "protocol": f"tcp/{port}",
        "origin_direct": [f"tcp://192.0.2.1:{port}"],
    }


def write(path: Path, **document: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2))
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A configuration root: under zones/, example.com split over two files (protect in the
    one not given) and example.net in a third; beside it, files that only mention example.com
    and a hidden one that would declare it."""
    root = tmp_path / "config"
    (root / "nested").mkdir(parents=True)
    (root / ROOT_MARKER).write_text("")
    write(
        root / "zones" / "example.com" / "services.yaml", zone="example.com", apps=[app("web", 80)]
    )
    write(
        root / "zones" / "example.com" / "byoip.yaml",
        zone="example.com",
        protect=["ssh.example.com"],
        apps=[app("ssh", 22)],
    )
    write(
        root / "zones" / "example.net" / "apps.yaml",
        zone="example.net",
        apps=[app("a", 22, "example.net")],
    )
    (root / "notes.yaml").write_text("# example.com is our zone\ntitle: example.com\n")
    (root / ".github" / "ci.yaml").parent.mkdir()
    (root / ".github" / "ci.yaml").write_text("zone: example.com\nbroken: [\n")
    return root


def names(state: Any) -> list[str]:
    return sorted(a.key.dns_name for a in state.apps)


class TestRoot:
    def test_the_nearest_marker_file_wins_over_the_git_work_tree(self, tmp_path: Path) -> None:
        (tmp_path / ".git").mkdir()
        (tmp_path / "ops" / "zones").mkdir(parents=True)
        (tmp_path / "ops" / ROOT_MARKER).write_text("")
        assert find_root(tmp_path / "ops" / "zones") == tmp_path / "ops"

    def test_else_the_top_of_the_git_work_tree(self, tmp_path: Path) -> None:
        (tmp_path / ".git").write_text("gitdir: elsewhere\n")  # a worktree's .git is a file
        (tmp_path / "a" / "b").mkdir(parents=True)
        assert find_root(tmp_path / "a" / "b" / "x.yaml") == tmp_path

    def test_no_root_outside_any(self, tmp_path: Path) -> None:
        assert find_root(tmp_path) is None or find_root(tmp_path) != tmp_path


class TestPartialFileSets:
    def test_every_file_declaring_a_touched_zone_is_loaded_and_said(self, config: Path) -> None:
        state = load_configuration([config / "zones" / "example.com" / "services.yaml"])
        assert names(state) == ["ssh.example.com", "web.example.com"]
        assert [z.name for z in state.zones] == ["example.com"]
        assert state.zones[0].guardrails.protect == ("ssh.example.com",)
        (said,) = state.notes
        assert said.location and said.location.file.endswith("byoip.yaml")
        assert "example.com" in said.message and str(config) in said.message

    def test_a_zone_given_whole_loads_nothing_more(self, config: Path) -> None:
        state = load_configuration([config / "zones" / "example.net"])
        assert names(state) == ["a.example.net"] and state.notes == ()

    def test_a_broken_file_that_declares_the_zone_refuses_the_run(self, config: Path) -> None:
        write(config / "zones" / "example.com" / "late.yaml", zone="example.com", apps=[{"dns": 1}])
        with pytest.raises(ConfigError) as raised:
            load_configuration([config / "zones" / "example.com" / "services.yaml"])
        assert any("late.yaml" in str(p) for p in raised.value.problems)

    def test_without_a_root_the_given_paths_are_the_configuration(self, tmp_path: Path) -> None:
        alone = write(tmp_path / "solo" / "a.yaml", zone="example.com", apps=[app("x", 1)])
        write(tmp_path / "solo2" / "b.yaml", zone="example.com", apps=[app("y", 2)])
        if find_root(alone) is None:
            assert names(load_configuration([alone])) == ["x.example.com"]

    def test_under_a_git_tree_without_the_marker_the_files_left_out_are_named(
        self, config: Path
    ) -> None:
        (config / ROOT_MARKER).unlink()
        (config / ".git").mkdir()
        with pytest.raises(ConfigError) as raised:
            load_configuration([config / "zones" / "example.com" / "services.yaml"])
        (problem,) = raised.value.problems
        assert problem.location and problem.location.file.endswith("byoip.yaml")
        assert "was not given" in problem.message and ROOT_MARKER in problem.message
        assert names(load_configuration([config / "zones" / "example.com"])) == [
            "ssh.example.com",
            "web.example.com",
        ]


class TestZoneOption:
    def test_only_the_named_zones_from_the_whole_configuration(self, config: Path) -> None:
        state = load_configuration([], zones=["example.com"], cwd=config / "nested")
        assert names(state) == ["ssh.example.com", "web.example.com"]

    def test_given_paths_narrowed_to_a_zone(self, config: Path) -> None:
        state = load_configuration([config / "zones"], zones=["EXAMPLE.NET"])
        assert names(state) == ["a.example.net"]

    def test_a_zone_no_file_declares_is_an_error(self, config: Path) -> None:
        with pytest.raises(ReconcilerError, match=r"example\.org"):
            load_configuration([config / "zones"], zones=["example.org"])

    def test_no_paths_and_no_root_is_an_error(self, tmp_path: Path) -> None:
        if find_root(tmp_path) is None:
            with pytest.raises(ReconcilerError, match=ROOT_MARKER):
                load_configuration([], zones=["example.com"], cwd=tmp_path)


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator = make_emulator()
    monkeypatch.setattr(Emulator, "sandbox", classmethod(lambda cls, path, zones=(), **_: emulator))
    return emulator


def live_names(emulator: Emulator) -> list[str]:
    return sorted(
        a["dns"]["name"] for a in emulator.apps(emulator.ensure_zone("example.com")["id"])
    )


class TestThroughTheCommandLine:
    def test_apply_of_one_file_keeps_the_app_another_file_protects(  # type: ignore[no-untyped-def]
        self, run_cli, live: Emulator, config: Path
    ) -> None:
        assert (
            run_cli(["apply", "--sandbox", "--auto-approve", str(config / "zones")]).exit_code == 0
        )
        byoip = config / "zones" / "example.com" / "byoip.yaml"
        write(byoip, zone="example.com", protect=["ssh.example.com"], apps=[])
        services = str(config / "zones" / "example.com" / "services.yaml")
        result = run_cli(["apply", "--sandbox", "--auto-approve", "--force", services])
        assert result.exit_code == 3, result.stderr
        assert "byoip.yaml" in result.stderr
        assert live_names(live) == ["ssh.example.com", "web.example.com"]

    def test_plan_with_zone_plans_only_that_zone(  # type: ignore[no-untyped-def]
        self, run_cli, live: Emulator, config: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.chdir(config)
        result = run_cli(["plan", "--sandbox", "--zone", "example.net"])
        assert result.exit_code == 0, result.stderr
        assert "a.example.net" in result.stdout and "example.com" not in result.stdout
