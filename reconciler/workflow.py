"""The steps a command strings together: load -> fetch -> plan -> (check) -> apply.

In: paths, a client, flags. Out: Plans, Drift, ApplyReports, or ReconcilerErrors. Reading,
planning and writing stay separate: ``plan`` and ``drift`` never build an executor, and an apply
checks the plan it was given against live state before it writes anything.
"""

from __future__ import annotations

import errno
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from reconciler.cloudflare import CloudflareClient
from reconciler.config import load_desired_state
from reconciler.errors import OutputFileError, StalePlanError
from reconciler.executor import ApplyReport, Executor
from reconciler.gcpause import collector_paused
from reconciler.model import DesiredState, Plan, ZoneSpec
from reconciler.planner import Drift, build_plan, check_safety, classify_drift
from reconciler.stale import stale_reasons


def load(paths: Sequence[str]) -> DesiredState:
    """Desired state from files and directories; raises ConfigError with every problem."""
    return load_desired_state(paths)


def plan_for(desired: DesiredState, client: CloudflareClient) -> Plan:
    """Read every declared zone (concurrently) and plan desired against it."""
    live = client.fetch_live(desired.zones)
    with collector_paused():
        return build_plan(desired, live)


def drift_for(desired: DesiredState, client: CloudflareClient) -> Drift:
    """Every difference between live and git, sorted by kind."""
    return classify_drift(plan_for(desired, client))


def zones_of(plan: Plan) -> tuple[ZoneSpec, ...]:
    """The zones a saved plan covers, as specs the client can read without a lookup."""
    return tuple(ZoneSpec(name=z.name, zone_id=z.zone_id) for z in plan.zones)


def check_not_stale(plan: Plan, client: CloudflareClient) -> None:
    """Refuse a saved plan when any app of its zones changed, appeared or vanished since."""
    reasons = stale_reasons(plan, client.fetch_live(zones_of(plan)))
    if reasons:
        listing = "; ".join(reasons)
        raise StalePlanError(
            f"the saved plan is stale: {listing} — run plan again, review it, and apply the new one"
        )


def apply_plan(plan: Plan, executor: Executor, *, force: bool) -> ApplyReport:
    """Apply after the safety gate (skipped only with force)."""
    check_safety(plan, force=force)
    return executor.apply(plan)


def write_atomically(path: str, text: str) -> None:
    """Write a whole file or nothing: a temporary file beside it, then one rename."""
    target = Path(path)
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    except OSError as error:
        raise OutputFileError(path, error.strerror or error) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OutputFileError(path, error.strerror or error) from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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
            staged.append((_stage(target, text), target))
        for temporary, target in staged:
            os.replace(temporary, target)
    except OSError as error:
        raise OutputFileError(target, error.strerror or error) from None
    finally:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)


def _stage(target: Path, text: str) -> str:
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary
