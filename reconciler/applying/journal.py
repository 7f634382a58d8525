"""An append-only JSON-lines record of every apply attempt and outcome, for a CI artifact.

Each line is one event: ``{"ts": ..., "event": "attempt", "action": "create", ...}``. Lines are
flushed as they are written, so a killed apply leaves every event up to the kill.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from reconciler.errors import OutputFileError


class Journal:
    """Writes events to ``path``; with no path it records nothing."""

    def __init__(self, path: str | Path | None) -> None:
        self._stream: IO[str] | None = None
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
            self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None
