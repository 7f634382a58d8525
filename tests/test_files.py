"""The one atomic write: whole files or none, on disk with their renames, and the capped read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from reconciler import files
from reconciler.errors import OutputFileError, ReconcilerError


@pytest.fixture
def synced(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What each os.fsync was called on: "dir" or "file" (the real fsync still runs)."""
    seen: list[str] = []
    real = os.fsync

    def recording(handle: int) -> None:
        seen.append("dir" if stat.S_ISDIR(os.fstat(handle).st_mode) else "file")
        real(handle)

    monkeypatch.setattr(os, "fsync", recording)
    return seen


def test_one_file_is_synced_then_its_directory(tmp_path: Path, synced: list[str]) -> None:
    files.write_atomically(tmp_path / "plan.json", "{}\n")
    assert (tmp_path / "plan.json").read_text() == "{}\n"
    assert synced == ["file", "dir"]


def test_several_files_are_synced_then_each_directory_once(
    tmp_path: Path, synced: list[str]
) -> None:
    (tmp_path / "b").mkdir()
    targets = {tmp_path / "a.yaml": "a\n", tmp_path / "b" / "b.yaml": "b\n", tmp_path / "c": "c"}
    files.write_files_atomically(targets)
    assert {path: path.read_text() for path in targets} == targets
    assert synced == ["file", "file", "file", "dir", "dir"]


def test_a_file_is_private_unless_asked_otherwise(tmp_path: Path) -> None:
    files.write_atomically(tmp_path / "state.json", "{}")
    files.write_atomically(tmp_path / "metrics.prom", "", mode=0o644)
    assert stat.S_IMODE((tmp_path / "state.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "metrics.prom").stat().st_mode) == 0o644


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "plan.json").mkdir()  # the rename over a directory fails after staging
    with pytest.raises(OutputFileError, match=r"plan\.json"):
        files.write_atomically(str(tmp_path / "plan.json"), "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_several_files_are_written_all_or_none(tmp_path: Path) -> None:
    (tmp_path / "removed.tf").mkdir()
    with pytest.raises(OutputFileError, match="it is a directory"):
        files.write_files_atomically({tmp_path / "a.yaml": "a", tmp_path / "removed.tf": "r"})
    assert [p.name for p in tmp_path.iterdir()] == ["removed.tf"]


def test_a_file_over_the_cap_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "state.json"
    big.write_text("x" * 11)
    too_large = ReconcilerError("too large")
    with pytest.raises(ReconcilerError, match="too large"):
        files.read_capped_text(str(big), 10, too_large=too_large, unreadable=ReconcilerError)
    assert files.read_capped_text(str(big), 11, too_large=too_large, unreadable=ReconcilerError)
