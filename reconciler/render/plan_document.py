"""Pure: the plan document of interface.md — a Plan to a JSON-shaped dict and back.

``plan_to_document`` adds ``format_version``, ``generated_by`` and a ``checksum`` (sha256 over
the canonical JSON of every other key), so ``plan_from_document`` can refuse a file that is not
JSON, cut short, of another version, outside ``schemas/plan.schema.json``, or edited by hand.
Documents rendered with origins redacted carry ``"redacted": true`` and are refused for apply:
their bodies no longer hold the real origins.

The checksum only notices accidents: anyone who edits the file can recompute it. Given a key
(``SPECTRUM_RECONCILER_PLAN_KEY``, read by the shell), ``plan_to_document`` also writes a
``signature`` (``hmac-sha256:<hex>`` over the same canonical JSON), and ``plan_from_document``
refuses a document whose signature is missing, wrong, or present when no key was given to check it.
Neither makes the document trusted: ``apply --plan`` re-derives what runs from the files and live
state (``checks.integrity``); the signature tells an edited artifact from a stale one.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from importlib import resources
from typing import TYPE_CHECKING, Any

from reconciler import __version__
from reconciler.checks import guardrails, traffic
from reconciler.errors import PlanFileError
from reconciler.model import DEFAULT_TOKEN_ENV, AppKey, Location, SafetyPolicy
from reconciler.plan import (
    Action,
    ActionKind,
    FieldChange,
    LiveAppStamp,
    Plan,
    PlanWarning,
    ZoneSnapshot,
)
from reconciler.planning.normalize import canonical_json

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

FORMAT_VERSION = 1
_REDO = "make a new one with `spectrum-reconciler plan --out FILE`"


_KEY_VARIABLE = "SPECTRUM_RECONCILER_PLAN_KEY"
_SIGNATURE_PREFIX = "hmac-sha256:"


def _checksum(document: Mapping[str, Any]) -> str:
    rest = {k: v for k, v in document.items() if k != "checksum"}
    return hashlib.sha256(canonical_json(rest).encode()).hexdigest()


def _signature(document: Mapping[str, Any], key: bytes) -> str:
    rest = {k: v for k, v in document.items() if k not in ("checksum", "signature")}
    mac = hmac.new(key, canonical_json(rest).encode(), hashlib.sha256).hexdigest()
    return _SIGNATURE_PREFIX + mac


def _zone_to_dict(zone: ZoneSnapshot) -> dict[str, Any]:
    apps = {
        app_id: {
            "dns_name": stamp.key.dns_name,
            "protocol": stamp.key.protocol,
            "modified_on": stamp.modified_on,
            "digest": stamp.digest,
            "config": stamp.config,
        }
        for app_id, stamp in sorted(zone.apps.items())
    }
    return {
        "zone": zone.name,
        "zone_id": zone.zone_id,
        "token_env": zone.token_env,
        "safety": zone.safety.to_dict(),
        "apps": apps,
        **guardrails.snapshot_policy_to_dict(zone),
    }


def seal(document: dict[str, Any]) -> dict[str, Any]:
    """Set (or reset) a document's checksum after its content is final."""
    document.pop("checksum", None)
    document["checksum"] = _checksum(document)
    return document


def plan_to_document(plan: Plan, *, key: bytes | None = None) -> dict[str, Any]:
    """The plan document: actions, summary, the live state it saw, a checksum, and with ``key``
    a signature."""
    document = _content(plan)
    if key:
        document["signature"] = _signature(document, key)
    return seal(document)


def _content(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "generated_by": f"spectrum-reconciler {__version__}",
        "actions": [_action_to_dict(plan, action) for action in plan.actions],
        "summary": plan.summary,
        "live": {"zones": [_zone_to_dict(zone) for zone in plan.zones]},
        **guardrails.plan_fields_to_dict(plan),
        "warnings": [warning.to_dict() for warning in plan.warnings],
        "address_checks": plan.address_checks,
        "refusals": [refusal.to_dict() for refusal in plan.refusals],
        "preflight": {"status": plan.preflight, "notes": list(plan.preflight_notes)},
        "traffic": traffic.section_to_dict(plan),
    }


def _action_to_dict(plan: Plan, action: Action) -> dict[str, Any]:
    shown = traffic.traffic_to_dict(plan, action)
    return action.to_dict() | ({"traffic": shown} if shown is not None else {})


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator  # only reading a saved plan needs it (~0.1 s)

    text = resources.files("reconciler").joinpath("schemas/plan.schema.json").read_text("utf-8")
    return Draft202012Validator(json.loads(text))


