"""Pure: the preflight's refusals and notes as plan lines, text or Markdown.

Text shows them after the actions (the plan first, then why it will not be applied); Markdown
at the top of the PR comment, where a reviewer looks first. A plan made offline (``diff``)
says which checks it could not make.
"""

from __future__ import annotations

from reconciler.plan import OFFLINE, ActionKind, Plan, PlanWarning

NOT_CHECKED = (
    "preflight not checked ({why}): DNS record conflicts, the IPv4 hostname "
    "quota, the zones' plans and the origins' zones (dns_record_conflict, ipv4_hostname_quota, "
    "spectrum_not_in_plan, field_not_in_plan, protocol_not_in_plan, one_app_per_protocol, "
    "origin_dns_outside_account) are checked by plan and apply"
)
OFFLINE_WHY = "no live state was read"
STOPPED_WHY = "the run stopped before it"  # e.g. --strict refused the address check's findings


def _where(finding: PlanWarning) -> str:
    return str(finding.source) if finding.source else finding.key.zone


def notes(plan: Plan) -> list[str]:
    """What the checks could not count, and whether they ran at all."""
    writes = any(a.kind is not ActionKind.DELETE for a in plan.actions)
    why = OFFLINE_WHY if plan.address_checks == OFFLINE else STOPPED_WHY
    unchecked = [NOT_CHECKED.format(why=why)] if plan.preflight == "not checked" and writes else []
    return [*unchecked, *plan.preflight_notes]


def text_lines(plan: Plan) -> list[str]:
    """``! refused [kind] file:line:col: message`` lines, then the notes; none when clean."""
    lines = [f"! refused [{r.kind}] {_where(r)}: {r.message}" for r in plan.refusals]
    lines += [f"! {note}" for note in notes(plan)]
    return [*lines, ""] if lines else []


def markdown_lines(plan: Plan, stop: str) -> list[str]:
    """A ``⛔ N refusals`` section (one bullet each), then the notes as quotes."""
    lines: list[str] = []
    if plan.refusals:
        count = len(plan.refusals)
        noun = "write Cloudflare would refuse" if count == 1 else "writes Cloudflare would refuse"
        lines += ["", f"#### {stop} {count} {noun}: nothing will be applied", ""]
        lines += [f"- {stop} `{r.kind}` `{_where(r)}`: {r.message}" for r in plan.refusals]
    lines += [f"\n> {note}" for note in notes(plan)]
    return lines
