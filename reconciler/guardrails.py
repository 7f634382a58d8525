"""Pure: guardrails — (Plan with its zones' policies, now, overrides) -> what may run, why not.

In: a :class:`Plan` whose zone snapshots carry each zone's policies as planned (safety, ignore,
protect, prune, mode, freeze), the time, and the operator's overrides (``--force``,
``--break-glass``). Out: a :class:`Verdict`: the plan to run, the actions an observe-only zone
skips, every refusal with the flag (if any) that lifts it, and notes. ``apply`` (from files or a
saved plan) and the reconcile loop both call :func:`assess`; renderers call :func:`describe`.

One function per rule, each returning a :class:`Refusal` or nothing, collected in ``RULES``
(octoDNS's ``Plan``/``UnsafePlan``, Argo CD's ``Prune=false``, Crossplane's observe-only
``managementPolicies``):

=================  ===========================================================  ================
rule               refuses                                                      lifted by
=================  ===========================================================  ================
protected          a delete or recreate of a live app matching ``protect``      nothing
not_pruned         a delete in a ``prune: false`` zone (only a saved plan)      nothing
frozen             any write to the zone before ``freeze.until``                --break-glass
too_destructive    more than max_destructive_percent of the zone's *managed*    --force
                   apps (ignored and unpruned ones do not count), or all of
                   them unless ``safety.allow_delete_all``
=================  ===========================================================  ================

A zone in ``mode: observe`` is never refused: its actions are skipped, each one said.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from reconciler.errors import SafetyError
from reconciler.model import (
    Action,
    ActionKind,
    AppKey,
    DesiredState,
    Freeze,
    Guardrails,
    Plan,
    Problem,
    ZoneSnapshot,
    ZoneSpec,
)

OBSERVE = "observe"
ENFORCE = "enforce"
MODES = (ENFORCE, OBSERVE)
_USER_VARIABLES = ("GITHUB_ACTOR", "GITLAB_USER_LOGIN", "BUILD_REQUESTEDFOR", "USER", "USERNAME")


class GuardrailError(SafetyError):
    """Exit 3: a guardrail or the safety gate refused the plan; nothing was written."""


@dataclass(frozen=True)
class Overrides:
    """What the operator asked for: ``--force``, ``--break-glass WHY``, and who they are."""

    force: bool = False
    break_glass: str | None = None
    user: str = "unknown"


@dataclass(frozen=True)
class Refusal:
    """One zone refused by one rule: what and why, what to do, and the flag that lifts it."""

    zone: str
    rule: str
    message: str
    hint: str
    override: str | None = None

    def plan_line(self) -> str:
        """How a plan says it: ``apply will refuse this without --force: zone …``."""
        without = f" without {self.override}" if self.override else ""
        return f"apply will refuse this{without}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "zone": self.zone,
            "rule": self.rule,
            "message": self.message,
            "hint": self.hint,
            "override": self.override,
        }


@dataclass(frozen=True)
class BrokenFreeze:
    """A freeze that ``--break-glass`` overrode: for the journal and the apply summary."""

    zone: str
    until: str
    reason: str
    why: str
    user: str
    at: str

    def line(self) -> str:
        return (
            f"break-glass: zone {self.zone} is frozen until {self.until} ({self.reason}); "
            f"applied anyway by {self.user} at {self.at}: {self.why}"
        )

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Verdict:
    """What ``apply`` may do with a plan."""

    plan: Plan  # the actions to run (observe-only zones removed)
    skipped: tuple[Action, ...] = ()
    refusals: tuple[Refusal, ...] = ()
    notes: tuple[str, ...] = ()
    broken_freezes: tuple[BrokenFreeze, ...] = ()

    @property
    def refused(self) -> bool:
        return bool(self.refusals)

    def raise_if_refused(self) -> None:
        """``GuardrailError`` (exit 3) naming every refusal and what to do about each."""
        if self.refusals:
            raise GuardrailError("; ".join(f"{r.message} — {r.hint}" for r in self.refusals))

    def skipped_lines(self) -> list[str]:
        return [
            f"observe: skipped {a.kind.value} {a.key} in zone {a.key.zone} "
            "(mode: observe; nothing is written to this zone)"
            for a in self.skipped
        ]


@dataclass(frozen=True)
class _Context:
    now: datetime | None
    overrides: Overrides


Rule = Callable[[ZoneSnapshot, Sequence[Action], _Context], Refusal | None]


# --- the rules -----------------------------------------------------------------------------


def protected(zone: ZoneSnapshot, actions: Sequence[Action], _: _Context) -> Refusal | None:
    """A delete or recreate of an app matching ``protect``; ``--force`` does not lift it."""
    hits = [a for a in actions if a.kind.destructive and is_protected(zone, a.key)]
    if not hits:
        return None
    names = ", ".join(f"{a.kind.value} {a.key}" for a in hits)
    patterns = sorted(
        {p for a in hits for p in zone.guardrails.protect if _matches(p, a.key.dns_name)}
    )
    return Refusal(
        zone.name,
        "protected",
        f"zone {zone.name}: the plan would {names}, protected by protect "
        f"{', '.join(json.dumps(p) for p in patterns)}",
        "--force does not lift protection; to delete or recreate it, first remove its pattern "
        "from protect in a reviewed change",
    )


def not_pruned(zone: ZoneSnapshot, actions: Sequence[Action], _: _Context) -> Refusal | None:
    """A delete in a ``prune: false`` zone (the planner never makes one: a saved plan did)."""
    if zone.guardrails.prune:
        return None
    hits = [a for a in actions if a.kind is ActionKind.DELETE]
    if not hits:
        return None
    return Refusal(
        zone.name,
        "prune",
        f"zone {zone.name} has prune: false, but the plan would delete "
        f"{', '.join(str(a.key) for a in hits)}",
        "plan again from the files; to delete apps here, set prune: true in a reviewed change",
    )


def frozen(zone: ZoneSnapshot, actions: Sequence[Action], context: _Context) -> Refusal | None:
    """Any write before ``freeze.until``, unless ``--break-glass``."""
    freeze = active_freeze(zone.guardrails, context.now)
    if freeze is None or not actions or context.overrides.break_glass:
        return None
    return Refusal(
        zone.name,
        "freeze",
        f"zone {zone.name} is frozen until {freeze.until} ({freeze.reason}); "
        f"the plan would make {len(actions)} change(s)",
        'wait until the freeze ends, or re-run with --break-glass "why" (recorded in the '
        "journal with your name)",
        "--break-glass",
    )


def too_destructive(
    zone: ZoneSnapshot, actions: Sequence[Action], context: _Context
) -> Refusal | None:
    """The safety gate, over the apps the config manages (not ignored, not kept by prune)."""
    destructive = [a for a in actions if a.kind.destructive]
    if context.overrides.force or not destructive:
        return None
    total, count = len(managed_app_ids(zone)), len(destructive)
    policy = zone.safety
    what = (
        f"zone {zone.name}: {count} of {total} managed apps would be deleted or recreated "
        f"({', '.join(str(a.key) for a in destructive)})"
    )
    if count >= total and not policy.allow_delete_all:
        message = f"{what}, which is all of them"
        hint = "re-run with --force, or set safety.allow_delete_all: true for the zone"
    elif count * 100 > policy.max_destructive_percent * total:
        message = f"{what}, more than the {policy.max_destructive_percent:g}% allowed"
        hint = "re-run with --force, or raise safety.max_destructive_percent for the zone"
    else:
        return None
    return Refusal(zone.name, "safety", message, hint, "--force")


RULES: tuple[Rule, ...] = (protected, not_pruned, frozen, too_destructive)


# --- assessing a plan ----------------------------------------------------------------------


def assess(
    plan: Plan,
    *,
    now: datetime | None,
    overrides: Overrides = Overrides(),
    rules: Sequence[Rule] = RULES,
) -> Verdict:
    """Every rule over every zone of ``plan``; ``now=None`` judges every freeze as in force."""
    context = _Context(now, overrides)
    skipped: list[Action] = []
    refusals: list[Refusal] = []
    notes: list[str] = []
    broken: list[BrokenFreeze] = []
    by_zone: dict[str, list[Action]] = {}
    for action in plan.actions:
        by_zone.setdefault(action.zone_id, []).append(action)
    for zone in plan.zones:
        actions = by_zone.get(zone.zone_id, [])
        notes.extend(_zone_notes(zone, now))
        if zone.guardrails.mode == OBSERVE:
            skipped.extend(actions)
            continue
        refusals.extend(r for rule in rules if (r := rule(zone, actions, context)) is not None)
        broken.extend(_broken_freeze(zone, actions, context))
    skipped_ids = {id(a) for a in skipped}
    to_run = tuple(a for a in plan.actions if id(a) not in skipped_ids)
    return Verdict(
        dataclasses.replace(plan, actions=to_run),
        tuple(skipped),
        tuple(refusals),
        tuple(notes),
        tuple(broken),
    )


def _zone_notes(zone: ZoneSnapshot, now: datetime | None) -> list[str]:
    notes = []
    if zone.guardrails.mode == OBSERVE:
        notes.append(f"zone {zone.name}: mode: observe — apply writes nothing to this zone")
    freeze = zone.guardrails.freeze
    if freeze is not None and active_freeze(zone.guardrails, now) is None:
        notes.append(
            f"zone {zone.name}: the freeze until {freeze.until} ({freeze.reason}) has "
            "expired and is ignored — remove it from the file"
        )
    return notes


def _broken_freeze(
    zone: ZoneSnapshot, actions: Sequence[Action], context: _Context
) -> list[BrokenFreeze]:
    freeze = active_freeze(zone.guardrails, context.now)
    why = context.overrides.break_glass
    if freeze is None or not actions or not why:
        return []
    at = (context.now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    user = context.overrides.user
    return [BrokenFreeze(zone.name, freeze.until, freeze.reason, why, user, at)]


def active_freeze(guardrails: Guardrails, now: datetime | None) -> Freeze | None:
    """The zone's freeze if it is still in force at ``now`` (always, when ``now`` is None)."""
    freeze = guardrails.freeze
    if freeze is None or now is None:
        return freeze
    return freeze if now < parse_time(freeze.until) else None


