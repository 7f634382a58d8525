"""Durable emulator state: a snapshot, an append-only journal of changes, one exclusive lock.

In: the emulator's ``Store`` after each committed write. Out: two files beside each other, for a
state path ``P``:

``P``
    The snapshot: the whole state as one JSON document (``Store.to_dict()`` plus the id of the
    journal that continues it), replaced atomically — temporary file, fsync, rename, fsync of
    the directory — so a crash leaves the old snapshot or the new one.
``P.journal``
    What changed since that snapshot, one JSON line per committed write, appended with a
    single ``write(2)`` before the response is sent; its first line names the snapshot it
    continues. It is never replaced, only truncated in place, so it is also the lock file.

Why a journal: writing the whole state after every write made 5,000 creates take ~10x as long
as without ``--state`` (each write cost O(state)). An append costs O(change); the snapshot is
rewritten only when the journal has grown past it (and past 1 MiB), so the total work stays
linear, and on ``close``, so a finished run leaves one complete file.

Crash safety: a line is in the kernel before the client hears "success", so a killed process
(SIGKILL) loses nothing it acknowledged. fsync is batched: one fsync on a timer covers every
line written in the last ``SYNC_INTERVAL`` (50 ms), so only a power loss can lose acknowledged
writes, those of the last 50 ms — an emulator's trade, made because an fsync per write (0.1-3 ms
on a busy disk) cost more than the write. Compaction fsyncs the snapshot before its rename. A
final line without its newline (power lost mid-append) was never acknowledged: loading ignores
it and cuts it off before appending. A journal whose header is not the snapshot's id was already
folded into that snapshot (a crash between the rename and the truncation) and is ignored.

Generic over the state model: every section of ``Store.sections()`` (zones, prefixes, the
address plane, ... — whatever the store holds besides apps) is compared with what was last
persisted, and a changed section is written whole; only apps, the one large section, are
journaled one by one, through ``Store.take_app_changes()``.

Two processes: ``flock`` on the journal is held from load to ``close``. A second process fails
at once with ``StateLocked`` or, when asked to, waits its turn (``--sandbox`` waits).

This module is the writer; reading the files back and replacing a snapshot are ``snapshot``'s.
"""

from __future__ import annotations

import copy
import json
import os
import secrets
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no lock (documented in docs/emulator.md)
    fcntl = None  # type: ignore[assignment]

from reconciler.emulator.snapshot import (
    JOURNAL_SUFFIX,
    header_bytes,
    journal_header,
    read_journal,
    read_snapshot,
    replace_atomically,
    replay,
)
from reconciler.emulator.store import StateFileError, _reason

SYNC_INTERVAL = 0.05  # seconds: how long an acknowledged line may wait for its fsync
_MISSING = object()
MIN_COMPACT_BYTES = 1024 * 1024


class StateLocked(Exception):
    """Another process holds the state file."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path} is in use by another process (an emulator or a --sandbox run): "
            "stop it, or give this one another state file"
        )
        self.path = path


class Persisted(Protocol):
    """What persistence needs of the store."""

    def to_dict(self) -> dict[str, Any]: ...

    def sections(self) -> dict[str, Any]: ...

    def take_app_changes(self) -> list[str]: ...


class StateFile:
    """The snapshot and journal at ``path``, locked for this object's lifetime."""

    def __init__(self, path: Path, *, on_wait: Callable[[], None] | None = None) -> None:
        self.path = path
        self.journal_path = path.with_name(path.name + JOURNAL_SUFFIX)
        with _writing(path):
            self._fd = os.open(self.journal_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _lock(self._fd, path, on_wait)
        except BaseException:
            os.close(self._fd)
            raise
        # Closing the descriptor releases the lock: also when the object is dropped unclosed.
        self._closer = weakref.finalize(self, os.close, self._fd)
        self._sync_lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._failed: OSError | None = None
        self._written = 0  # bytes appended by this object (the group-commit counter)
        self._synced = 0
        self._journal_bytes = 0
        self._snapshot_bytes = 0
        self._journal_id = ""
        self._sections: dict[str, Any] = {}  # a deep copy of each section as last persisted

    # --- loading -------------------------------------------------------------------------
    def load(self) -> dict[str, Any] | None:
        """The saved state (snapshot with the journal replayed), or None when there is none."""
        snapshot = read_snapshot(self.path)
        if snapshot is None:
            return None
        self._snapshot_bytes = self.path.stat().st_size
        header, lines, good_bytes = read_journal(os.pread(self._fd, _size(self._fd), 0))
        journal_id = snapshot.pop("journal", None)
        if journal_id and header == journal_id:
            os.ftruncate(self._fd, good_bytes)  # cut a torn last line before appending
            self._journal_id, self._journal_bytes = journal_id, good_bytes
            return replay(snapshot, lines)
        if journal_id:
            self._restart_journal(journal_id)  # stale or foreign: already in the snapshot
        return snapshot

    def baseline(self, store: Persisted) -> None:
        """Take the loaded store as what is on disk: later commits journal only what differs."""
        store.take_app_changes()  # loading put every app: nothing new
        self._sections = copy.deepcopy(store.sections())

    # --- saving --------------------------------------------------------------------------
    def commit(self, store: Persisted) -> None:
        """Append what changed since the last commit; compact once the journal outgrows it."""
        if not self._journal_id:
            self.compact(store)
            return
        changes = store.take_app_changes()
        for name, value in store.sections().items():
            if self._sections.get(name, _MISSING) != value:  # == on small dicts: microseconds
                self._sections[name] = copy.deepcopy(value)
                changes.append(f'{{"section":{json.dumps(name)},"value":{_encode(value)}}}')
        if not changes:
            return
        line = ("[" + ",".join(changes) + "]\n").encode()
        with _writing(self.path):
            _write_all(self._fd, line, self._journal_bytes)
        self._journal_bytes += len(line)
        self._written += len(line)
        if self._journal_bytes > max(MIN_COMPACT_BYTES, self._snapshot_bytes):
            self.compact(store)

    def sync(self) -> None:
        """Make every line appended so far durable within ``SYNC_INTERVAL`` seconds.

        One fsync, on a timer, covers every line written in that interval (batched fsync): an
        fsync per write cost 0.1-3 ms each on this machine's disk, more than the write itself.
        """
        if self._failed is not None:
            failed, self._failed = self._failed, None
            raise StateFileError(self.path, f"cannot write it: {_reason(failed)}", writing=True)
        if self._synced >= self._written:
            return
        with self._sync_lock:
            if self._timer is None and self._fd >= 0:
                self._timer = threading.Timer(SYNC_INTERVAL, self._flush)
                self._timer.daemon = True
                self._timer.start()

    def _flush(self) -> None:
        with self._sync_lock:
            self._timer = None
            if self._fd < 0:
                return
            upto = self._written
            try:
                os.fsync(self._fd)
            except OSError as error:  # said by the next write's sync, on the request path
                self._failed = error
                return
            self._synced = upto

    def compact(self, store: Persisted) -> None:
        """Write the whole state as a new snapshot and start an empty journal for it."""
        store.take_app_changes()
        journal_id = secrets.token_hex(8)
        document = {**store.to_dict(), "journal": journal_id}
        data = json.dumps(document, indent=1, sort_keys=True).encode()
        with _writing(self.path):
            replace_atomically(self.path, data)
            self._snapshot_bytes = len(data)
            self._restart_journal(journal_id)
        self._sections = copy.deepcopy(store.sections())

    def close(self, store: Persisted | None = None) -> None:
        """Fold the journal into the snapshot (when ``store`` is given) and release the lock."""
        if self._fd < 0:
            return
        try:
            if store is not None and (self._journal_bytes > header_bytes(self._journal_id)):
                self.compact(store)
            elif self._synced < self._written:
                with _writing(self.path):
                    os.fsync(self._fd)
        finally:
            with self._sync_lock:
                if self._timer is not None:
                    self._timer.cancel()
                    self._timer = None
                self._closer()  # closes the descriptor, which releases the flock
                self._fd = -1

    def _restart_journal(self, journal_id: str) -> None:
        """An empty journal for ``journal_id``. Under the sync lock: a timer's fsync that began
        before the restart must not count, when it ends, lines appended after it as synced."""
        header = journal_header(journal_id)
        with self._sync_lock:
            os.ftruncate(self._fd, 0)
            _write_all(self._fd, header, 0)
            os.fsync(self._fd)
            self._journal_id, self._journal_bytes = journal_id, len(header)
            self._written = self._synced = 0


# --- helpers -----------------------------------------------------------------------------


def _lock(fd: int, path: Path, on_wait: Callable[[], None] | None) -> None:
    if fcntl is None:  # pragma: no cover - not POSIX
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if on_wait is None:
            raise StateLocked(path) from None
        on_wait()
        fcntl.flock(fd, fcntl.LOCK_EX)


@contextmanager
def _writing(path: Path) -> Iterator[None]:
    """An OS error while writing the state, as the store's error naming the file."""
    try:
        yield
    except OSError as error:
        raise StateFileError(path, f"cannot write it: {_reason(error)}", writing=True) from None


def _encode(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _size(fd: int) -> int:
    return os.fstat(fd).st_size


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view, offset = view[written:], offset + written
