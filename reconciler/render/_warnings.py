"""Pure: the address check's warnings (and a skipped check) as plan lines, text or Markdown.

Shown before the actions in every format: a warning is about what apply will do, and a reviewer
reads the top of a PR comment first.
"""

from __future__ import annotations

from collections.abc import Sequence

from reconciler.plan import PlanWarning

SKIPPED = (
    "address checks skipped (--skip-address-checks): static edge IPs were not checked against "
    "the account's prefixes, service bindings and advertisement"
)


OFFLINE = (
    "offline review: no live state was read, so the checks that need it did not run — static "
    "edge IPs against the account's prefixes, bindings and advertisement, live apps no file "
    "ever declared, and changes made outside git; `plan` runs them"
)


def _where(warning: PlanWarning) -> str:
    return str(warning.source) if warning.source else warning.key.zone


def text_lines(warnings: Sequence[PlanWarning], address_checks: str) -> list[str]:
    """``! warning [kind] file:line:col: message`` lines, then a blank line; none when clean."""
    lines = [f"! warning [{w.kind}] {_where(w)}: {w.message}" for w in warnings]
    if address_checks == "skipped":
        lines.append(f"! {SKIPPED}")
    if address_checks == "offline":
        lines.append(f"! {OFFLINE}")
    return [*lines, ""] if lines else []


def markdown_lines(warnings: Sequence[PlanWarning], address_checks: str, risk: str) -> list[str]:
    """A ``⚠️ Address warnings`` section (one bullet per warning); none when clean."""
    lines: list[str] = []
    if warnings:
        noun = "warning" if len(warnings) == 1 else "warnings"
        lines += ["", f"#### {risk} {len(warnings)} address {noun}", ""]
        lines += [f"- {risk} `{w.kind}` `{_where(w)}`: {w.message}" for w in warnings]
    if address_checks == "skipped":
        lines += ["", f"> {risk} {SKIPPED[0].upper()}{SKIPPED[1:]}"]
    if address_checks == "offline":
        lines += ["", f"> {OFFLINE[0].upper()}{OFFLINE[1:]}"]
    return lines
