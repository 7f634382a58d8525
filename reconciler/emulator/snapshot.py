"""The saved state's two files as formats: read back as one document, a snapshot written whole.

In: the paths ``persistence`` keeps (``P`` and ``P.journal``, described there) or their bytes.
Out: the state as one JSON document — ``read_state`` reads it without the lock, for tests and
tools looking at a state another process may be writing — the journal's header line, and
``replace_atomically``, the one way a snapshot reaches the disk. File I/O with no lock and no
state of its own: ``persistence`` is the writer that holds both files.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reconciler.emulator.store import STATE_VERSION, StateFileError, _reason

JOURNAL_SUFFIX = ".journal"


def read_state(path: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The state saved at ``path`` as one document, read without taking the lock.

    For tests and tools that look at a state another process may be writing. A compaction
    running meanwhile is detected (the journal no longer continues the snapshot read) and the
    read is retried.
    """
    state = Path(path)
    journal = state.with_name(state.name + JOURNAL_SUFFIX)
    for attempt in range(20):
        snapshot = read_snapshot(state)
        if snapshot is None:
            return None
        journal_id = snapshot.pop("journal", None)
        try:
            header, lines, _ = read_journal(journal.read_bytes())
        except FileNotFoundError:
            header, lines = None, []
        if journal_id is None or header == journal_id:
            return replay(snapshot, lines)
        if header is not None and attempt >= 3:
            return snapshot  # an old journal the owner has not restarted yet: folded in already
        time.sleep(0.01)
    return snapshot


def replay(document: dict[str, Any], lines: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """``document`` with each journaled change applied in order."""
    apps = {zid: {a["id"]: a for a in listed} for zid, listed in document.get("apps", {}).items()}
    for changes in lines:
        for change in changes:
            if "section" in change:
                name, value = change["section"], change["value"]
                if name == "apps":
                    apps = {z: {a["id"]: a for a in listed} for z, listed in value.items()}
                else:
                    document[name] = value
            elif "put" in change:
                apps.setdefault(change["put"], {})[change["app"]["id"]] = change["app"]
            elif "delete" in change:
                apps.get(change["delete"], {}).pop(change["id"], None)
    document["apps"] = {zid: list(by_id.values()) for zid, by_id in apps.items()}
    return document


def read_snapshot(path: Path) -> dict[str, Any] | None:
    """The snapshot's JSON (its shape is the store's to judge); None when there is none."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise StateFileError(path, f"cannot read it: {_reason(error)}") from None
    try:
        document = json.loads(text)
    except ValueError as error:
        raise StateFileError(path, f"not JSON: {error}") from None
    if not isinstance(document, dict):
        raise StateFileError(path, f"not an emulator state file of version {STATE_VERSION}")
    return document


def read_journal(data: bytes) -> tuple[str | None, list[list[dict[str, Any]]], int]:
    """(the id it continues, its complete change lines, the bytes they span)."""
    lines: list[list[dict[str, Any]]] = []
    header: str | None = None
    good = 0
    for raw in _complete_lines(data):
        try:
            parsed = json.loads(raw)
        except ValueError:
            break  # damaged by a crash mid-append: nothing after it was acknowledged
        if header is None:
            if not isinstance(parsed, dict) or "journal" not in parsed:
                break
            header = str(parsed["journal"])
        else:
            lines.append(parsed)
        good += len(raw) + 1
    return header, lines, good


def _complete_lines(data: bytes) -> Iterator[bytes]:
    start = 0
    while (end := data.find(b"\n", start)) >= 0:
        yield data[start:end]
        start = end + 1


def journal_header(journal_id: str) -> bytes:
    """The journal's first line: the id of the snapshot it continues."""
    return (json.dumps({"journal": journal_id}) + "\n").encode()


def header_bytes(journal_id: str) -> int:
    """The length of that line; 0 before there is a journal."""
    return len(journal_header(journal_id)) if journal_id else 0


def replace_atomically(path: Path, data: bytes) -> None:
    """Temporary file, fsync, rename, fsync of the directory: a crash leaves old or new."""
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    # The rename is durable only once the directory entry is; not every OS allows this.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
