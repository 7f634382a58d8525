"""Reading the files commands are handed: size-capped, UTF-8, failures as domain errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.errors import ReconcilerError


def read_capped_text(
    path: str,
    limit: int,
    *,
    too_large: ReconcilerError,
    unreadable: Callable[[Exception], ReconcilerError],
) -> str:
    """The UTF-8 text of ``path``; raises ``too_large`` if it exceeds ``limit`` bytes (checked
    before reading, so a huge file is never loaded), ``unreadable(error)`` if it cannot be read
    or decoded."""
    file = Path(path)
    try:
        if file.stat().st_size > limit:
            raise too_large
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise unreadable(error) from None
