"""What was reviewed is what runs: saved plans edited past their checksum, zones given as part of
their files, and two applies planned from the same live state. Each case goes through the CLI
against an emulator whose writes are counted; the zone is read after every run."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from reliability_helpers import (
    QUOTA_FLAGS,
    ZONE,
    extra_app,
    make_emulator,
    note,
    python_env,
    write_count,
    zone_id,
)

from reconciler.desired.configuration import ROOT_MARKER
from reconciler.emulator import Emulator, serve
from reconciler.render.plan_document import seal

pytestmark = pytest.mark.reliability

PROTECTED = f"db.{ZONE}"
NAMES = [PROTECTED, *(f"app{i}.{ZONE}" for i in range(5))]


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> Emulator:
    emulator = make_emulator()
    monkeypatch.setattr(Emulator, "sandbox", classmethod(lambda cls, path, zones=(), **_: emulator))
    return emulator


def apps(names: list[str], **fields: Any) -> list[dict[str, Any]]:
    return [{**extra_app(name, 2000 + NAMES.index(name)), **fields} for name in names]


def live_names(emulator: Emulator) -> list[str]:
    return sorted(a["dns"]["name"] for a in emulator.apps(zone_id(emulator)))


def write(path: Path, **document: Any) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"zone": ZONE, **document}))
    return str(path)


# ---- saved plans edited, the checksum recomputed --------------------------------------------

Edit = Callable[[dict[str, Any], str], None]


def _action(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(a for a in document["actions"] if a["key"]["dns_name"] == name)


def _snapshot_dropped(document: dict[str, Any], other_zone_id: str) -> None:
    document["live"]["zones"] = []


def _delete_renamed(document: dict[str, Any], other_zone_id: str) -> None:
    _action(document, PROTECTED)["key"]["dns_name"] = f"innocent.{ZONE}"


def _delete_retargeted(document: dict[str, Any], other_zone_id: str) -> None:
    protected_id = _action(document, PROTECTED)["app_id"]
    _action(document, f"app4.{ZONE}")["app_id"] = protected_id
    document["actions"].remove(_action(document, PROTECTED))


def _moved_to_another_zone(document: dict[str, Any], other_zone_id: str) -> None:
    action = _action(document, f"new.{ZONE}")
    action.update(zone="example.net", zone_id=other_zone_id)
    action["key"]["dns_name"] = "new.example.net"


def _body_edited(document: dict[str, Any], other_zone_id: str) -> None:
    _action(document, f"new.{ZONE}")["body"]["origin_direct"] = ["tcp://192.0.2.250:2999"]


def _action_dropped(document: dict[str, Any], other_zone_id: str) -> None:
    document["actions"].remove(_action(document, f"app4.{ZONE}"))


def _action_added(document: dict[str, Any], other_zone_id: str) -> None:
    extra = json.loads(json.dumps(_action(document, f"app4.{ZONE}")))
    app = next(
        a
        for a in document["live"]["zones"][0]["apps"].items()
        if a[1]["dns_name"] == f"app3.{ZONE}"
    )
    extra.update(app_id=app[0], before=app[1]["config"])
    extra["key"]["dns_name"] = f"app3.{ZONE}"
    document["actions"].append(extra)


def _create_turned_delete(document: dict[str, Any], other_zone_id: str) -> None:
    app3_id, app3 = next(
        item
        for item in document["live"]["zones"][0]["apps"].items()
        if item[1]["dns_name"] == f"app3.{ZONE}"
    )
    action = _action(document, f"new.{ZONE}")
    action.update(action="delete", app_id=app3_id, before=app3["config"], after=None, body=None)


EDITS: dict[str, Edit] = {
    "zone snapshot dropped": _snapshot_dropped,
    "protected delete renamed, id kept": _delete_renamed,
    "a delete pointed at the protected app's id": _delete_retargeted,
    "create moved to an undeclared zone": _moved_to_another_zone,
    "create body edited": _body_edited,
    "action dropped": _action_dropped,
    "delete added": _action_added,
    "create turned into a delete": _create_turned_delete,
}


@pytest.mark.parametrize("case", EDITS, ids=list(EDITS))
def test_an_edited_saved_plan_writes_nothing(  # type: ignore[no-untyped-def]
    run_cli, live: Emulator, tmp_path: Path, case: str
) -> None:
    assert (
        run_cli(
            ["apply", "--sandbox", "--auto-approve", write(tmp_path / "v1.yaml", apps=apps(NAMES))]
        ).exit_code
        == 0
    )
    live.reset_stats()
    desired = [*apps(NAMES[1:4]), extra_app(f"new.{ZONE}", 2999)]  # db and app4 deleted
    config = write(tmp_path / "v2" / "zone.yaml", protect=[PROTECTED], apps=desired)
    saved = tmp_path / "plan.json"
    assert run_cli(["plan", "--sandbox", "--out", str(saved), config]).exit_code == 0
    document = json.loads(saved.read_text())
    EDITS[case](document, str(live.ensure_zone("example.net")["id"]))
    saved.write_text(json.dumps(seal(document)))
    result = run_cli(["apply", "--sandbox", "--force", "--plan", str(saved)])
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    assert write_count(live.stats()) == 0 and PROTECTED in live_names(live)
    note(integrity_edited_plans=1, integrity_apps_lost=len(NAMES) - len(live_names(live)))


# ---- zones given as part of their files ----------------------------------------------------


def split_config(root: Path, marked: bool) -> list[Path]:
    """One zone over four files, its protect in the last; the root marked, or a git tree."""
    (root / (ROOT_MARKER if marked else ".git")).parent.mkdir(parents=True, exist_ok=True)
    (root / ROOT_MARKER).write_text("") if marked else (root / ".git").mkdir()
    files = [
        Path(write(root / "zone" / f"part{i}.yaml", apps=apps(NAMES[1 + i : 2 + i])))
        for i in range(3)
    ]
    files.append(
        Path(write(root / "zone" / "db.yaml", protect=[PROTECTED], apps=apps([PROTECTED])))
    )
    return files


@pytest.mark.parametrize("marked", [True, False], ids=["marker file", "git work tree"])
def test_every_subset_of_a_zones_files_loses_nothing(  # type: ignore[no-untyped-def]
    run_cli, live: Emulator, tmp_path: Path, marked: bool
) -> None:
    files = split_config(tmp_path / "config", marked)
    assert (
        run_cli(
            ["apply", "--sandbox", "--auto-approve", str(tmp_path / "config" / "zone")]
        ).exit_code
        == 0
    )
    before = live_names(live)
    live.reset_stats()
    subsets = [s for n in range(1, len(files)) for s in itertools.combinations(files, n)]
    for subset in subsets:
        result = run_cli(["apply", "--sandbox", "--auto-approve", "--force", *map(str, subset)])
        out = result.stdout + result.stderr
        assert "Traceback" not in out and "internal error" not in out
        if marked:  # the rest is loaded: nothing to do
            assert result.exit_code == 0 and "No changes" in result.stdout, out
        else:  # refused, naming every file left out
            assert result.exit_code == 1, out
            assert all(str(f) in result.stderr for f in files if f not in subset), out
    assert write_count(live.stats()) == 0 and live_names(live) == before
    note(
        partial_file_sets=len(subsets),
        partial_file_sets_apps_lost=len(before) - len(live_names(live)),
    )


# ---- two applies planned from the same live state --------------------------------------------


def test_the_second_of_two_saved_plans_is_stale_not_written(  # type: ignore[no-untyped-def]
    run_cli, live: Emulator, tmp_path: Path
) -> None:
    assert (
        run_cli(
            ["apply", "--sandbox", "--auto-approve", write(tmp_path / "v1.yaml", apps=apps(NAMES))]
        ).exit_code
        == 0
    )
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    tls = write(tmp_path / "a" / "zone.yaml", apps=apps(NAMES, tls="full"))
    firewall = write(tmp_path / "b" / "zone.yaml", apps=apps(NAMES, ip_firewall=False))
    assert run_cli(["plan", "--sandbox", "--out", str(first), tls]).exit_code == 0
    assert run_cli(["plan", "--sandbox", "--out", str(second), firewall]).exit_code == 0
    assert run_cli(["apply", "--sandbox", "--plan", str(first)]).exit_code == 0
    live.reset_stats()
    result = run_cli(["apply", "--sandbox", "--plan", str(second)])
    # Counted before the assertions, so a regression shows in the table as well as failing.
    overwrites = sum(a["tls"] != "full" for a in live.apps(zone_id(live)))
    note(concurrent_saved_plans=2, concurrent_overwrites=overwrites)
    assert result.exit_code == 3 and "stale" in result.stderr, result.stdout + result.stderr
    assert write_count(live.stats()) == 0
    assert overwrites == 0


def test_two_applies_racing_lose_nothing_and_say_what_they_did(tmp_path: Path) -> None:
    """Both planned from one live state and run at once: every app ends as one of them meant,
    none is lost or doubled, each run exits 0, 3 or 4, and an app both report done (the window
    between the re-read and the write) is counted."""
    emulator = make_emulator()
    names = [f"race{i}.{ZONE}" for i in range(40)]
    base = [extra_app(name, 3000 + i) for i, name in enumerate(names)]
    configs = []
    for label, fields in (("a", {"tls": "full"}), ("b", {"ip_firewall": False})):
        configs.append(write(tmp_path / label / "zone.yaml", apps=[{**a, **fields} for a in base]))
    with serve(emulator) as running:
        api = ["--base-url", running.base_url, "--rate-limit", "1000000/1"]
        # 40 hostnames on Cloudflare IPv4: the account's quota is raised, as the suite's others.
        run = [sys.executable, "-m", "reconciler", "apply", *QUOTA_FLAGS, "--auto-approve", *api]
        subprocess.run(
            [*run, write(tmp_path / "v1" / "zone.yaml", apps=base)],
            env=python_env(),
            check=True,
            capture_output=True,
        )
        racers = [
            subprocess.Popen(
                [*run, c],
                env=python_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for c in configs
        ]
        results = [(r.wait(timeout=120), *r.communicate()) for r in racers]
    for code, out, err in results:
        assert code in (0, 3, 4), err[-2000:]
        assert "Traceback" not in out + err and "internal error" not in out + err
    final = emulator.apps(zone_id(emulator))
    assert sorted(a["dns"]["name"] for a in final) == sorted(names)
    done = [
        {line.split()[3] for line in out.splitlines() if line.startswith("done")}
        for _, out, _ in results
    ]
    note(concurrent_race_apps=len(names), concurrent_race_both_done=len(done[0] & done[1]))
