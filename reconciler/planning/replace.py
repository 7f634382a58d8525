"""Pure: deletes that must free a hostname and port before a create can have them.

Changing an app's identity while keeping a port it holds (``tcp/22`` -> ``tcp/22-23`` on one
hostname) is a delete plus a create, and Cloudflare refuses the create while the old app still
holds the port. Such a pair is one replace, like a recreate: the planner says so (downtime) and the
executor runs the pair as one unit that puts the old app back if the create fails.

In: a plan's actions. Out: the replace units (deletes and the creates they make room for, grouped
so that no unit shares a port with another), and the plan's actions with the downtime noted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.desired.ports import protocol_ports
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind


@dataclass(frozen=True)
class Replace:
    """Deletes that must run before the creates they free ports for; one unit of work."""

    deletes: tuple[Action, ...]
    creates: tuple[Action, ...]

    @property
    def actions(self) -> tuple[Action, ...]:
        return (*self.deletes, *self.creates)


def collides(a: AppKey, b: AppKey) -> bool:
    """Same zone and hostname, same transport, overlapping edge ports (``ssh`` is tcp/22)."""
    if a.zone != b.zone or a.dns_name != b.dns_name:
        return False
    (ta, ports_a), (tb, ports_b) = protocol_ports(a.protocol), protocol_ports(b.protocol)
    if ports_a is None or ports_b is None:  # a protocol we cannot read collides only with itself
        return a.protocol == b.protocol
    return ta == tb and ports_a.overlaps(ports_b)


def replace_units(actions: Sequence[Action]) -> tuple[list[Replace], list[Action]]:
    """(replace units, every other action): deletes and creates joined by a shared port.

    Units are the connected groups of the "shares a port" relation between deletes and creates,
    so one delete freeing ports for two creates (or two deletes for one) is a single unit.
    """
    creates_by_host: dict[tuple[str, str], list[Action]] = {}
    for action in actions:
        if action.kind is ActionKind.CREATE:
            creates_by_host.setdefault((action.key.zone, action.key.dns_name), []).append(action)
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        while parent.setdefault(i, i) != i:
            i = parent[i]
        return i

    index = {id(action): i for i, action in enumerate(actions)}
    for action in actions:
        if action.kind is not ActionKind.DELETE:
            continue
        for create in creates_by_host.get((action.key.zone, action.key.dns_name), ()):
            if collides(action.key, create.key):
                parent[root(index[id(create)])] = root(index[id(action)])
    groups: dict[int, list[Action]] = {}
    rest: list[Action] = []
    for i, action in enumerate(actions):
        if i in parent:
            groups.setdefault(root(i), []).append(action)
        else:
            rest.append(action)
    units = [
        Replace(
            tuple(a for a in group if a.kind is ActionKind.DELETE),
            tuple(a for a in group if a.kind is ActionKind.CREATE),
        )
        for group in groups.values()
    ]
    return units, rest


def note_downtime(actions: Sequence[Action]) -> list[Action]:
    """The actions, with every replace unit's delete and create saying what the unit does."""
    units, rest = replace_units(actions)
    noted = list(rest)
    for unit in units:
        old = ", ".join(str(a.key) for a in unit.deletes)
        new = ", ".join(str(a.key) for a in unit.creates)
        reason = (
            f"replace: {old} is deleted first to free its port for {new}; traffic for {old} "
            "drops while this runs (the old app is created again if the create fails)"
        )
        noted += [dataclasses.replace(a, reasons=(*a.reasons, reason)) for a in unit.actions]
    return noted
