"""Pure: the zones whose traffic could not be read, said once each above the actions."""

from __future__ import annotations

from reconciler.checks.traffic import unknown_zones
from reconciler.plan import Plan


def text_lines(plan: Plan) -> list[str]:
    lines = [f"! {line}" for line in unknown_zones(plan)]
    return [*lines, ""] if lines else []


def markdown_lines(plan: Plan, mark: str) -> list[str]:
    return [line for text in unknown_zones(plan) for line in ("", f"> {mark} {text}")]
