"""A saved plan is applied exactly as reviewed or not at all: any single field edited by hand,
the file cut short anywhere, or another format version is refused with one clear line (exit 1),
and nothing is written. Edited and re-sealed (the checksum recomputed, as anyone can), no single
field makes apply do anything but what the files and the live state give: the edit is refused,
or it is one that decides nothing and the apply is exactly a fresh apply of the files."""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import SCALE, app_config, extra_app, state_apps

from reconciler.render.plan_document import seal

pytestmark = pytest.mark.reliability


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path, value


def edited(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x" if value else "x"
    if value is None:
        return "x"
    return [*value, "x"] if isinstance(value, list) else {**value, "x": 1}


def set_at(document: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        document = document[step]
    document[path[-1]] = value


@pytest.fixture
def saved_plan(run_cli, tmp_path: Path) -> tuple[Path, Path, str]:  # type: ignore[no-untyped-def]
    """A sandbox with live apps, and a saved plan that creates, updates, recreates and deletes."""
    v1 = tmp_path / "v1"
    v1.mkdir()
    apps = [app_config(i) for i in range(8)] + [extra_app(f"old.{'example.com'}", 9000)]
    (v1 / "apps.yaml").write_text(json.dumps({"zone": "example.com", "apps": apps}))
    assert run_cli(["apply", "--sandbox", "--auto-approve", str(v1)]).exit_code == 0
    v2 = tmp_path / "v2"
    v2.mkdir()
    # Nine apps: with old.example.com still live while the plan runs, the sandbox account
    # holds ten hostnames on Cloudflare IPv4, its quota.
    changed = [app_config(i) for i in range(9)]
    changed[0] = {**changed[0], "tls": "strict"}  # update
    changed[3] = {**changed[3], "dns": {**changed[3]["dns"], "type": "CNAME"}}  # recreate
    del changed[3]["edge_ips"]
    document = {"zone": "example.com", "safety": {"max_destructive_percent": 100}, "apps": changed}
    (v2 / "apps.yaml").write_text(json.dumps(document))
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", "--sandbox", "--out", str(saved), str(v2)]).exit_code == 0
    summary = json.loads(saved.read_text())["summary"]
    assert summary["create"] and summary["update"] and summary["recreate"] and summary["delete"]
    state = tmp_path / ".spectrum-sandbox.json"
    return saved, state, saved.read_text()


def refused(run_cli, plan: Path, state: Path, text: str) -> str:  # type: ignore[no-untyped-def]
    before = state.read_bytes()
    plan.write_text(text)
    result = run_cli(["apply", "--sandbox", "--plan", str(plan)])
    assert result.exit_code == 1, (result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {plan}: "), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert state.read_bytes() == before  # nothing written
    return lines[0]


def test_every_single_field_edit_is_refused(run_cli, saved_plan, figures) -> None:  # type: ignore[no-untyped-def]
    plan, state, original = saved_plan
    document = json.loads(original)
    paths = list(leaves(document))
    if SCALE.plan_edits:
        paths = random.Random(1).sample(paths, min(SCALE.plan_edits, len(paths)))
    for path, value in paths:
        copy = json.loads(original)
        set_at(copy, path, edited(value))
        refused(run_cli, plan, state, json.dumps(copy, indent=2))
    figures(plan_file_field_edits=len(paths), plan_file_fields_total=len(list(leaves(document))))


def test_a_plan_cut_short_anywhere_is_refused(run_cli, saved_plan, figures) -> None:  # type: ignore[no-untyped-def]
    plan, state, original = saved_plan
    cuts = random.Random(2).sample(range(len(original) - 2), SCALE.plan_truncations)
    for cut in [0, 1, *cuts]:
        line = refused(run_cli, plan, state, original[:cut])
        assert "truncated" in line or "not valid JSON" in line or "not a plan" in line, line
    figures(plan_file_truncations=len(cuts) + 2)


@pytest.mark.parametrize("version", [0, 2, "1", None, 1.5, "missing"])
def test_another_format_version_is_refused_even_with_a_valid_checksum(
    version: Any, run_cli, saved_plan, figures
) -> None:  # type: ignore[no-untyped-def]
    plan, state, original = saved_plan
    document = json.loads(original)
    if version == "missing":
        del document["format_version"]
    else:
        document["format_version"] = version
    line = refused(run_cli, plan, state, json.dumps(seal(document)))
    assert "format_version" in line
    figures(plan_file_versions=1)


def test_the_untouched_plan_still_applies(run_cli, saved_plan) -> None:  # type: ignore[no-untyped-def]
    plan, _, original = saved_plan
    plan.write_text(original)
    assert run_cli(["apply", "--sandbox", "--plan", str(plan)]).exit_code == 0


# ---- re-sealed: the checksum recomputed after the edit ---------------------------------------


def live_apps(state: Path, kept: set[str]) -> list[str]:
    """The zone's apps, sorted, without the server's timestamps; an app's id is kept when it was
    live before the apply (a new app's id is random), so an app re-created where the files only
    update it shows as a difference."""
    apps = []
    for app in state_apps(state):
        rest = {k: v for k, v in app.items() if k not in ("created_on", "modified_on")}
        rest["id"] = app["id"] if app["id"] in kept else "new"
        apps.append(json.dumps(rest, sort_keys=True))
    return sorted(apps)


class Sandbox:
    """The sandbox's files (state and journal) as the saved plan found them, put back at will."""

    def __init__(self, state: Path) -> None:
        self.files = [state, state.with_name(state.name + ".journal")]
        self.saved = {path: path.read_bytes() for path in self.files}
        self.ids = {app["id"] for app in state_apps(state)}

    def restore(self) -> None:
        for path, content in self.saved.items():
            path.write_bytes(content)

    def unwritten(self) -> bool:
        return all(path.read_bytes() == content for path, content in self.saved.items())


def outcome(result, sandbox: Sandbox, fresh: list[str]) -> str:  # type: ignore[no-untyped-def]
    """What one apply of an edited, re-sealed plan did: ``refused`` (exit 3: not what the files
    and live state give), ``invalid`` (exit 1: no valid plan, or its files do not load) — both
    with one ``error:`` line and nothing written — ``harmless`` (exit 0, the zone exactly as a
    fresh apply of the files leaves it), or ``other``: anything else."""
    said = result.stdout + result.stderr
    if "Traceback" in said or "internal error" in said:
        return "other"
    if result.exit_code in (1, 3):
        lines = result.stderr.splitlines()
        one_line = result.stdout == "" and len(lines) == 1 and lines[0].startswith("error: ")
        clean = one_line and sandbox.unwritten()
        return ("refused" if result.exit_code == 3 else "invalid") if clean else "other"
    harmless = result.exit_code == 0 and live_apps(sandbox.files[0], sandbox.ids) == fresh
    return "harmless" if harmless else "other"


def test_no_resealed_single_field_edit_runs_anything_but_the_files(  # type: ignore[no-untyped-def]
    run_cli, saved_plan, figures
) -> None:
    plan, state, original = saved_plan
    document = json.loads(original)
    sandbox = Sandbox(state)
    before = live_apps(state, sandbox.ids)
    assert run_cli(["apply", "--sandbox", "--auto-approve", *document["sources"]]).exit_code == 0
    fresh = live_apps(state, sandbox.ids)  # what the files and the live state give
    assert fresh != before  # so an apply that wrote nothing is not taken for a harmless one
    sandbox.restore()
    # Every field but the checksum, which re-sealing writes over.
    paths = [(path, value) for path, value in leaves(document) if path != ("checksum",)]
    if SCALE.plan_edits:
        paths = random.Random(3).sample(paths, min(SCALE.plan_edits, len(paths)))
    seen: Counter[str] = Counter()
    others = []
    for path, value in paths:
        copy = json.loads(original)
        set_at(copy, path, edited(value))
        plan.write_text(json.dumps(seal(copy), indent=2))
        result = run_cli(["apply", "--sandbox", "--plan", str(plan)])
        kind = outcome(result, sandbox, fresh)
        seen[kind] += 1
        if kind == "other":
            others.append((path, result.exit_code, result.stderr[-300:]))
        sandbox.restore()
    figures(
        plan_file_resealed_edits=len(paths),
        plan_file_resealed_refused=seen["refused"],
        plan_file_resealed_invalid=seen["invalid"],
        plan_file_resealed_harmless=seen["harmless"],
        plan_file_resealed_other=seen["other"],
    )
    assert seen["other"] == 0, others
    assert seen["refused"] and seen["harmless"]  # both kinds of field are in the document