def parse_time(text: str) -> datetime:
    """An RFC 3339 time (``2026-12-24T00:00:00Z``); a time without an offset is UTC."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def is_protected(zone: ZoneSnapshot, key: AppKey) -> bool:
    return any(_matches(pattern, key.dns_name) for pattern in zone.guardrails.protect)


def _matches(pattern: str, dns_name: str) -> bool:
    return fnmatch.fnmatchcase(dns_name.lower().rstrip("."), pattern.lower().rstrip("."))


def managed_app_ids(zone: ZoneSnapshot) -> list[str]:
    """The zone's live apps the config manages: not ignored, not kept by ``prune: false``."""
    kept = set(zone.unmanaged)
    return [
        app_id
        for app_id, stamp in zone.apps.items()
        if app_id not in kept and not any(_matches(p, stamp.key.dns_name) for p in zone.ignore)
    ]


def user_from(environ: Mapping[str, str]) -> str:
    """Who is applying: the CI's actor, else the login name."""
    return next((environ[name] for name in _USER_VARIABLES if environ.get(name)), "unknown")


# --- what a plan shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Description:
    """The guardrails a plan shows: per-zone policies, protected and unmanaged apps, verdict."""

    zones: tuple[dict[str, Any], ...]
    protected: tuple[tuple[str, AppKey], ...]  # (zone, key) of live apps under protection
    unmanaged: tuple[tuple[str, AppKey, str], ...]  # (zone, key, app id) kept by prune: false
    refusals: tuple[Refusal, ...]
    notes: tuple[str, ...]

    def lines(self) -> list[str]:
        """Plain sentences for a terminal or a PR comment."""
        lines = [r.plan_line() for r in self.refusals] + list(self.notes)
        lines += [
            f"unmanaged (prune: false): {key} in zone {zone}" for zone, key, _ in self.unmanaged
        ]
        lines += [f"protected: {key} in zone {zone}" for zone, key in self.protected]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "zones": list(self.zones),
            "protected": [{"zone": z, "key": k.to_dict()} for z, k in self.protected],
            "unmanaged": [
                {"zone": z, "key": k.to_dict(), "app_id": i} for z, k, i in self.unmanaged
            ],
            "refusals": [r.to_dict() for r in self.refusals],
            "notes": list(self.notes),
        }


