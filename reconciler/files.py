"""I/O: the one way this tool writes a file whole, and reads one within a size cap.

Writes: text in, a file replaced whole or left as it was out. Each target gets a temporary
file beside it that is written and fsynced, renamed over the target, and then the target's
directory is fsynced, so that after a crash the target holds either the old text or the new
one, never a part. ``write_atomically`` writes one file; ``write_files_atomically`` several,
all or none. A failure is an ``OutputFileError`` naming the file.

Reads: ``read_capped_text`` gives a file's UTF-8 text, refusing one over a size limit before
reading it; its failures are the caller's own domain errors.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from reconciler.errors import OutputFileError, ReconcilerError

PRIVATE = 0o600  # the default: plans and state files may hold origins


def write_atomically(path: str | Path, text: str, *, mode: int = PRIVATE) -> None:
    """Write a whole file or nothing, with permissions ``mode``."""
    target = Path(path)
    try:
        temporary = _stage(target, text, mode)
    except OSError as error:
        raise OutputFileError(path, error.strerror or error) from None
    try:
        os.replace(temporary, target)
        _sync_directory(target.parent)
    except OSError as error:
        raise OutputFileError(path, error.strerror or error) from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def write_files_atomically(files: Mapping[Path, str]) -> None:
    """Write every file or none: all to temporary files beside their targets, then the renames.

    A failure before the renames removes every temporary file and leaves the targets as they
    were. A target that is a directory is refused before anything is staged.
    """
    staged: list[tuple[str, Path]] = []
    try:
        for target in files:
            if target.is_dir():  # the one thing that lets staging succeed and a rename fail
                raise IsADirectoryError(errno.EISDIR, "it is a directory")
        for target, text in files.items():
            staged.append((_stage(target, text, PRIVATE), target))
        for temporary, target in staged:
            os.replace(temporary, target)
        for directory in dict.fromkeys(target.parent for target in files):
            _sync_directory(directory)
    except OSError as error:
        raise OutputFileError(target, error.strerror or error) from None
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)


def _stage(target: Path, text: str, mode: int) -> str:
    """A temporary file beside ``target`` holding ``text``, on disk; its name."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        os.fchmod(handle, mode)
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def _sync_directory(directory: Path) -> None:
    """Put a rename in ``directory`` on disk: until then a crash may undo it."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    except OSError as error:
        if error.errno != errno.EINVAL:  # EINVAL: a file system that cannot sync a directory
            raise
    finally:
        os.close(handle)


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
