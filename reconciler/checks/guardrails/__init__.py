"""Pure: guardrails — (Plan with its zones' policies, now, overrides) -> what may run, why not.

In: a :class:`Plan` whose zone snapshots carry each zone's policies as planned (safety, ignore,
protect, prune, mode, freeze), the time, and the operator's overrides (``--force``,
``--break-glass``). Out: a :class:`Verdict`: the plan to run, the actions an observe-only zone
skips and a refused zone holds, every refusal with the flag (if any) that lifts it, and notes.
``apply`` (from files or a saved plan) and the reconcile loop both call :func:`assess`;
renderers call :func:`describe`.

One function per rule, each returning a :class:`Refusal` or nothing, collected in ``RULES``
(octoDNS's ``Plan``/``UnsafePlan``, Argo CD's ``Prune=false``, Crossplane's observe-only
``managementPolicies``):

=================  ===========================================================  ================
rule               refuses                                                      lifted by
=================  ===========================================================  ================
protected          a delete or recreate of a live app matching ``protect``      nothing
not_pruned         a delete in a ``prune: false`` zone (only a saved plan)      nothing
frozen             any write to the zone while a freeze window is in force      --break-glass
                   (fixed ``until``, or recurring ``cron`` + ``duration``)      by whom
                                                                                ``break_glass``
                                                                                names
too_destructive    more than max_destructive_percent of the zone's *managed*    --force
                   apps (ignored and unpruned ones do not count), or all of
                   them unless ``safety.allow_delete_all``
=================  ===========================================================  ================

A zone in ``mode: observe`` is never refused: its actions are skipped, each one said. A refusal
holds the actions of its own zone (``Verdict.held``); the other zones' actions run.

The package, one room per concern (callers import from here):

==============  ====================================================================
policy          a zone's policy: modes, freezes, protect patterns, merging declarations
verdict         the values: Overrides, Refusal, BrokenFreeze, Verdict, GuardrailError
rules           the four rules above and ``RULES``
assessment      :func:`assess`: every rule over every zone
description     :func:`describe`: what a plan shows; protected and kept apps
document        a saved plan document's guardrail fields; its policies against the files
==============  ====================================================================
"""

from reconciler.checks.guardrails.assessment import assess
from reconciler.checks.guardrails.description import (
    Description,
    describe,
    kept_apps,
    protected_keys,
)
from reconciler.checks.guardrails.document import (
    plan_fields_from_dict,
    plan_fields_to_dict,
    policy_changes,
    snapshot_policy_from_dict,
    snapshot_policy_to_dict,
)
from reconciler.checks.guardrails.rules import RULES, frozen, not_pruned, protected, too_destructive
from reconciler.checks.guardrails.verdict import (
    BrokenFreeze,
    GuardrailError,
    Overrides,
    Refusal,
    Rule,
    Verdict,
)
from reconciler.desired.policy import (
    ENFORCE,
    FIELDS,
    MODES,
    OBSERVE,
    active_freeze,
    from_declarations,
    is_protected,
    managed_app_ids,
    unmatched_protect,
    user_from,
)
from reconciler.desired.times import parse_time

__all__ = [
    "ENFORCE",
    "FIELDS",
    "MODES",
    "OBSERVE",
    "RULES",
    "BrokenFreeze",
    "Description",
    "GuardrailError",
    "Overrides",
    "Refusal",
    "Rule",
    "Verdict",
    "active_freeze",
    "assess",
    "describe",
    "from_declarations",
    "frozen",
    "is_protected",
    "kept_apps",
    "managed_app_ids",
    "not_pruned",
    "parse_time",
    "plan_fields_from_dict",
    "plan_fields_to_dict",
    "policy_changes",
    "protected",
    "protected_keys",
    "snapshot_policy_from_dict",
    "snapshot_policy_to_dict",
    "too_destructive",
    "unmatched_protect",
    "user_from",
]
