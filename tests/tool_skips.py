"""Which tests may skip, and a run that says what it skipped.

Two tools outside Python are used by a few tests: ``node`` (the GitHub recipes' github-script
steps get ``node --check``, tests/test_ci_run.py) and ``terraform`` (``terraform validate`` of
the ``removed`` blocks import-terraform writes, tests/test_tfimport.py), and ``promtool``
(``promtool check rules``, tests/test_monitoring.py). ``need(tool)`` finds one on PATH;
without it:

- ``terraform`` and ``promtool`` are declared optional: its tests skip, with a reason starting ``OPTIONAL``;
- ``node`` skips on a developer's machine, and fails the test when ``CI`` is set (.ci/run
  installs it).

Every run ends with a list of what it skipped and why. With ``CI`` set, a skip that is not
declared optional fails the run (exit 1), whatever its cause (a missing tool, a missing
module, a ``pytest.skip`` anywhere): CI passes only when every test it could run, ran.
"""

from __future__ import annotations

import os
import shutil

import pytest

OPTIONAL = "OPTIONAL"
# Tools a machine may lack without the run failing: the CI images we target carry no
# terraform, and what import-terraform writes is also checked without it (test_tfimport.py).
OPTIONAL_TOOLS = {
    "terraform": "terraform validate of the removed blocks import-terraform writes",
    # Prometheus' own checker; the rules are also checked without it (test_monitoring.py).
    "promtool": "promtool check rules of deploy/prometheus/rules.yml",
}
INSTALLED_BY_CI = {"node": "apt-get install nodejs; .ci/run does it"}


def in_ci() -> bool:
    return bool(os.environ.get("CI"))


def need(tool: str) -> str:
    """The tool's path; else skip (declared optional, or outside CI) or fail (in CI)."""
    found = shutil.which(tool)
    if found is not None:
        return found
    if tool in OPTIONAL_TOOLS:
        pytest.skip(f"{OPTIONAL}: {tool} is not on PATH ({OPTIONAL_TOOLS[tool]})")
    if in_ci():
        pytest.fail(f"{tool} is missing and CI is set: {INSTALLED_BY_CI.get(tool, 'install it')}")
    pytest.skip(f"{tool} is not on PATH ({INSTALLED_BY_CI.get(tool, 'install it')})")


def reason_of(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
    return reason.removeprefix("Skipped: ")


def unexpected(skips: dict[str, str]) -> dict[str, str]:
    """The skips that were not declared optional."""
    return {test: why for test, why in skips.items() if not why.startswith(OPTIONAL)}


# This session's skips (test id -> reason); a plugin module holds one session.
SKIPS: dict[str, str] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped and not hasattr(report, "wasxfail"):
        SKIPS[report.nodeid] = reason_of(report)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not SKIPS:
        return
    terminalreporter.section(f"skipped: {len(SKIPS)}")
    for test, why in sorted(SKIPS.items()):
        terminalreporter.write_line(f"{test}: {why}")
    bad = unexpected(SKIPS)
    if bad and in_ci():
        terminalreporter.write_line(
            f"CI is set and {len(bad)} skipped test(s) were not declared optional "
            "(tests/tool_skips.py): the run fails"
        )


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if in_ci() and unexpected(SKIPS) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
