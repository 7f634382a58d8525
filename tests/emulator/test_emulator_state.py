"""Persistence: a snapshot plus an append-only journal; every acknowledged write is on disk before
its answer, survives a crash at any point, and one process at a time holds the state."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time
from pathlib import Path

import pytest
from emulator_helpers import apps_url, client_for, create, make_emulator, static_app, tcp_app

from reconciler.emulator import (
    DOCUMENTATION_PREFIXES,
    Emulator,
    EmulatorConfig,
    StateFileError,
    StateLocked,
    persistence,
    read_state,
)


def journal_of(state: Path) -> Path:
    return state.with_name(state.name + ".journal")


def journal_lines(state: Path) -> list[object]:
    return [json.loads(line) for line in journal_of(state).read_text().splitlines()]


def crash_copy(state: Path, into: Path) -> Path:
    """The files exactly as a SIGKILL at this moment would leave them."""
    into.mkdir()
    shutil.copy(state, into / state.name)
    shutil.copy(journal_of(state), journal_of(into / state.name))
    return into / state.name


def test_state_survives_a_reload(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        kept = create(client, zone_id, static_app())
        gone = create(client, zone_id, tcp_app())
        client.delete(apps_url(zone_id, gone["id"]))
    emu.close()
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


def test_each_committed_write_appends_one_line_and_rewrites_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    renames: list[str] = []
    monkeypatch.setattr(os, "replace", lambda src, dst: renames.append(dst))
    before = len(journal_lines(state))
    with client_for(emu) as client:
        app = create(client, zone_id, tcp_app())
        client.get(apps_url(zone_id))  # reads do not write
        client.post(apps_url(zone_id), json=tcp_app(origin_direct=None))  # refused: no write
        client.put(apps_url(zone_id, app["id"]), json=tcp_app(tls="full"))
        client.delete(apps_url(zone_id, app["id"]))
    lines = journal_lines(state)[before:]
    assert [next(iter(change[0])) for change in lines] == ["put", "put", "delete"]  # type: ignore[index]
    assert renames == []  # the snapshot is not rewritten per write


def test_an_acknowledged_write_is_on_disk_before_its_answer_returns(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        app = create(client, zone_id, tcp_app())
        assert read_state(state)["apps"][zone_id] == [app]  # type: ignore[index]
        killed = crash_copy(state, tmp_path / "killed")
    restarted = Emulator(EmulatorConfig(state_file=killed))
    assert restarted.apps(zone_id) == [app]


def test_a_torn_last_line_is_ignored_and_cut_before_the_next_append(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        first = create(client, zone_id, tcp_app())
    killed = crash_copy(state, tmp_path / "killed")
    with journal_of(killed).open("ab") as journal:  # power lost mid-append of a long line
        journal.write(b'[{"put":"' + zone_id.encode() + b'","app":{"id":"half' + b"x" * 5000)
    restarted = Emulator(EmulatorConfig(state_file=killed))
    assert restarted.apps(zone_id) == [first]
    with client_for(restarted) as client:
        second = create(client, zone_id, tcp_app("two.example.com"))
    assert sorted(a["id"] for a in read_state(killed)["apps"][zone_id]) == sorted(  # type: ignore[index]
        [first["id"], second["id"]]
    )
    assert journal_of(killed).read_bytes().endswith(b"]\n")  # nothing of the torn line is left


def test_the_journal_is_folded_into_the_snapshot_once_it_outgrows_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(persistence, "MIN_COMPACT_BYTES", 0)
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        created = [create(client, zone_id, tcp_app(f"a{i}.example.com")) for i in range(40)]
    snapshot = json.loads(state.read_text())
    assert len(journal_lines(state)) < 40  # compacted along the way
    assert journal_lines(state)[0] == {"journal": snapshot["journal"]}
    assert read_state(state)["apps"][zone_id] == created  # type: ignore[index]


def test_a_crash_between_the_new_snapshot_and_the_journal_reset_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        created = [create(client, zone_id, tcp_app(f"a{i}.example.com")) for i in range(3)]

    def crash(self: object, journal_id: str) -> None:
        raise OSError("killed after the rename")

    monkeypatch.setattr(persistence.StateFile, "_restart_journal", crash)
    with pytest.raises(StateFileError):
        emu.close()  # the snapshot now holds everything; the journal still has the old id
    monkeypatch.undo()
    restarted = Emulator(EmulatorConfig(state_file=state))
    assert restarted.apps(zone_id) == created  # each exactly once


def test_close_leaves_one_complete_snapshot(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        app = create(client, zone_id, tcp_app())
    emu.close()
    assert json.loads(state.read_text())["apps"][zone_id] == [app]
    assert len(journal_lines(state)) == 1  # the header only


def test_a_changed_section_is_journaled_whole(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    emu.ensure_zone("new.example")
    assert journal_lines(state)[-1][0]["section"] == "zones"  # type: ignore[index]
    killed = crash_copy(state, tmp_path / "killed")
    with client_for(Emulator(EmulatorConfig(state_file=killed))) as client:
        (zone,) = client.get("/zones", params={"name": "new.example"}).json()["result"]
    assert zone["name"] == "new.example"


def test_a_failed_snapshot_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    with client_for(emu) as client:
        create(client, emu.ensure_zone("example.com")["id"], tcp_app())
    before = state.read_text()

    def broken(src: str, dst: str) -> None:
        raise OSError("disk gone")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(StateFileError, match=r"state\.json: cannot write it: disk gone"):
        emu.close()
    assert state.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json", "state.json.journal"]


def test_a_foreign_file_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text('{"something": "else"}')
    with pytest.raises(ValueError, match="not an emulator state file"):
        Emulator(EmulatorConfig(state_file=state))
    Emulator(EmulatorConfig(state_file=tmp_path / "other.json"))  # and its lock was let go


def test_a_second_emulator_on_the_same_state_is_refused_at_once(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = make_emulator(state_file=state)
    with pytest.raises(StateLocked, match="in use by another process"):
        Emulator(EmulatorConfig(state_file=state))
    first.close()
    Emulator(EmulatorConfig(state_file=state)).close()


def test_a_waiting_emulator_starts_from_what_the_first_one_wrote(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    first = make_emulator(state_file=state)
    zone_id = first.ensure_zone("example.com")["id"]
    waited = threading.Event()
    second: list[Emulator] = []

    def open_second() -> None:
        second.append(Emulator(EmulatorConfig(state_file=state), on_wait=waited.set))

    thread = threading.Thread(target=open_second)
    thread.start()
    assert waited.wait(10)
    with client_for(first) as client:
        app = create(client, zone_id, tcp_app())
    time.sleep(0.05)
    assert second == []  # still waiting
    first.close()
    thread.join(10)
    assert second[0].apps(zone_id) == [app]


def test_sandbox_onboards_the_documentation_prefixes(tmp_path: Path) -> None:
    path = tmp_path / ".spectrum-sandbox.json"
    emu = Emulator.sandbox(path, zones=["example.com"])
    saved = read_state(path) or {}
    assert {p["cidr"] for p in saved["prefixes"]} == set(DOCUMENTATION_PREFIXES)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        body = static_app(edge_ips={"type": "static", "ips": ["203.0.113.9", "2001:DB8::1"]})
        create(client, zone_id, body)
    emu.close()
    reopened = Emulator.sandbox(path)
    assert len(reopened.apps(zone_id)) == 1
    assert len((read_state(path) or {})["prefixes"]) == 3  # not onboarded twice


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


def test_fsyncs_are_batched_and_none_is_left_pending_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    time.sleep(0.2)
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    monkeypatch.setattr(persistence, "SYNC_INTERVAL", 0.5)
    with client_for(emu) as client:
        for i in range(20):
            create(client, zone_id, tcp_app(f"a{i}.example.com"))
    assert len(synced) <= 1  # twenty writes, at most one fsync so far
    time.sleep(1.0)
    assert 1 <= len(synced) <= 2  # and the timer's fsync covered them all
    emu.close()


def test_a_journal_that_continues_another_snapshot_is_not_replayed(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    with client_for(emu) as client:
        kept = create(client, zone_id, tcp_app())
    emu.close()
    backup = state.read_bytes()  # a snapshot, and the journal that continues it is empty
    emu = Emulator(EmulatorConfig(state_file=state))
    with client_for(emu) as client:
        create(client, zone_id, tcp_app("later.example.com"))
        emu.close()  # a new snapshot, a new journal id
    emu = Emulator(EmulatorConfig(state_file=state))
    with client_for(emu) as client:
        create(client, zone_id, tcp_app("latest.example.com"))  # journaled against the new id
    killed = crash_copy(state, tmp_path / "killed")
    killed.write_bytes(backup)  # someone restores the older snapshot
    assert Emulator(EmulatorConfig(state_file=killed)).apps(zone_id) == [kept]


def test_a_compaction_during_an_fsync_never_counts_a_later_line_as_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scripted interleaving: the timer's fsync of N bytes is under way; a compaction
    restarts the journal and a short line is appended; the fsync then ends. That line was never
    fsynced, so it must not be counted as synced (it was, when the restart took no lock)."""
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    zone_id = emu.ensure_zone("example.com")["id"]
    monkeypatch.setattr(persistence, "SYNC_INTERVAL", 3600)  # the test runs the flush itself
    with client_for(emu) as client:
        for i in range(10):
            create(client, zone_id, tcp_app(f"long-name-{i:03}.example.com"))
    files = emu._state
    assert files is not None and files._written > 0
    inside, release = threading.Event(), threading.Event()
    real_fsync = os.fsync
    flush = threading.Thread(target=files._flush)

    def slow_fsync(fd: int) -> None:
        if threading.current_thread() is flush:  # only the timer's fsync is slow
            inside.set()
            release.wait(5)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    flush.start()
    assert inside.wait(5)
    store = emu._backend.store

    def compact_then_write() -> None:
        files.compact(store)
        store.ensure_zone("z.example.org")  # one short line after the restart
        files.commit(store)

    writer = threading.Thread(target=compact_then_write)
    writer.start()
    time.sleep(0.2)  # let the writer run as far as it can while the fsync is under way
    release.set()
    flush.join(5)
    writer.join(5)
    assert files._written > 0
    assert files._synced < files._written  # the short line still waits for its fsync
    emu.close()


def test_the_snapshot_is_fsynced_before_its_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "state.json"
    emu = make_emulator(state_file=state)
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append(f"fsync {os.readlink(f'/proc/self/fd/{fd}')}")
        real_fsync(fd)

    def replace(source: str, target: object) -> None:
        calls.append(f"replace {source}")
        real_replace(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    assert emu._state is not None
    emu._state.compact(emu._backend.store)
    renamed = next(i for i, call in enumerate(calls) if call.startswith("replace "))
    temporary = calls[renamed].split(" ", 1)[1]
    assert f"fsync {temporary}" in calls[:renamed], calls
    emu.close()
