"""The reliability table (docs/reliability.md) is made from the figures alone; it hides none."""

from __future__ import annotations

import pytest
from figures_table import markdown, rows

pytestmark = pytest.mark.reliability


def test_rows_come_from_the_figures_and_losses_are_summed() -> None:
    figures = {
        "recreate_cases": 3,
        "recreate_faults_injected": 9,
        "recreate_apps_lost": 1,
        "recreate_apps_back_after_next_apply": 1,
        "replace_cases": 2,
        "replace_faults_injected": 4,
        "replace_apps_lost": 0,
        "something_new": 5,
    }
    table = dict(rows(figures))
    (recreate,) = [value for label, value in table.items() if label.startswith("recreate")]
    assert recreate.startswith("3 cases, 9 scripted faults; apps missing when the run ended: 1")
    assert table["something_new"] == "5"  # a figure no row reports is still listed
    assert table["**apps missing when a run ended, over every case above**"] == "**1**"
    assert markdown(figures).startswith("| | |\n|---|---|\n")


def test_a_row_whose_tests_did_not_run_is_left_out() -> None:
    token = {"token_commands_run": 2, "token_places_scanned": 7, "token_found": 0}
    labels = [label for label, _ in rows(token)]
    assert labels[0].startswith("token scan") and len(labels) == 2


MEASURED_ZEROS = {
    "guardrail": {"guardrail_gate_cases": 1, "guardrail_apps_lost": 2},
    "failed reads": {
        "failed_read_commands": 4,
        "failed_read_commands_refused": 3,
        "failed_read_apps_deleted": 50,
    },
    "hostile": {"hostile_inputs": 6, "hostile_command_runs": 24, "hostile_tracebacks": 1},
    "token": {"token_commands_run": 2, "token_places_scanned": 7, "token_found": 3},
    "re-sealed plans": {
        "plan_file_resealed_edits": 9,
        "plan_file_resealed_refused": 4,
        "plan_file_resealed_invalid": 2,
        "plan_file_resealed_harmless": 2,
        "plan_file_resealed_other": 1,
    },
}


@pytest.mark.parametrize("case", MEASURED_ZEROS)
def test_a_measured_loss_reads_as_itself_and_an_unmeasured_one_leaves_the_row_out(
    case: str,
) -> None:
    figures = MEASURED_ZEROS[case]
    (value,) = [value for label, value in rows(figures) if not label.startswith("**")]
    measured = list(figures)[-1]
    assert value.endswith(f": {figures[measured]}"), value  # the count, never a typed 0
    unmeasured = {name: n for name, n in figures.items() if name != measured}
    assert all(label in unmeasured for label, _ in rows(unmeasured)[:-1])  # listed raw, no row
