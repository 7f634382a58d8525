"""Offline review of a config change: two desired-state trees -> the Plan between them.

The old tree stands in for live state, so the same planner and renderers say what the change
does (including the recreates a ``dns.type`` or edge-IP mode change implies) with no network
and no token. The old tree comes from a directory or from a git revision (``--from-ref``).

A review sees what ``plan`` sees of everything that needs no live state: the zones' policies
are kept, so the safety gate, ``protect``, ``freeze`` (judged now), ``mode: observe`` and
``prune: false`` (an app no longer declared, kept live) show exactly as in ``plan``. What needs
live state — the address check, live apps no file ever declared, staleness — is marked
``address_checks: "offline"``, which every renderer says. The old apps' ids are made up and
marked as such (``offline-...``); no action carries one.
"""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone

from reconciler.desired.loading import desired_state_from_texts, load_desired_state
from reconciler.errors import ReconcilerError
from reconciler.model import DesiredState, LiveApp, LiveZone
from reconciler.plan import OFFLINE, Plan
from reconciler.planning.gcpause import collector_paused
from reconciler.planning.planner import build_plan

_YAML_SUFFIXES = (".yaml", ".yml")


def review_paths(old: str, new: str) -> Plan:
    """The plan that turns the ``old`` tree into the ``new`` one."""
    return review(load_desired_state([old]), load_desired_state([new]))


def review_ref(ref: str, paths: Sequence[str]) -> Plan:
    """The plan that turns ``paths`` as of git revision ``ref`` into the working tree's."""
    return review(_state_at_ref(ref, paths), load_desired_state(paths))


def review(old: DesiredState, new: DesiredState) -> Plan:
    """Plan ``new`` against ``old`` standing in for live state.

    The old apps need ids to be planned against; they are made up, so they are dropped from the
    result rather than shown to a reviewer as if they were Cloudflare's.
    """
    with collector_paused():
        plan = build_plan(new, _as_live(old, new))
    actions = tuple(dataclasses.replace(action, app_id=None) for action in plan.actions)
    made_at = datetime.now(timezone.utc).isoformat(timespec="seconds")  # freezes judged now
    return dataclasses.replace(plan, actions=actions, made_at=made_at, address_checks=OFFLINE)


def kept_by_prune(plan: Plan) -> int:
    """Apps the change stops declaring that ``prune: false`` keeps live: a change of management
    that ``diff --detailed-exitcode`` reports like any other change."""
    return sum(len(zone.unmanaged) for zone in plan.zones)


def _as_live(old: DesiredState, new: DesiredState) -> list[LiveZone]:
    zones = []
    for spec in new.zones:
        label = spec.label
        apps = tuple(
            LiveApp(_pseudo_id(app.key.dns_name, app.key.protocol), app.config)
            for app in old.apps
            if app.key.zone == label
        )
        zones.append(LiveZone(spec.name or label, spec.zone_id or _pseudo_id(label, ""), apps))
    return zones


def _pseudo_id(*parts: str) -> str:
    """A stand-in id that cannot be taken for Cloudflare's (32 hex digits)."""
    digest = hashlib.md5("/".join(parts).encode(), usedforsecurity=False).hexdigest()
    return f"offline-{digest[:16]}"


def _state_at_ref(ref: str, paths: Sequence[str]) -> DesiredState:
    names = [
        n
        for n in _git("ls-tree", "-r", "--full-name", "--name-only", ref, "--", *paths).splitlines()
        if n.endswith(_YAML_SUFFIXES)
    ]
    texts = [(f"{ref}:{name}", _git_bytes("show", f"{ref}:{name}")) for name in names]
    return desired_state_from_texts(texts)


def _git(*args: str) -> str:
    return _git_bytes(*args).decode("utf-8", errors="replace")


def _git_bytes(*args: str) -> bytes:
    try:
        done = subprocess.run(["git", *args], capture_output=True, check=False, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ReconcilerError(f"git {args[0]} failed: {error} — is git installed?") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise ReconcilerError(
            f"git {args[0]} failed: {reason[-1] if reason else 'unknown error'} — "
            "check the revision name and that you run inside the repository"
        )
    return done.stdout
