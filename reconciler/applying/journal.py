"""An append-only JSON-lines record of every apply attempt and outcome, for a CI artifact.

Each line is one event: ``{"ts": ..., "event": "attempt", "action": "create", ...}``. Lines are
flushed as they are written, so a killed apply leaves every event up to the kill. A line that
cannot be written (a full disk, a file-size limit) raises ``OutputFileError``: the executor fails
the action it was about, and undoes a recreate or replace as after an API failure.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from reconciler.errors import OutputFileError

log = logging.getLogger(__name__)


class Journal:
    """Writes events to ``path``; with no path it records nothing."""

    def __init__(self, path: str | Path | None) -> None:
        self._stream: IO[str] | None = None
        self._path = path
        if path is not None:
            try:
                self._stream = Path(path).open("a", encoding="utf-8")  # noqa: SIM115 (see close())
            except OSError as error:
                raise OutputFileError(path, error.strerror or error) from None
        self._lock = threading.Lock()

    def write(self, event: str, **fields: Any) -> None:
        if self._stream is None:
            return
        record = {"ts": datetime.now(timezone.utc).isoformat(), "event": event, **fields}
        line = json.dumps(record, sort_keys=True, default=str)
        with self._lock:
            try:
                self._stream.write(line + "\n")
                self._stream.flush()
            except (OSError, ValueError) as error:  # ValueError: the stream was closed
                raise OutputFileError(self._path, _reason(error)) from None

    def close(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            try:
                stream.close()  # flushes: a line the disk refused is refused again here
            except OSError as error:
                log.error("journal: %s could not be closed cleanly (%s)", self._path, error)


def _reason(error: Exception) -> object:
    return (error.strerror if isinstance(error, OSError) else None) or error
