"""deploy/prometheus/rules.yml and deploy/grafana/dashboard.json: every metric they query is one
the reconciler exports, and the alerts docs/running.md promises are there."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.running.metrics import Metrics
from tests.tool_skips import need

ROOT = Path(__file__).parents[1]
RULES = ROOT / "deploy" / "prometheus" / "rules.yml"
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboard.json"
_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
    "info": ("_info",),
}
# Words of PromQL that are not metric names: grouping and set operators, modifiers.
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
             "unless", "offset", "inf", "nan"}  # fmt: skip


def exported() -> set[str]:
    """Every series name the loop's /metrics can show (the textfile shows a subset): a counter's
    or a histogram's family name itself is no series (``x_total``, ``x_bucket`` are)."""
    names: set[str] = set()
    for family in Metrics(interval=300.0).served().collect():
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, labels, keywords left out)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings: label values, regexes
    text = re.sub(r"\$\{?\w+\}?", "", text)  # Grafana variables
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for found in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        is_function = text[found.end() :].lstrip().startswith("(")
        if not is_function and found.group().lower() not in _KEYWORDS:
            names.add(found.group())
    return names


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    """(panel title, expression) for every query of the dashboard, variables' included."""
    document = json.loads(DASHBOARD.read_text(encoding="utf-8"))

    def walk(panels: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
        for panel in panels:
            for target in panel.get("targets", []):
                yield panel["title"], target["expr"]
            yield from walk(panel.get("panels", []))  # rows hold panels

    yield from walk(document["panels"])
    for variable in document["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]["query"]
            yield f"${variable['name']}", re.sub(r"label_values\((\w+),.*\)", r"\1", query)


@pytest.mark.parametrize(
    ("expr", "names"),
    [
        ('sum by (zone) (spectrum_reconciler_drift_apps{job=~"$job"}) > 0',
         {"spectrum_reconciler_drift_apps"}),
        ("histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))", {"x_bucket"}),
        ("time() - a > 2 * (b or a * 0 + 600)", {"a", "b"}),
        ('increase(c_total{outcome="error"}[1h]) > 0 unless on(job) d offset 5m', {"c_total", "d"}),
        ("1e3 * rate(e[$__rate_interval])", {"e"}),
    ],
)  # fmt: skip
def test_the_checker_finds_the_metric_names_of_an_expression(expr: str, names: set[str]) -> None:
    assert metric_names(expr) == names


def test_every_metric_the_alerts_use_is_exported() -> None:
    known = exported()
    for rule in rules():
        unknown = metric_names(rule["expr"]) - known
        assert not unknown, f"{rule['alert']}: {sorted(unknown)} not exported"


def test_every_metric_the_dashboard_uses_is_exported() -> None:
    known = exported()
    exprs = list(dashboard_exprs())
    assert len(exprs) >= 10
    for title, expr in exprs:
        unknown = metric_names(expr) - known
        assert not unknown, f"panel {title!r}: {sorted(unknown)} not exported"


@pytest.mark.parametrize(
    "wrong",
    [
        "spectrum_reconciler_drift_app",  # misspelt
        "spectrum_reconciler_cycles",  # a counter without _total
        "spectrum_reconciler_cycle_duration_seconds",  # a histogram without _bucket/_sum/_count
        "process_cpu_seconds",
    ],
)
def test_a_name_that_is_no_series_would_be_caught(wrong: str) -> None:
    assert metric_names(f"rate({wrong}[5m]) > 0") - exported() == {wrong}


def test_the_alerts_the_issue_asks_for_are_there_each_with_a_summary() -> None:
    found = {rule["alert"]: rule for rule in rules()}
    assert {
        "SpectrumDriftStanding",
        "SpectrumReconcileFailing",
        "SpectrumReconcileNoSuccess",
    } <= set(found)
    assert found["SpectrumDriftStanding"]["for"] == "4h"
    assert "cycle_interval_seconds" in found["SpectrumReconcileNoSuccess"]["expr"]
    for rule in found.values():
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]


def test_every_dashboard_query_is_limited_to_the_chosen_jobs() -> None:
    for title, expr in dashboard_exprs():
        if not title.startswith("$"):
            selectors = re.findall(r"[a-z_:]+\{([^}]*)\}", expr)
            assert selectors and all('job=~"$job"' in s for s in selectors), title


def test_promtool_accepts_the_rules() -> None:
    promtool = need("promtool")
    done = subprocess.run(
        [promtool, "check", "rules", str(RULES)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
