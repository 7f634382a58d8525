"""Pure: the field-level differences between two normalized apps, as our own ``FieldChange`` values.

This is the only module that imports deepdiff; nothing of deepdiff's types leaves it. Paths are
dotted (``dns.type``, ``edge_ips.ips``); a list is reported whole (its before and after values),
because an item-by-item account of ``origin_direct`` or edge IPs says less than the two lists.
Changes come in field-table order, then by path, so output is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.plan import FieldChange
from reconciler.planning.normalize import FIELD_ORDER, value_at

_ABSENT = object()


def _dotted(parts: list[Any]) -> str:
    """``['edge_ips', 'ips', 0]`` -> ``edge_ips.ips``: stop at the first list index."""
    names = []
    for part in parts:
        if not isinstance(part, str):
            break
        names.append(part)
    return ".".join(names)


def _nested_paths(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    # Imported here, not at the top: deepdiff (and pydantic, which it imports) costs ~0.2 s,
    # and only a plan with a changed nested field needs it.
    from deepdiff import DeepDiff

    # threshold_to_diff_deeper=0: always name the fields, never "the whole object changed".
    tree = DeepDiff(before, after, view="tree", threshold_to_diff_deeper=0)
    return {
        _dotted(level.path(output_format="list")) for levels in tree.values() for level in levels
    }


def _changed_paths(before: Mapping[str, Any], after: Mapping[str, Any]) -> set[str]:
    """Scalars and lists differ as a whole; only fields that are objects on both sides need
    deepdiff to say which of their parts changed. Equal fields cost nothing."""
    keys = {
        k for k in before.keys() | after.keys() if before.get(k, _ABSENT) != after.get(k, _ABSENT)
    }
    nested = {
        k for k in keys if isinstance(before.get(k), Mapping) and isinstance(after.get(k), Mapping)
    }
    paths = keys - nested
    if nested:
        paths |= _nested_paths({k: before[k] for k in nested}, {k: after[k] for k in nested})
    return paths


def _order(path: str) -> tuple[int, str]:
    return (FIELD_ORDER.get(path.split(".", 1)[0], len(FIELD_ORDER)), path)


def diff_apps(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every changed field between two normalized apps; empty when they are equal."""
    if before == after:
        return ()
    paths = sorted(_changed_paths(before, after), key=_order)
    return tuple(FieldChange(path, value_at(before, path), value_at(after, path)) for path in paths)
