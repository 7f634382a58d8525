"""Check loaded documents against the JSON Schema and the semantic rules; build the desired state.

In: :class:`Document` values (from ``config``). Out: ``(DesiredState, [])`` when every document
is valid, else ``(None, problems)`` with every problem found, each located at the value (or, for
an unknown field, the key) it is about. Pure: no I/O beyond reading the packaged schema once.

Schema errors are turned into messages that say what to do: the schema's own ``errorMessage`` /
``patternErrorMessage`` annotations (which editors show too), a nearest-name suggestion for a
misspelt field, and the branch the ``type`` discriminator picks for ``edge_ips``. The semantic
rules (``rules.py``) see only the parts of a document that passed the schema.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from typing import Any

from reconciler.desired import policy, rules
from reconciler.desired.fast_schema import Check, compile_check
from reconciler.model import (
    AppKey,
    DesiredApp,
    DesiredState,
    Location,
    Problem,
    SafetyPolicy,
    ZoneSpec,
)

PathKey = tuple[str | int, ...]
ValidationError = Any  # jsonschema's, imported only when a document fails (import time)


@dataclass(frozen=True)
class Document:
    """One loaded file: its JSON-shaped data and where each value (and mapping key) was written.

    ``positions`` maps a path (``("apps", 0, "dns", "name")``) to the value's location;
    ``key_positions`` maps the same path to the location of its key in the parent mapping;
    ``unreadable`` holds the paths of values the loader already reported (and stored as null),
    so their schema errors count but are not reported twice.
    """

    name: str
    data: dict[str, Any]
    positions: Mapping[PathKey, Location]
    key_positions: Mapping[PathKey, Location]
    unreadable: frozenset[PathKey] = frozenset()

    def locate(self, path: Iterable[str | int]) -> Location:
        """Where the value at ``path`` was written, else its nearest written ancestor."""
        key = tuple(path)
        while key and key not in self.positions:
            key = key[:-1]
        return self.positions.get(key, Location(self.name, 1, 1))

    def locate_key(self, path: Iterable[str | int]) -> Location:
        """Where the key of the value at ``path`` was written (for unknown or duplicate fields)."""
        key = tuple(path)
        return self.key_positions.get(key) or self.locate(key)


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


# --- turning schema errors into problems ---------------------------------------------------


def problems_for(doc: Document, error: ValidationError) -> list[Problem]:
    """The located, actionable problems of one schema error (one per unknown field)."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in known] or ["?"]
        return [_unknown_field(doc, known, path, name) for name in extra]
    return [Problem(doc.locate(path), _message(error, path))]


def _unknown_field(doc: Document, known: list[str], path: PathKey, name: str) -> Problem:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(known)}"
    message = f"unknown field {name!r} in {_where(path)} — {hint}"
    return Problem(doc.locate_key((*path, name)), message)


def _message(error: ValidationError, path: PathKey) -> str:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    if error.validator == "pattern" and "patternErrorMessage" in schema:
        return f"{_field(path)} {_shown(error.instance)}: {schema['patternErrorMessage']}"
    if "errorMessage" in schema:
        return str(schema["errorMessage"])
    return _generic_message(error, path)


def _generic_message(error: ValidationError, path: PathKey) -> str:
    field, value, expected = _field(path), _shown(error.instance), error.validator_value
    if error.validator == "required":
        # jsonschema reports each missing field as its own error, naming it first.
        missing = [k for k in expected if k not in error.instance] or ["?"]
        name = next((k for k in missing if error.message.startswith(repr(k))), missing[0])
        return f"{_where(path)} is missing the required field {name!r} — add it"
    if error.validator == "type":
        words = _type_words(expected)
        return f"{field} must be {words}, not {_described(error.instance)} — write {words}"
    if error.validator in ("enum", "const"):
        return _enum_message(field, error.instance, expected)
    if error.validator in ("minimum", "maximum"):
        side = "at least" if error.validator == "minimum" else "at most"
        return f"{field} is {value} — it must be {side} {expected}"
    if error.validator == "minItems":
        return f"{field} is empty — list at least {expected} item(s) or remove the field"
    return f"{field} is not valid ({error.message}) — see schemas/desired-state.schema.json"


def _enum_message(field: str, value: Any, expected: Any) -> str:
    allowed = list(expected) if isinstance(expected, list) else [expected]
    words = ", ".join(json.dumps(v) for v in allowed)
    close = difflib.get_close_matches(str(value), [str(v) for v in allowed], n=1, cutoff=0.5)
    hint = f"did you mean {close[0]!r}?" if close else f"use one of {words}"
    return f"{field} is {_shown(value)}, not one of {words} — {hint}"


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
}


def _type_words(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_WORDS.get(str(n), str(n)) for n in names)


def _json_type(value: Any) -> str:
    kinds: tuple[tuple[type, str], ...] = (
        (bool, "boolean"),
        (int, "integer"),
        (float, "number"),
        (str, "string"),
        (dict, "mapping"),
        (list, "list"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


def _described(value: Any) -> str:
    return "empty (null)" if value is None else f"{_json_type(value)} {_shown(value)}"


def _shown(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _field(path: PathKey) -> str:
    return _where(path) if path else "the file"


def _where(path: PathKey) -> str:
    if not path:
        return "the top level"
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".")


# --- the parts that passed the schema ------------------------------------------------------


def _valid_parts(
    doc: Document, errors: Sequence[ValidationError]
) -> tuple[rules.ZoneEntry | None, list[rules.AppEntry]]:
    bad = [tuple(e.absolute_path) for e in errors]
    zone = None if _zone_unusable(errors, bad) else _zone_entry(doc, bad)
    if zone is None or any(p[:1] == ("apps",) and len(p) < 2 for p in bad):
        return zone, []
    apps = doc.data.get("apps", [])
    return zone, [
        rules.AppEntry(doc, index, zone.label, app)
        for index, app in enumerate(apps)
        if not any(p[:2] == ("apps", index) for p in bad)
    ]


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
    return replace(state, warnings=state.warnings + tuple(policy.unmatched_protect(state)))


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
