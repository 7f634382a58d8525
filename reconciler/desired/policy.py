"""Pure: a zone's guardrail policy — modes, freezes, ``protect`` patterns, who is applying and
who may break glass.

The small facts every rule, the verdict and the plan's description ask of a zone's policy.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from reconciler.desired import freezes as windows
from reconciler.desired.patterns import matches
from reconciler.model import AppKey, DesiredState, Freeze, Guardrails, Location, Problem
from reconciler.plan import ZoneSnapshot

OBSERVE = "observe"
ENFORCE = "enforce"
MODES = (ENFORCE, OBSERVE)
FIELDS = ("protect", "prune", "mode", "freeze", "break_glass", "live_delete")
_USER_VARIABLES = ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR", "USER", "USERNAME")


def active_freeze(guardrails: Guardrails, now: datetime | None) -> Freeze | None:
    """The freeze in force at ``now``, as a fixed window ending when it does (of several in
    force, the one ending last); with ``now`` None, every window counts as in force."""
    if now is None:
        return guardrails.freezes[0] if guardrails.freezes else None
    in_force = [
        (end, freeze) for freeze in guardrails.freezes if (end := windows.window_end(freeze, now))
    ]
    if not in_force:
        return None
    end, freeze = max(in_force, key=lambda pair: pair[0])
    return freeze if not freeze.recurring else Freeze(end.isoformat(), freeze.reason)


def expired_freezes(guardrails: Guardrails, now: datetime | None) -> list[Freeze]:
    """Fixed windows that have ended (a recurring window never expires)."""
    if now is None:
        return []
    return [f for f in guardrails.freezes if not f.recurring and not windows.window_end(f, now)]


def may_break_glass(guardrails: Guardrails, user: str) -> bool:
    """Whether ``user`` may override the zone's freezes: anyone unless ``break_glass`` says."""
    allowed = guardrails.break_glass
    return allowed is None or user.casefold() in {name.casefold() for name in allowed}


def is_protected(zone: ZoneSnapshot, key: AppKey) -> bool:
    return any(matches(pattern, key.dns_name) for pattern in zone.guardrails.protect)


def managed_app_ids(zone: ZoneSnapshot) -> list[str]:
    """The zone's live apps the config manages: not ignored, not kept by ``prune: false``."""
    kept = set(zone.unmanaged)
    return [
        app_id
        for app_id, stamp in zone.apps.items()
        if app_id not in kept and not any(matches(p, stamp.key.dns_name) for p in zone.ignore)
    ]


def user_from(environ: Mapping[str, str]) -> str:
    """Who is applying: the CI's actor, else the login name."""
    return next((environ[name] for name in _USER_VARIABLES if environ.get(name)), "unknown")


def from_declarations(declared: Sequence[Mapping[str, Any]]) -> Guardrails:
    """A zone's guardrails from every file declaring it (each mapping holds ``FIELDS``).

    Several files may declare one zone: protect patterns and freeze windows add up, and the
    stricter setting wins (``prune: false``, ``mode: observe``, only who every ``break_glass``
    list names; ``live_delete: allow`` only when no file says ``refuse``), so no file can
    weaken what another declares.
    """
    said = {d["live_delete"] for d in declared if "live_delete" in d}
    protect = dict.fromkeys(p for d in declared for p in d.get("protect") or ())
    frozen = dict.fromkeys(w for d in declared for w in windows.windows_from(d.get("freeze")))
    return Guardrails(
        protect=tuple(protect),
        prune=all(d.get("prune", True) is not False for d in declared),
        mode=OBSERVE if any(d.get("mode") == OBSERVE for d in declared) else ENFORCE,
        freezes=tuple(frozen),
        break_glass=_allowed([d["break_glass"] for d in declared if "break_glass" in d]),
        live_delete="allow" if said == {"allow"} else "refuse",
    )


def _allowed(lists: Sequence[Sequence[str]]) -> tuple[str, ...] | None:
    if not lists:
        return None
    everyone_names = set.intersection(*({name.casefold() for name in names} for names in lists))
    return tuple(dict.fromkeys(n for n in lists[0] if n.casefold() in everyone_names))


def unmatched_protect(
    desired: DesiredState, written_at: Mapping[tuple[str, str], Location] | None = None
) -> list[Problem]:
    """A warning per ``protect`` pattern that matches no declared app of its zone, located
    where ``written_at`` says (zone label, pattern) it was first written, else at the zone.

    Not an error: protecting a live app that no file declares (yet) is a legitimate use; a typo
    in a pattern is the other reason, and then the app is not protected.
    """
    warnings = []
    names_by_zone: dict[str, list[str]] = {}  # one pass over the apps, not one per zone
    for app in desired.apps:
        names_by_zone.setdefault(app.key.zone, []).append(app.key.dns_name)
    for zone in desired.zones:
        names = names_by_zone.get(zone.label, [])
        for pattern in zone.guardrails.protect:
            if not any(matches(pattern, name) for name in names):
                first = zone.sources[0] if zone.sources else None
                warnings.append(
                    Problem(
                        (written_at or {}).get((zone.label, pattern), first),
                        f"protect pattern {json.dumps(pattern)} matches no declared app "
                        f"of zone {zone.label} — fine if it guards a live app on purpose, "
                        "else check its spelling",
                    )
                )
    return warnings
