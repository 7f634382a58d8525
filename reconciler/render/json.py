"""Pure: a Plan as the plan document of interface.md, a Drift as a JSON report."""

from __future__ import annotations

import json
from typing import Any, TextIO

from reconciler.plan import Plan
from reconciler.planning.planner import Drift
from reconciler.render._common import redact_action, redact_plan
from reconciler.render.plan_document import FORMAT_VERSION, plan_to_document, seal


def _dump(document: Any, stream: TextIO) -> None:
    stream.write(json.dumps(document, sort_keys=True, indent=2) + "\n")


def render_json(plan: Plan, stream: TextIO, *, redact_origins: bool) -> None:
    """Write the plan document; a redacted one is marked so ``apply --plan`` refuses it."""
    if not redact_origins:
        _dump(plan_to_document(plan), stream)
        return
    document = plan_to_document(redact_plan(plan))
    document["redacted"] = True
    _dump(seal(document), stream)


def drift_to_document(drift: Drift, *, redact_origins: bool = False) -> dict[str, Any]:
    """The drift report as JSON: three lists of actions in the plan document's action form,
    and ``kept``: the apps prune: false keeps, in that form with ``"action": "kept"``."""

    def actions(group: tuple[Any, ...]) -> list[Any]:
        return [(redact_action(a) if redact_origins else a).to_dict() for a in group]

    def kept(group: tuple[Any, ...]) -> list[Any]:
        return [entry | {"action": "kept"} for entry in actions(group)]

    return {
        "format_version": FORMAT_VERSION,
        "has_drift": drift.has_drift,
        "changed": actions(drift.changed),
        "unmanaged": actions(drift.unmanaged),
        "missing": actions(drift.missing),
        "kept": kept(drift.kept),
        "warnings": [warning.to_dict() for warning in drift.warnings],
        "address_checks": drift.address_checks,
    }


def render_drift_json(drift: Drift, stream: TextIO, *, redact_origins: bool) -> None:
    """Write the drift report as JSON (sorted keys, two-space indent)."""
    _dump(drift_to_document(drift, redact_origins=redact_origins), stream)