def _parse(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        # A file cut inside a string fails where that string starts, not at the end: json
        # says "Unterminated string" only when the text ends before the closing quote.
        cut_in_string = error.msg.startswith("Unterminated string")
        if error.pos >= len(text.rstrip()) or cut_in_string:
            raise PlanFileError(
                f"{source}: the plan file ends early (truncated?); {_REDO}"
            ) from None
        raise PlanFileError(
            f"{source}: not valid JSON ({error.msg} at line {error.lineno}); {_REDO}"
        ) from None


def _check_signature(document: Mapping[str, Any], source: str, key: bytes | None) -> None:
    signature = document.get("signature")
    if key is None:
        if signature is not None:
            raise PlanFileError(
                f"{source}: the plan is signed; set {_KEY_VARIABLE} to the key the plan job "
                "used, so apply can check the signature"
            )
        return
    if signature is None:
        raise PlanFileError(
            f"{source}: the plan is not signed, and {_KEY_VARIABLE} is set: apply only plans "
            f"made with the key (set {_KEY_VARIABLE} where plan runs too); {_REDO}"
        )
    if not hmac.compare_digest(str(signature), _signature(document, key)):
        raise PlanFileError(
            f"{source}: the signature does not match: the plan was edited after it was made, or "
            f"signed with another key; {_REDO}"
        )


def _check(document: Any, source: str) -> None:
    if not isinstance(document, dict):
        raise PlanFileError(f"{source}: not a plan document (expected a JSON object); {_REDO}")
    if document.get("format_version") != FORMAT_VERSION:
        found = document.get("format_version")
        raise PlanFileError(
            f"{source}: plan format_version {found!r} is not {FORMAT_VERSION}, "
            f"the one this version reads; {_REDO}"
        )
    error = next(iter(sorted(_validator().iter_errors(document), key=lambda e: list(e.path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise PlanFileError(
            f"{source}: not a valid plan document at {where}: {error.message}; {_REDO}"
        )
    if document["checksum"] != _checksum(document):
        raise PlanFileError(
            f"{source}: checksum mismatch: the plan was edited after it was made; {_REDO}"
        )
    if document.get("redacted"):
        raise PlanFileError(
            f"{source}: this plan was rendered with origins redacted and cannot be applied; {_REDO}"
        )


def _action_from_dict(item: Mapping[str, Any]) -> Action:
    key = AppKey(item["zone"], item["key"]["dns_name"], item["key"]["protocol"])
    return Action(
        kind=ActionKind(item["action"]),
        key=key,
        zone_id=item["zone_id"],
        app_id=item["app_id"],
        before=item["before"],
        after=item["after"],
        body=item["body"],
        changes=tuple(FieldChange(c["path"], c["before"], c["after"]) for c in item["changes"]),
        reasons=tuple(item["reasons"]),
        source=_location(item["source"]),
    )


def _zone_from_dict(item: Mapping[str, Any]) -> ZoneSnapshot:
    def stamp(app: Mapping[str, Any]) -> LiveAppStamp:
        key = AppKey(item["zone"], app["dns_name"], app["protocol"])
        return LiveAppStamp(key, app["modified_on"], app["digest"], app.get("config"))

    apps = {app_id: stamp(app) for app_id, app in item["apps"].items()}
    zone = ZoneSnapshot(
        item["zone"],
        item["zone_id"],
        apps,
        SafetyPolicy(**item["safety"]),
        token_env=item.get("token_env", DEFAULT_TOKEN_ENV),
    )
    return guardrails.snapshot_policy_from_dict(zone, item)


def plan_from_document(text: str, source: str, *, key: bytes | None = None) -> Plan:
    """Read a saved plan document back, refusing anything that is not exactly what we wrote
    (and, with ``key``, signed with it).

    Raises ``PlanFileError`` with one line naming ``source``, what is wrong and what to do.
    """
    document = _parse(text, source)
    _check(document, source)
    _check_signature(document, source, key)
    preflight = document.get("preflight") or {}
    plan = Plan(
        actions=tuple(_action_from_dict(item) for item in document["actions"]),
        unchanged=document["summary"]["unchanged"],
        zones=tuple(_zone_from_dict(zone) for zone in document["live"]["zones"]),
        warnings=tuple(_warning_from_dict(item) for item in document.get("warnings", ())),
        address_checks=document.get("address_checks", "not needed"),
        refusals=tuple(_warning_from_dict(item) for item in document.get("refusals", ())),
        preflight=preflight.get("status", "not checked"),
        preflight_notes=tuple(preflight.get("notes", ())),
        traffic=traffic.section_from_dict(document.get("traffic")),
    )
    return guardrails.plan_fields_from_dict(plan, document)


def _warning_from_dict(item: Mapping[str, Any]) -> PlanWarning:
    key = AppKey(item["zone"], item["key"]["dns_name"], item["key"]["protocol"])
    return PlanWarning(item["kind"], key, item["ip"], item["message"], _location(item["source"]))


def _location(text: str | None) -> Location | None:
    """``file:line:col`` (as ``Location`` writes it) back into a Location; the file name itself
    may hold colons, so the numbers are taken from the right."""
    file, _, col = (text or "").rpartition(":")
    file, _, line = file.rpartition(":")
    if not (file and line.isdigit() and col.isdigit()):
        return None
    return Location(file, int(line), int(col))