def describe(plan: Plan) -> Description:
    """What ``apply`` will make of this plan (without overrides), judged at ``plan.made_at``."""
    now = parse_time(plan.made_at) if plan.made_at else None
    verdict = assess(plan, now=now)
    return Description(
        zones=tuple(_zone_policy(zone) for zone in plan.zones),
        protected=tuple(
            (zone.name, stamp.key)
            for zone in plan.zones
            for stamp in sorted(zone.apps.values(), key=lambda s: s.key)
            if is_protected(zone, stamp.key)
        ),
        unmanaged=tuple(
            (zone.name, zone.apps[app_id].key, app_id)
            for zone in plan.zones
            for app_id in zone.unmanaged
            if app_id in zone.apps
        ),
        refusals=verdict.refusals,
        notes=verdict.notes,
    )


def _zone_policy(zone: ZoneSnapshot) -> dict[str, Any]:
    return {"zone": zone.name, "zone_id": zone.zone_id, **zone.guardrails.to_dict()}


def protected_keys(plan: Plan) -> set[AppKey]:
    """Keys of the plan's actions whose app a ``protect`` pattern covers (for 🔒 marks)."""
    zones = {zone.zone_id: zone for zone in plan.zones}
    return {
        a.key for a in plan.actions if a.zone_id in zones and is_protected(zones[a.zone_id], a.key)
    }


# --- a saved plan against the files it was made from ---------------------------------------


