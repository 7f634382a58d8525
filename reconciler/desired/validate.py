"""Check loaded documents against the JSON Schema and the semantic rules; build the desired state.

In: :class:`Document` values (from ``loading``). Out: ``(DesiredState, [])`` when every document
is valid, else ``(None, problems)`` with every problem found, each located at the value (or, for
an unknown field, the key) it is about. Pure: no I/O beyond reading the packaged schema once.

A ``oneOf`` error is opened into the branch its ``type`` discriminator picks (``edge_ips``), and
``schema_problems`` words each error. The semantic rules (``rules/``) see what the schema allows:
an app with a schema error still goes to them, its faulty fields marked broken (a rule that
reads one is skipped for that app), as long as its ``dns.name`` and ``protocol`` are sound — so
a wrong type and a UDP app with ``tls`` are reported in one run, not one after the other. A
zone whose name, id or ``apps`` list is wrong gives the rules nothing.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib import resources
from typing import Any

from reconciler.desired import policy, rules
from reconciler.desired.document import Document, PathKey
from reconciler.desired.fast_schema import Check, compile_check
from reconciler.desired.schema_problems import ValidationError, problems_for
from reconciler.model import (
    AppKey,
    DesiredApp,
    DesiredState,
    Location,
    Problem,
    SafetyPolicy,
    ZoneSpec,
)


def validate_documents(docs: Sequence[Document]) -> tuple[DesiredState | None, list[Problem]]:
    """Every schema and rule problem of ``docs``; the desired state only when there are none."""
    problems: list[Problem] = []
    zones: list[rules.ZoneEntry] = []
    apps: list[rules.AppEntry] = []
    for doc in docs:
        errors = schema_errors(doc)
        problems.extend(
            problem
            for error in errors
            if tuple(error.absolute_path) not in doc.unreadable
            for problem in problems_for(doc, error)
        )
        zone, valid_apps = _valid_parts(doc, errors)
        zones.extend([zone] if zone else [])
        apps.extend(valid_apps)
    context = rules.build_context(zones, apps)
    problems.extend(rules.check(context))
    problems.sort(key=lambda p: (p.location or Location("", 0, 0), p.message))
    if problems:
        return None, problems
    return _desired_state(context), []


@cache
def desired_state_schema() -> dict[str, Any]:
    """The packaged desired-state JSON Schema (``reconciler/schemas/desired-state.schema.json``)."""
    text = (resources.files("reconciler") / "schemas" / "desired-state.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _fast_check() -> Check:
    return compile_check(desired_state_schema())


@cache
def _validator() -> Any:
    # No format checker on purpose: formats are editor hints; the rules check IPs and UUIDs
    # themselves, so each mistake is reported once, with a message that says what to do.
    from jsonschema import Draft202012Validator  # only a document that fails needs it

    return Draft202012Validator(desired_state_schema())


def schema_errors(doc: Document) -> list[Any]:
    """The schema errors of one document, with ``oneOf`` errors opened into the chosen branch.

    A valid document — the usual case — is recognised by the compiled check of
    ``fast_schema`` and has none; any other is explained by ``jsonschema``, whose errors carry
    the paths and schema annotations every message and location is made from.
    """
    if _fast_check()(doc.data):
        return []
    found: list[Any] = []
    for error in _validator().iter_errors(doc.data):
        found.extend(_open_branches(error))
    return found


def _open_branches(error: ValidationError) -> list[ValidationError]:
    if error.validator != "oneOf" or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.schema_path[0], []).append(sub)
    chosen = min(branches.values(), key=_branch_mismatch)
    if _branch_mismatch(chosen)[0]:
        return [error]  # no branch's discriminator fits: the oneOf's own message says why
    return [leaf for sub in chosen for leaf in _open_branches(sub)]


def _branch_mismatch(errors: list[ValidationError]) -> tuple[int, int]:
    # A branch whose ``type`` discriminator failed is the wrong branch, whatever else it says.
    wrong_kind = any(e.validator == "const" and list(e.path)[-1:] == ["type"] for e in errors)
    return (int(wrong_kind), len(errors))


# --- the parts that passed the schema ------------------------------------------------------


def _valid_parts(
    doc: Document, errors: Sequence[ValidationError]
) -> tuple[rules.ZoneEntry | None, list[rules.AppEntry]]:
    bad = [tuple(e.absolute_path) for e in errors]
    zone = None if _zone_unusable(errors, bad) else _zone_entry(doc, bad)
    if zone is None or any(p[:1] == ("apps",) and len(p) < 2 for p in bad):
        return zone, []
    entries = []
    for index, app in enumerate(doc.data.get("apps", [])):
        broken = [p[2:] for p in bad if p[:2] == ("apps", index)]
        if _named(app, broken):
            fields = frozenset(str(p[0]) for p in broken if p)
            entries.append(rules.AppEntry(doc, index, zone.label, app, fields))
    return zone, entries


def _named(app: Any, broken: Sequence[PathKey]) -> bool:
    """Whether the rules can tell which app this is: ``dns.name`` and ``protocol`` are sound."""
    if not isinstance(app, Mapping) or not isinstance(app.get("dns"), Mapping):
        return False
    faulty = any(p[:1] == ("protocol",) or p in (("dns",), ("dns", "name")) for p in broken)
    typed = isinstance(app["dns"].get("name"), str) and isinstance(app.get("protocol"), str)
    return typed and not faulty


def _zone_unusable(errors: Sequence[ValidationError], bad: Sequence[PathKey]) -> bool:
    return any(p[:1] in (("zone",), ("zone_id",)) for p in bad) or any(
        not e.absolute_path and e.validator == "anyOf" for e in errors
    )


def _zone_entry(doc: Document, bad: Sequence[PathKey]) -> rules.ZoneEntry:
    def clean(name: str) -> Any:
        return None if any(p[:1] == (name,) for p in bad) else doc.data.get(name)

    return rules.ZoneEntry(
        doc=doc,
        name=rules.normal_zone_name(doc.data.get("zone")),
        zone_id=doc.data.get("zone_id"),
        ignore=tuple(clean("ignore") or ()),
        safety=clean("safety"),
        guardrails={name: value for name in policy.FIELDS if (value := clean(name)) is not None},
        token_env=clean("token_env"),
    )


def _desired_state(context: rules.RuleContext) -> DesiredState:
    zones = tuple(_zone_spec(entries) for entries in context.zone_groups().values())
    apps = tuple(
        DesiredApp(
            AppKey.of(entry.zone, entry.config["dns"]["name"], entry.config["protocol"]),
            entry.config,
            entry.at(),
        )
        for entry in sorted(context.apps, key=lambda a: a.at())
    )
    state = DesiredState(zones=zones, apps=apps, warnings=tuple(rules.advise(context)))
    unmatched = policy.unmatched_protect(state, _protect_locations(context, zones))
    return replace(state, warnings=state.warnings + tuple(unmatched))


def _protect_locations(
    context: rules.RuleContext, zones: Sequence[ZoneSpec]
) -> dict[tuple[str, str], Location]:
    """Where each zone's ``protect`` patterns were first written: (zone label, pattern) -> at."""
    located: dict[tuple[str, str], Location] = {}
    for zone, entries in zip(zones, context.zone_groups().values(), strict=True):
        for entry in entries:
            for index, pattern in enumerate((entry.guardrails or {}).get("protect") or ()):
                located.setdefault((zone.label, pattern), entry.at("protect", index))
    return located


def _zone_spec(entries: Sequence[rules.ZoneEntry]) -> ZoneSpec:
    name = next((e.name for e in entries if e.name), None)
    zone_id = next((e.zone_id for e in entries if e.zone_id), None)
    patterns = dict.fromkeys(p for e in entries for p in e.ignore)  # ordered, de-duplicated
    safety = next((e.safety for e in entries if e.safety), None) or {}
    return ZoneSpec(
        name=name,
        zone_id=zone_id,
        ignore=tuple(patterns),
        safety=_safety_policy(safety),
        sources=tuple(e.at() for e in entries),
        guardrails=policy.from_declarations([e.guardrails or {} for e in entries]),
        token_env=next((e.token_env for e in entries if e.token_env), None),
    )


def _safety_policy(settings: Mapping[str, Any]) -> SafetyPolicy:
    default = SafetyPolicy()
    percent = settings.get("max_destructive_percent", default.max_destructive_percent)
    allow_all = settings.get("allow_delete_all", default.allow_delete_all)
    return SafetyPolicy(max_destructive_percent=float(percent), allow_delete_all=bool(allow_all))
