"""Which deletes and creates run together as one replace: same zone and hostname, same transport,
overlapping edge ports — a tcp app and a udp app on one port never share a unit."""

from __future__ import annotations

import pytest

from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind
from reconciler.planning.replace import collides, replace_units


def key(protocol: str, name: str = "a.example.com") -> AppKey:
    return AppKey("example.com", name, protocol)


@pytest.mark.parametrize(
    ("old", "new", "joined"),
    [
        ("tcp/22", "tcp/22-23", True),
        ("ssh", "tcp/20-30", True),  # ssh is tcp/22
        ("tcp/53", "udp/53", False),  # one port, two transports: no conflict
        ("udp/1000-2000", "tcp/1500", False),
        ("tcp/22", "tcp/23", False),
    ],
)
def test_a_replace_joins_only_the_same_transport_on_a_shared_port(
    old: str, new: str, joined: bool
) -> None:
    assert collides(key(old), key(new)) is joined
    delete = Action(ActionKind.DELETE, key(old), "z", app_id="1")
    create = Action(ActionKind.CREATE, key(new), "z")
    units, rest = replace_units([delete, create])
    assert (len(units) == 1) is joined and len(rest) == (0 if joined else 2)


def test_another_hostname_never_joins() -> None:
    assert not collides(key("tcp/22"), key("tcp/22", "b.example.com"))
