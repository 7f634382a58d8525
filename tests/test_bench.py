"""The benchmark harness's request count is a correctness claim: a plan reads the minimum."""

from __future__ import annotations

from bench.reads import Scenario, count_requests


def test_plan_makes_the_minimum_number_of_requests() -> None:
    with Scenario(apps=250, zones=2) as scenario:  # 125 apps a zone: two pages each
        counted = count_requests(scenario, runs=1)
    assert counted.minimum == 2 * (1 + 2)
    assert counted.requests.high == counted.minimum
    assert counted.client_requests.high == counted.minimum
    assert counted.rate_limited == 0


def test_the_address_check_costs_at_most_two_plus_two_per_prefix() -> None:
    from bench.addresses import measure

    cost = measure(apps=30, zones=2, runs=1)
    assert cost.app_minimum == 2 * (1 + 1) and cost.preflight == 2  # one listing a zone
    assert cost.skipped.high == cost.app_minimum + cost.preflight
    assert cost.checked.high == cost.app_minimum + cost.preflight + cost.budget == 6 + 2 + 2 * 3


def test_the_reread_row_counts_one_get_per_update_and_both_applies_complete() -> None:
    from bench.reread import measure

    measured = measure(5, 1)
    assert (measured.gets, measured.puts) == (5, 5)
    assert measured.with_reread.runs == measured.without.runs == 1


def test_the_interrupt_harness_measures_a_real_ctrl_c() -> None:
    from bench.interrupt import measure

    result = measure(apps=40, zones=1, limit="12/60")  # waits after the twelfth request
    assert result.exit_code == 4 and "INTERRUPTED" in result.summary
    assert 0 < result.wrote < 40 and result.exit_s < 10  # a liveness bound; the row has the goal


def test_the_preflight_reads_nothing_for_updates_and_a_listing_per_zone_for_creates() -> None:
    from bench.preflight import measure

    cost = measure(apps=250, zones=2, runs=1)
    assert cost.updates_extra.high == 0
    assert cost.creates_extra.high == 2 <= cost.creates_budget  # one DNS listing a zone


def test_bytes_per_app_is_the_peaks_growth_above_the_fixed_part() -> None:
    from bench.memory import Memory, bytes_per_app
    from bench.scenario import Figure

    def run(apps: int, peak_mb: float) -> Memory:
        return Memory(apps, 50, Figure(peak_mb, peak_mb, peak_mb, 1), Figure(30, 30, 30, 1))

    # 40,000 more apps cost 80 MB more: 2,097 bytes each, whatever the fixed 40 MB
    assert bytes_per_app(run(10_000, 60.0), run(50_000, 140.0)) == 80 * 1024 * 1024 / 40_000
