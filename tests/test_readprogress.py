"""ReadProgress: a long read says how far it is — in place on a terminal, a line per tenth in
a log — and a short read says nothing."""

from __future__ import annotations

import io

from reconciler.live.readprogress import ReadProgress


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_a_long_read_prints_a_line_per_tenth() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = ReadProgress(stream, on_terminal=False, clock=clock)
    clock.now = 5.0
    for done in range(1, 1001):
        progress(done, 1000)
    lines = stream.getvalue().splitlines()
    assert lines == [f"reading: {n * 100}/1000 zones ({n * 10}%)" for n in range(1, 11)]


def test_on_a_terminal_one_line_is_rewritten_and_ended() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = ReadProgress(stream, on_terminal=True, clock=clock)
    clock.now = 5.0
    for done in range(1, 4):
        progress(done, 3)
    assert stream.getvalue() == "\rreading: 1/3 zones\rreading: 2/3 zones\rreading: 3/3 zones\n"


def test_a_short_read_prints_nothing() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = ReadProgress(stream, on_terminal=False, clock=clock)
    clock.now = 0.2
    for done in range(1, 51):
        progress(done, 50)
    assert stream.getvalue() == ""


def test_the_client_reports_each_zone_read_of_the_total() -> None:
    from reconciler.emulator import Emulator, EmulatorConfig
    from reconciler.live.cloudflare import CloudflareClient
    from reconciler.model import ZoneSpec

    names = [f"z{i}.example" for i in range(5)]
    emulator = Emulator(EmulatorConfig(zones=names))
    seen: list[tuple[int, int]] = []
    client = CloudflareClient(
        "token",
        base_url="https://emulator.invalid/client/v4",
        transport=emulator.transport(),
        on_zone_read=lambda done, total: seen.append((done, total)),
    )
    with client:
        client.fetch_live([ZoneSpec(name=n, zone_id=None) for n in names])
    assert seen == [(n, 5) for n in range(1, 6)]


def test_with_json_lines_even_a_terminal_gets_a_json_record_per_tenth() -> None:
    """--log-format json: a line rewritten in place could not be parsed; records are printed."""
    import json

    from reconciler.logs import configure_logging

    stream, clock = io.StringIO(), Clock()
    progress = ReadProgress(stream, on_terminal=True, clock=clock)
    clock.now = 5.0
    configure_logging(verbose=False, debug=False, json_lines=True)
    try:
        for done in range(1, 11):
            progress(done, 10)
    finally:
        configure_logging(verbose=False, debug=False)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["message"] for r in records][-1] == "reading: 10/10 zones (100%)"
    assert len(records) == 10
