"""Schema errors as located problems whose message says what to do.

In: a :class:`Document` and one ``jsonschema`` error about it. Out: the problems it means, each
located at the value (or, for an unknown field, the key) it is about. Pure.

Messages come from the schema's own ``errorMessage`` / ``patternErrorMessage`` annotations (which
editors show too), a nearest-name suggestion for a misspelt field or enum value, and plain words
for the rest (``must be an integer, not string "x"``).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from typing import Any

from reconciler.desired.document import Document, PathKey
from reconciler.model import Problem
from reconciler.wording import count

ValidationError = Any  # jsonschema's, imported only when a document fails (import time)


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
        return f"{field} is empty — list at least {count(expected, 'item')} or remove the field"
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
