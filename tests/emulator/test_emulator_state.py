"""Persistence: state survives a reload, every write lands atomically, --sandbox set-up."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from emulator_helpers import apps_url, client_for, create, make_emulator, static_app, tcp_app

from reconciler.emulator import DOCUMENTATION_PREFIXES, Emulator, EmulatorConfig, StateFileError


def test_state_survives_a_reload(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        kept = create(client, zone_id, static_app())
        gone = create(client, zone_id, tcp_app())
        client.delete(apps_url(zone_id, gone["id"]))
    again = Emulator(EmulatorConfig(state_file=state))
    assert again.apps(zone_id) == [kept]
    assert again.account_id == emu.account_id
    with client_for(again) as client:
        prefixes = client.get(f"/accounts/{again.account_id}/addressing/prefixes").json()
        assert len(prefixes["result"]) == 2
        assert client.get(apps_url(zone_id, kept["id"])).json()["result"] == kept


def test_missing_file_is_empty_state_and_gets_written(tmp_path: Path) -> None:
    state = tmp_path / "fresh.json"
    emu = Emulator(EmulatorConfig(state_file=state))
    assert state.exists() and json.loads(state.read_text())["apps"] == {}
    assert emu.stats()["total"] == 0


def test_every_committed_write_is_persisted_through_a_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    renames: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: str, dst: str) -> None:
        # At the moment of the rename the temporary file is complete and loadable.
        assert json.loads(Path(src).read_text())["version"] == 1
        renames.append((str(src), str(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    with client_for(emu) as client:
        app = create(client, zone_id, tcp_app())
        client.get(apps_url(zone_id))  # reads do not write
        client.post(apps_url(zone_id), json=tcp_app(origin_direct=None))  # refused: no write
        client.put(apps_url(zone_id, app["id"]), json=tcp_app(tls="full"))
        client.delete(apps_url(zone_id, app["id"]))
    assert len(renames) == 3
    assert all(dst == str(state) and Path(src).parent == tmp_path for src, dst in renames)
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]  # no temporary left over


def test_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    before = state.read_text()

    def broken(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(StateFileError, match=r"state\.json: cannot write it: disk gone"):
        emu.ensure_zone("new.example")
    assert state.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"something": "else"}')
    with pytest.raises(ValueError, match="not an emulator state file"):
        Emulator(EmulatorConfig(state_file=state))


def test_sandbox_onboards_the_documentation_prefixes(tmp_path: Path) -> None:
    path = tmp_path / ".spectrum-sandbox.json"
    emu = Emulator.sandbox(path, zones=["example.com"])
    saved = json.loads(path.read_text())
    assert {p["cidr"] for p in saved["prefixes"]} == set(DOCUMENTATION_PREFIXES)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        body = static_app(edge_ips={"type": "static", "ips": ["203.0.113.9", "2001:DB8::1"]})
        create(client, zone_id, body)
    reopened = Emulator.sandbox(path)
    assert len(reopened.apps(zone_id)) == 1
    assert len(json.loads(path.read_text())["prefixes"]) == 3  # not onboarded twice


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{corrupt", "not JSON"),
        ('{"version": 1}', "not an emulator state file (no account field)"),
        ("[]", "not an emulator state file of version"),
    ],
)
def test_an_unusable_state_file_is_named_with_its_reason(
    tmp_path: Path, content: str, reason: str
) -> None:
    state = tmp_path / "state.json"
    state.write_text(content)
    with pytest.raises(StateFileError) as raised:
        Emulator(EmulatorConfig(state_file=state))
    assert str(raised.value).startswith(f"{state}: {reason}")
    assert not raised.value.writing