def policy_changes(plan: Plan, zones: Sequence[ZoneSpec]) -> list[str]:
    """How the files' policies differ from those the saved plan recorded, one line per zone.

    A saved plan records each zone's ignore patterns, safety settings and guardrails; ``apply
    --plan`` enforces the files' current ones, so a plan made before a ``protect``, a freeze or
    ``prune: false`` was merged (or edited to drop one) is stale, never applied.
    """
    changes = []
    for snapshot in plan.zones:
        spec = _spec_for(snapshot, zones)
        if spec is None:
            changes.append(f"zone {snapshot.name} is no longer declared by the files")
            continue
        recorded = (snapshot.ignore, snapshot.safety, snapshot.guardrails)
        if recorded != (spec.ignore, spec.safety, spec.guardrails):
            changes.append(
                f"the ignore, safety or guardrail settings of zone {snapshot.name} changed"
            )
    return changes


def _spec_for(snapshot: ZoneSnapshot, zones: Sequence[ZoneSpec]) -> ZoneSpec | None:
    for spec in zones:
        if spec.zone_id == snapshot.zone_id:
            return spec
        if not spec.zone_id and (spec.name or "").lower() == snapshot.name.lower():
            return spec
    return None


# --- a zone's guardrails from the files that declare it ------------------------------------

FIELDS = ("protect", "prune", "mode", "freeze")


def from_declarations(declared: Sequence[Mapping[str, Any]]) -> Guardrails:
    """A zone's guardrails from every file declaring it (each mapping holds ``FIELDS``).

    Several files may declare one zone: protect patterns add up, and the stricter setting wins
    (``prune: false``, ``mode: observe``, the freeze that ends last), so no file can weaken what
    another declares.
    """
    protect = dict.fromkeys(p for d in declared for p in d.get("protect") or ())
    freezes = [
        Freeze(str(f["until"]), str(f["reason"])) for d in declared if (f := d.get("freeze"))
    ]
    return Guardrails(
        protect=tuple(protect),
        prune=all(d.get("prune", True) is not False for d in declared),
        mode=OBSERVE if any(d.get("mode") == OBSERVE for d in declared) else ENFORCE,
        freeze=max(freezes, key=lambda f: parse_time(f.until), default=None),
    )


# --- in the plan document ------------------------------------------------------------------


def snapshot_policy_to_dict(zone: ZoneSnapshot) -> dict[str, Any]:
    """A zone's policies as the plan document's ``live.zones[]`` records them."""
    return {
        "ignore": list(zone.ignore),
        "guardrails": zone.guardrails.to_dict(),
        "unmanaged": list(zone.unmanaged),
    }


def snapshot_policy_from_dict(zone: ZoneSnapshot, item: Mapping[str, Any]) -> ZoneSnapshot:
    """``zone`` with the policies a plan document recorded (defaults where it recorded none)."""
    recorded = item.get("guardrails") or {}
    freeze = recorded.get("freeze")
    policy = Guardrails(
        protect=tuple(recorded.get("protect", ())),
        prune=recorded.get("prune", True),
        mode=recorded.get("mode", ENFORCE),
        freeze=Freeze(freeze["until"], freeze["reason"]) if freeze else None,
    )
    return dataclasses.replace(
        zone,
        ignore=tuple(item.get("ignore", ())),
        guardrails=policy,
        unmanaged=tuple(item.get("unmanaged", ())),
    )


def plan_fields_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan document's top-level guardrail keys: sources, time, and what apply will do."""
    return {
        "sources": list(plan.sources),
        "made_at": plan.made_at,
        "guardrails": describe(plan).to_dict(),
    }


def plan_fields_from_dict(plan: Plan, document: Mapping[str, Any]) -> Plan:
    """``plan`` with the sources and time a plan document recorded."""
    return dataclasses.replace(
        plan, sources=tuple(document.get("sources", ())), made_at=document.get("made_at")
    )


def kept_apps(plan: Plan) -> tuple[Action, ...]:
    """The apps ``prune: false`` keeps, as drift reports them: live, declared by no file."""
    return tuple(
        Action(
            ActionKind.DELETE,
            zone.apps[app_id].key,
            zone.zone_id,
            app_id=app_id,
            before=zone.apps[app_id].config,
            reasons=("kept: the zone has prune: false, so apply never deletes it",),
        )
        for zone in plan.zones
        for app_id in zone.unmanaged
        if app_id in zone.apps
    )


def unmatched_protect(desired: DesiredState) -> list[Problem]:
    """A warning per ``protect`` pattern that matches no declared app of its zone.

    Not an error: protecting a live app that no file declares (yet) is a legitimate use; a typo
    in a pattern is the other reason, and then the app is not protected.
    """
    warnings = []
    for zone in desired.zones:
        names = [a.key.dns_name for a in desired.apps if a.key.zone == zone.label]
        for pattern in zone.guardrails.protect:
            if not any(_matches(pattern, name) for name in names):
                warnings.append(
                    Problem(
                        zone.sources[0] if zone.sources else None,
                        f"protect pattern {json.dumps(pattern)} matches no declared app "
                        f"of zone {zone.label} — fine if it guards a live app on purpose, "
                        "else check its spelling",
                    )
                )
    return warnings
