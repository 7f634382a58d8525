"""A saved plan is applied exactly as reviewed or not at all: any single field edited by hand,
the file cut short anywhere, or another format version is refused with one clear line (exit 1),
and nothing is written."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import SCALE, app_config, extra_app

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
    changed = [app_config(i) for i in range(10)]
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
