"""A corpus of configurations Cloudflare's real API accepted: the Terraform provider's acceptance
tests for ``cloudflare_spectrum_application`` (v5.22.0 testdata), each step written as a
desired-state file. Every step validates, applies to the emulator and then plans empty — so a
rule here or there that refuses what Cloudflare accepts shows up as a failing step.

The leased ``172.65.64.0/24`` stands in for the static IPs Cloudflare leases to the test account
(``--leased-prefix``): they are in no BYOIP prefix but in the account's leased address map, so the
plan recognizes them and warns nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.desired.loading import load_desired_state
from tests.conftest import FIXTURES, make_client, make_emulator

CORPUS = FIXTURES / "terraform-acceptance"
TESTS = sorted(path.name for path in CORPUS.iterdir() if path.is_dir())
LEASED = ("172.65.64.0/24",)


def steps(test: str) -> list[Path]:
    return sorted((CORPUS / test).glob("step*.yaml"))


def test_the_corpus_covers_every_acceptance_test_configuration() -> None:
    assert len(TESTS) == 16 and sum(len(steps(t)) for t in TESTS) == 26


@pytest.mark.parametrize("test", TESTS)
def test_every_step_validates_applies_and_then_plans_empty(test: str) -> None:
    emulator = make_emulator(leased_prefixes=LEASED)
    with make_client(emulator) as client:
        for step in steps(test):
            # validate, the step file alone (the steps of a test are versions of one zone):
            # raises ConfigError with locations
            desired = load_desired_state([step])
            plan = workflow.plan_for(desired, client)
            # The first step creates; a later one may change nothing (EdgeIPsMultiple step 2
            # only reorders the IPs: Terraform's own test that a set's order makes no diff).
            assert plan.has_changes or step.name != "step1.yaml"
            report = Executor(client).apply(plan)
            assert report.complete, [o.error for o in report.outcomes if o.error]
            again = workflow.plan_for(desired, client)
            assert not again.has_changes, f"{step.name} plans again: {again.actions}"
            assert plan.warnings == (), [w.message for w in plan.warnings]
