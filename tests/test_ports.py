"""The one port reader: what validation, normalization and delete ordering all agree a port is."""

from __future__ import annotations

import pytest

from reconciler.desired.ports import Ports, parse_loose_ports, parse_ports, protocol_ports


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22", Ports(22, 22, False)),
        (" 22 ", Ports(22, 22, False)),
        ("1000-2000", Ports(1000, 2000, True)),
        ("1000 - 2000", None),
        ("", None),
        ("22-", None),
        ("ssh", None),
    ],
)
def test_parse_ports_reads_a_port_or_a_range(text: str, expected: Ports | None) -> None:
    assert parse_ports(text) == expected


def test_loose_ports_forgive_spaces_around_the_dash() -> None:
    assert parse_loose_ports(" 1000 - 2000") == Ports(1000, 2000, True)


def test_a_range_prints_as_written_and_knows_its_overlaps() -> None:
    ranged, single = Ports(1000, 2000, True), Ports(2000, 2000, False)
    assert (str(ranged), str(single)) == ("1000-2000", "2000")
    assert ranged.overlaps(single) and not ranged.overlaps(Ports(2001, 2001, False))


@pytest.mark.parametrize(
    ("protocol", "expected"),
    [
        ("tcp/22", ("tcp", Ports(22, 22, False))),
        ("udp/1000-2000", ("udp", Ports(1000, 2000, True))),
        ("ssh", ("tcp", Ports(22, 22, False))),
        ("RDP", ("tcp", Ports(3389, 3389, False))),
        ("minecraft", ("minecraft", None)),
        ("tcp/abc", ("tcp", None)),
    ],
)
def test_protocol_ports_split_transport_from_ports(
    protocol: str, expected: tuple[str, Ports | None]
) -> None:
    assert protocol_ports(protocol) == expected
