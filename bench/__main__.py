"""``python -m bench [--quick]``: run every benchmark row and print one table.

Each figure is the median of several runs with its min-max. ``--quick`` shrinks every size so
CI can run it in seconds; it asserts nothing about timing, but a row that crashes is printed as
FAILED and makes the exit status 1.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from bench import (
    addresses,
    emulator_throughput,
    interrupt,
    memory,
    pacing,
    planning,
    preflight,
    reads,
    reread,
    whole,
)
from bench.scenario import Figure
from bench.stamp import commit, machine, stamp, write_block
from reconciler.live.ratelimit import RateLimit


@dataclass(frozen=True)
class Sizes:
    runs: int
    plan_apps: int
    plan_zones: int
    small_apps: int
    small_zones: int
    planning: tuple[int, ...]
    pace_limit: RateLimit
    pace_creates: int
    pace_runs: int
    memory_apps: int
    memory_zones: int
    emulator_seconds: float
    # whole-process rows (bench/whole.py)
    whole_runs: int = 3
    validate: tuple[tuple[int, int], ...] = ((5_000, 50), (50_000, 500))
    state_creates: int = 5_000
    paced: tuple[int, int, int, float] = (100_000, 1_000, 120, 30.0)  # apps, zones, limit
    memory_large_apps: int = 50_000
    reread_updates: int = 200  # bench/reread.py
    interrupt: tuple[int, str] = (9_000, "1200/300")  # apps, rate limit (bench/interrupt.py)


FULL = Sizes(5, 5_000, 50, 1_000, 10, (1_000, 10_000, 50_000), RateLimit(60, 10.0), 200, 3,
             10_000, 50, 2.0)  # fmt: skip
QUICK = replace(
    Sizes(3, 500, 5, 100, 2, (1_000, 5_000), RateLimit(20, 2.0), 50, 2, 1_000, 5, 0.3),
    whole_runs=1,
    validate=((500, 5), (2_000, 20)),
    state_creates=300,
    paced=(1_000, 10, 10, 1.0),
    memory_large_apps=2_000,
    reread_updates=20,
    interrupt=(300, "60/60"),
)

Row = tuple[str, str, str, str]  # what, figure (median), spread, goal


def fmt(figure: Figure, unit: str = "", digits: int = 0) -> tuple[str, str]:
    median = f"{figure.median:,.{digits}f}{unit}"
    return median, f"{figure.low:,.{digits}f}-{figure.high:,.{digits}f}{unit} (n={figure.runs})"


def request_rows(sizes: Sizes) -> list[Row]:
    rows: list[Row] = []
    for apps, zones in ((sizes.plan_apps, sizes.plan_zones), (sizes.small_apps, sizes.small_zones)):
        with reads.Scenario(apps, zones) as scenario:
            c = reads.count_requests(scenario, sizes.runs)
        median, spread = fmt(c.requests)
        verdict = "met" if c.requests.high == c.minimum else "MISSED"
        goal = f"minimum {c.minimum} ({verdict}); 1/app: {c.per_app:,}; 429s: {c.rate_limited}"
        rows.append((f"1. plan requests, {apps:,} apps / {zones} zones", median, spread, goal))
    return rows


def wall_rows(sizes: Sizes) -> list[Row]:
    with reads.Scenario(sizes.plan_apps, sizes.plan_zones) as scenario:
        w = reads.time_reads(scenario, sizes.runs)
    what = f"2. reads wall, {w.apps:,} apps / {w.zones} zones, 50 ms"
    median, spread = fmt(w.reads_s, " s", 3)
    ratio = w.reads_s.median / w.critical_path_s
    verdict = "met" if ratio <= 1.5 else "MISSED"
    goal = f"≤1.5x critical path {w.critical_path_s:.3f} s: {ratio:.2f}x ({verdict})"
    plan_median, plan_spread = fmt(w.plan_s, " s", 3)
    return [
        (what + f" (zone_concurrency={w.zone_concurrency})", median, spread, goal),
        ("   plan wall (reads + build_plan)", plan_median, plan_spread, "for reference"),
    ]


def planning_rows(sizes: Sizes) -> list[Row]:
    measured = planning.measure(sizes.planning, repeats=sizes.runs)
    rows: list[Row] = []
    by_size = {r["apps"]: r["median_s"] for r in measured}
    for r in measured:
        figure = Figure(r["median_s"], r["min_s"], r["max_s"], r["repeats"])
        goal = ""
        if r["apps"] == 10_000:
            goal = f"10k well under 1 s ({'met' if r['median_s'] < 1.0 else 'MISSED'})"
        if r["apps"] == 50_000 and 10_000 in by_size:
            x = r["median_s"] / by_size[10_000]
            goal = f"50k/10k ≤ 6x: {x:.1f}x ({'met' if x <= 6 else 'MISSED'})"
        rows.append((f"3. build_plan, {r['apps']:,} apps", *fmt(figure, " s", 3), goal))
    return rows


def pacing_rows(sizes: Sizes) -> list[Row]:
    p = pacing.measure(sizes.pace_limit, sizes.pace_creates, sizes.pace_runs)
    limit = f"{p.limit.requests}/{p.limit.seconds:g}s"
    verdict = "met" if p.ratio.median >= 0.9 and p.rate_limited == 0 else "MISSED"
    naive, _ = fmt(p.naive_ratio, "", 2)
    goal = f"≥0.90, 0 429s: 429s {p.rate_limited} ({verdict}); naive {naive}"
    what = f"4. apply pacing, {p.creates} creates at {limit} (rate / limit)"
    requests, _ = fmt(p.requests)
    seconds, seconds_spread = fmt(p.seconds, " s", 1)
    return [
        (what, *fmt(p.ratio, "", 3), goal),
        ("   requests per apply / first→last", f"{requests} / {seconds}", seconds_spread, ""),
    ]


def memory_rows(sizes: Sizes) -> list[Row]:
    m = memory.measure(sizes.memory_apps, sizes.memory_zones, sizes.runs)
    verdict = "met" if m.peak_mb.high < 150 else "MISSED"
    floor, _ = fmt(m.baseline_mb, " MB", 1)
    what = f"5. peak RSS, plan command, {m.apps:,} apps / {m.zones} zones"
    big = memory.measure(sizes.memory_large_apps, sizes.memory_zones, sizes.whole_runs)
    x = big.peak_mb.median / m.peak_mb.median
    big_goal = f"≤ 3x the {m.apps:,} figure: {x:.2f}x ({'met' if x <= 3 else 'MISSED'})"
    big_what = f"   peak RSS, plan command, {big.apps:,} apps / {big.zones} zones"
    per_app = memory.bytes_per_app(m, big)
    per_app_goal = f"≤ 2 KB: {per_app / 1024:.2f} KB ({'met' if per_app <= 2048 else 'MISSED'})"
    per_app_what = f"   per app above the fixed part: ({big.apps:,} - {m.apps:,} figure) / apps"
    return [
        (what, *fmt(m.peak_mb, " MB", 1), f"< 150 MB ({verdict}); import-only {floor}"),
        (big_what, *fmt(big.peak_mb, " MB", 1), big_goal),
        (per_app_what, f"{per_app:,.0f} B", "(medians)", per_app_goal),
    ]


def emulator_rows(sizes: Sizes) -> list[Row]:
    rates = [
        emulator_throughput.measure(sizes.emulator_seconds)["requests_per_second"]
        for _ in range(sizes.runs)
    ]
    figure = Figure.of(rates)
    verdict = "met" if figure.median >= 2000 else "MISSED"
    return [("6. emulator, list 100 apps (req/s)", *fmt(figure), f"≥ 2,000/s ({verdict})")]


def address_rows(sizes: Sizes) -> list[Row]:
    c = addresses.measure(sizes.small_apps, sizes.small_zones, sizes.runs)
    extra = c.checked.high - c.skipped.high
    floor = c.app_minimum + c.preflight
    verdict = "met" if c.skipped.high == floor and extra <= c.budget else "MISSED"
    what = f"7. plan requests, {c.apps:,} static-IP apps / {c.zones} zones / {c.prefixes} prefixes"
    goal = (
        f"app minimum {c.app_minimum} + preflight {c.preflight} + at most {c.budget} "
        f"(2 + 2 x prefixes): {verdict}"
    )
    return [(what, *fmt(c.checked), goal)]


def preflight_rows(sizes: Sizes) -> list[Row]:
    c = preflight.measure(sizes.plan_apps, sizes.plan_zones, sizes.runs)
    met = c.updates_extra.high == 0 and c.creates_extra.high <= c.creates_budget
    what = f"14. preflight requests beyond the minimum, {c.apps:,} apps / {c.zones} zones"
    goal = (
        f"all-update 0, all-create ≤ {c.creates_budget} (a read per zone with creates + one "
        f"per account): {c.creates_extra.median:,.0f} ({'met' if met else 'MISSED'})"
    )
    return [(what, *fmt(c.updates_extra), goal)]


def whole_plan_rows(sizes: Sizes) -> list[Row]:
    r = whole.plan_race(sizes.plan_apps, sizes.plan_zones, sizes.whole_runs)
    bound = r.critical_path_s + r.floor.median
    x = r.plan.median / bound
    what = f"8. whole-process plan, {r.apps:,} apps / {r.zones} zones, emulator apart, 50 ms"
    goal = (
        f"≤ 1.5 x (critical path {r.critical_path_s:.2f} s + import {r.floor.median:.2f} s): "
        f"{x:.2f}x ({'met' if x <= 1.5 else 'MISSED'}); {r.plan_requests} requests"
    )
    return [
        (what, *fmt(r.plan, " s", 2), goal),
        ("   import floor: python -c 'import reconciler.cli'", *fmt(r.floor, " s", 2), ""),
        ("   peer: official cloudflare SDK script, sequential", *fmt(r.sdk_sequential, " s", 2),
         f"{r.sdk_sequential_requests} requests"),
        ("   peer: official cloudflare SDK script, 8 threads", *fmt(r.sdk_threads, " s", 2),
         f"{r.sdk_threads_requests} requests"),
    ]  # fmt: skip


VALIDATE_ABOVE_FLOOR_S = 0.15  # issue 29's goal for 5,000 apps (it was 0.30 s)


def whole_validate_rows(sizes: Sizes) -> list[Row]:
    floor = whole.import_floor(sizes.whole_runs)
    walls = whole.validate_walls(sizes.validate, sizes.whole_runs)
    (small, _), (large, _) = sizes.validate
    over = walls[small].median - floor.median
    first = f"≤ import floor {floor.median:.2f} s + {VALIDATE_ABOVE_FLOOR_S:.2f} s: +{over:.2f} s"
    x = walls[large].median / walls[small].median
    verdict = "met" if x <= 11 else "MISSED"
    second = f"≤ 11x the {small:,}: {x:.1f}x ({verdict})"
    if over > 0.05:  # the time above the floor, when it is large enough to divide by
        second += f"; above the import floor {(walls[large].median - floor.median) / over:.1f}x"
    return [
        (f"9. whole-process validate, {small:,} apps", *fmt(walls[small], " s", 2),
         f"{first} ({'met' if over <= VALIDATE_ABOVE_FLOOR_S else 'MISSED'})"),
        (f"   whole-process validate, {large:,} apps", *fmt(walls[large], " s", 2), second),
    ]  # fmt: skip


def state_rows(sizes: Sizes) -> list[Row]:
    c = whole.state_cost(sizes.state_creates, sizes.whole_runs)
    x = c.with_state.median / c.without.median
    what = f"10. emulator, {c.creates:,} creates in-process, with --state"
    goal = f"≤ 1.3x without: {x:.2f}x ({'met' if x <= 1.3 else 'MISSED'})"
    return [
        (what, *fmt(c.with_state, " s", 2), goal),
        ("    the same without --state", *fmt(c.without, " s", 2), ""),
    ]


def paced_rows(sizes: Sizes) -> list[Row]:
    apps, zones, count, seconds = sizes.paced
    p = whole.paced_plan(apps, zones, (count, seconds))
    ok = p.rate_limited == 0 and p.progress_lines >= 10
    what = f"11. paced plan, {apps:,} apps / {zones:,} zones at {count}/{seconds:g} s"
    goal = (
        f"0 429s: {p.rate_limited}; {p.requests:,} requests; {p.fraction:.2f} of the limit after "
        f"its first window; {p.progress_lines} progress lines ({'met' if ok else 'MISSED'})"
    )
    return [(what, f"{p.wall_s:,.1f} s", "(n=1)", goal)]


def reread_rows(sizes: Sizes) -> list[Row]:
    r = reread.measure(sizes.reread_updates, sizes.runs)
    x = r.with_reread.median / r.without.median
    what = f"12. apply, {r.updates:,} updates, 50 ms: each target read again before its write"
    goal = f"{r.gets:,} GET + {r.puts:,} PUT; {x:.2f}x the apply without the re-read"
    return [
        (what, *fmt(r.with_reread, " s", 2), goal),
        ("    the same apply, the re-read answered in memory", *fmt(r.without, " s", 2), ""),
    ]


def interrupt_rows(sizes: Sizes) -> list[Row]:
    apps, limit = sizes.interrupt
    r = interrupt.measure(apps, limit=limit)
    ok = r.exit_code == 4 and r.exit_s <= 2.5
    what = f"13. Ctrl-C in a paced apply, {r.apps:,} creates at {r.limit} s: SIGINT -> exit"
    goal = (
        f"≤ 2 s + in flight (50 ms): exit {r.exit_code} after {r.wrote:,} created "
        f"({'met' if ok else 'MISSED'})"
    )
    return [(what, f"{r.exit_s:.2f} s", "(n=1)", goal)]


SECTIONS: tuple[Callable[[Sizes], list[Row]], ...] = (
    request_rows,
    wall_rows,
    planning_rows,
    pacing_rows,
    memory_rows,
    emulator_rows,
    address_rows,
    whole_plan_rows,
    whole_validate_rows,
    state_rows,
    paced_rows,
    reread_rows,
    interrupt_rows,
    preflight_rows,
)


def render(rows: list[Row]) -> str:
    header: Row = ("row", "median", "min-max", "goal")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in rows]
    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([" | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)), rule]
                     + [line.rstrip() for line in lines])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI")
    parser.add_argument(
        "--write-docs",
        nargs="+",
        metavar="FILE",
        help="also write the table as Markdown between the bench markers of each FILE",
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    ran_on = commit()  # before the run: the code measured, not what the docs write changes
    started = time.monotonic()
    rows: list[Row] = []
    failed = 0
    for section in SECTIONS:
        print(f"running {section.__name__} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(section(sizes))
        except Exception:  # report every crash, run the other rows, then fail
            failed += 1
            traceback.print_exc()
            rows.append((section.__name__, "FAILED", "", "crashed: see the traceback above"))
    command = "python -m bench" + (" --quick" if args.quick else "")
    if args.write_docs:
        command += " --write-docs " + " ".join(args.write_docs)
    took = f"; the run took {(time.monotonic() - started) / 60:.0f} min"
    line = stamp(command, ran_on, machine() + took)
    print(line)
    print(render(rows))
    for name in args.write_docs or ():
        write_docs(Path(name), line, rows)
    return 1 if failed else 0


def markdown(stamp_line: str, rows: list[Row]) -> str:
    cells = [("row", "median", "min-max (n)", "goal and verdict"), ("---",) * 4, *rows]
    table = "\n".join(
        "| " + " | ".join(c.strip().replace("|", "\\|") for c in r) + " |" for r in cells
    )
    return f"{stamp_line}\n\n{table}\n"


def write_docs(path: Path, stamp_line: str, rows: list[Row]) -> None:
    """Replace the text between the bench markers of ``path`` with this run's table."""
    write_block(path, "bench", markdown(stamp_line, rows))
    print(f"wrote the table into {path}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
