"""Traffic values: analytics answers read into immutable values, and how a plan says them."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.checks.traffic import (
    AppTraffic,
    TrafficShapeError,
    current_from_api,
    size_words,
    summary_from_api,
    traffic_words,
    window_words,
)

APP = "a" * 32


def test_a_summary_row_becomes_the_apps_traffic() -> None:
    result = {"data": [{"dimensions": [APP], "metrics": [12408, 1.0e9, 2.1e9]}], "rows": 1}
    traffic = summary_from_api("z", 86400, result)
    assert traffic.of(APP) == AppTraffic(12408, 1_000_000_000, 2_100_000_000)


def test_an_app_the_summary_does_not_name_was_idle() -> None:
    traffic = summary_from_api("z", 86400, {"data": []})
    assert traffic.known and traffic.of(APP) == AppTraffic()


def test_the_values_cannot_be_changed() -> None:
    traffic = summary_from_api("z", 60, {"data": [{"dimensions": [APP], "metrics": [1, 2, 3]}]})
    with pytest.raises(TypeError):
        traffic.apps[APP] = AppTraffic()  # type: ignore[index]


def test_rows_of_one_app_add_up() -> None:
    rows = [
        {"dimensions": [APP], "metrics": [1, 2, 3]},
        {"dimensions": [APP], "metrics": [4, 5, 6]},
    ]
    assert summary_from_api("z", 60, {"data": rows}).of(APP) == AppTraffic(5, 7, 9)


def test_the_current_aggregate_is_read_by_app() -> None:
    item = {"appID": APP, "connections": 5, "bytesIngress": 10, "bytesEgress": 20, "durationAvg": 1}
    assert current_from_api("z", [item]).of(APP) == AppTraffic(5, 10, 20)


@pytest.mark.parametrize(
    ("result", "where"),
    [
        ([], "result is not an object"),
        ({"data": {}}, "result.data is not a list"),
        ({"data": ["x"]}, "result.data[0] is not an object"),
        ({"data": [{"dimensions": [], "metrics": [1, 2, 3]}]}, "result.data[0].dimensions"),
        ({"data": [{"dimensions": [APP], "metrics": [1, 2]}]}, "result.data[0].metrics"),
        ({"data": [{"dimensions": [APP], "metrics": [1, "2", 3]}]}, "result.data[0].metrics[1]"),
        ({"data": [{"dimensions": [APP], "metrics": [-1, 2, 3]}]}, "result.data[0].metrics[0]"),
        ({"data": [{"dimensions": [7], "metrics": [1, 2, 3]}]}, "result.data[0].dimensions[0]"),
        ({"data": [{"dimensions": [APP], "metrics": [float("inf"), 2, 3]}]}, "metrics[0]"),
        # json.loads reads NaN: every comparison is False, so only isfinite stops it.
        ({"data": [{"dimensions": [APP], "metrics": [1, float("nan"), 3]}]}, "metrics[1]"),
        ({"data": [{"dimensions": [APP], "metrics": [1, 2, True]}]}, "metrics[2]"),
        ({"data": [{"dimensions": [""], "metrics": [1, 2, 3]}]}, "dimensions[0]"),
        ({"data": [{"dimensions": ["a" * 65], "metrics": [1, 2, 3]}]}, "dimensions[0]"),
    ],
)
def test_a_malformed_summary_is_a_located_error(result: Any, where: str) -> None:
    with pytest.raises(TrafficShapeError, match=where.replace("[", r"\[").replace("]", r"\]")):
        summary_from_api("z", 60, result)


@pytest.mark.parametrize(
    ("result", "where"),
    [({}, "result is not a list"), ([{"appID": APP}], r"result\[0\].connections")],
)
def test_a_malformed_current_answer_is_a_located_error(result: Any, where: str) -> None:
    with pytest.raises(TrafficShapeError, match=where):
        current_from_api("z", result)


@pytest.mark.parametrize(
    ("traffic", "words"),
    [
        (
            AppTraffic(12408, 1_000_000_000, 2_100_000_000),
            "carried 12,408 connections, 3.1 GB in the last 24 h",
        ),
        (AppTraffic(1, 100, 200), "carried 1 connection, 300 B in the last 24 h"),
        (AppTraffic(), "idle for 24 h"),
        (None, "traffic unknown"),
    ],
)
def test_how_a_plan_says_traffic(traffic: AppTraffic | None, words: str) -> None:
    assert traffic_words(traffic, 86400) == words


def test_windows_and_sizes_in_words() -> None:
    assert [window_words(s) for s in (86400, 5400, 90)] == ["24 h", "90 min", "90 s"]
    assert [size_words(n) for n in (999, 1000, 3_100_000_000)] == ["999 B", "1.0 kB", "3.1 GB"]
