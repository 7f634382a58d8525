"""The reliability table of docs/reliability.md, from one run's figures (none typed by hand).

Every run of the suite prints it at the end; ``RELIABILITY_TABLE=FILE`` also writes it to FILE.
A row appears only when the tests it reports on ran; a figure no row reports is listed at the
end, so nothing measured is left out. Every count of something that must not happen (apps lost
or deleted, tracebacks, tokens found) is measured by the tests before their assertions — the
zone read back by id, every output scanned — and a row needs it: a figure that was not measured
leaves its row out rather than reading 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

Figures = Mapping[str, int]


def _n(value: int) -> str:
    return f"{value:,}"


def _count(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _runs(count: int) -> str:
    return _count(count, "run")


def _soak(f: Figures) -> str:
    return (
        f"{f['soak_scenarios']} scenarios, {f['soak_apply_runs']} apply runs; every scenario's "
        f"next plan was empty after at most {_runs(f['soak_runs_max'])}"
    )


def _soak_faults(f: Figures) -> str:
    kinds = (
        f"{_n(f.get('soak_faults_server_error', 0))} 5xx, "
        f"{_n(f.get('soak_faults_rate_limited', 0))} 429s, "
        f"{_n(f.get('soak_faults_dropped', 0))} dropped, "
        f"{_n(f.get('soak_faults_lost_response', 0))} lost responses"
    )
    return f"{_n(f['soak_requests'])} / {_n(f['soak_faults_injected'])} ({kinds})"


def _recreate(f: Figures) -> str:
    text = (
        f"{f['recreate_cases']} cases, {f['recreate_faults_injected']} scripted faults; "
        f"apps missing when the run ended: {f.get('recreate_apps_lost', 0)}"
    )
    back = f.get("recreate_apps_back_after_next_apply", 0)
    if f.get("recreate_apps_lost", 0):
        text += (
            " (the case where the API refuses every attempt to restore the old app: the run "
            "exits 4 naming it, its configuration is in the journal and the plan's `before`, "
            f"and the next apply re-created it: {back})"
        )
    return text


def _resealed(f: Figures) -> str:
    return (
        f"{f['plan_file_resealed_edits']} edits (every field but the checksum): "
        f"{f['plan_file_resealed_refused']} refused as not what the files and live state give "
        f"(exit 3), {f['plan_file_resealed_invalid']} refused as no valid plan or its files "
        f"gone (exit 1), nothing written; {f['plan_file_resealed_harmless']} in fields that "
        "decide nothing applied exactly as a fresh apply of the files; anything else: "
        f"{f['plan_file_resealed_other']}"
    )


# (label, the figures it needs, how the value reads)
ROWS: tuple[tuple[str, tuple[str, ...], Callable[[Figures], str]], ...] = (
    (
        "fault soak (fault rate 0.2, 100 apps, from empty / partly applied / drifted)",
        ("soak_scenarios", "soak_apply_runs", "soak_runs_max"),
        _soak,
    ),
    (
        "requests / faults injected in the soak",
        ("soak_requests", "soak_faults_injected"),
        _soak_faults,
    ),
    (
        "apps checked at the end of the soak (count, no duplicate identity, ignored and "
        "other-zone apps untouched)",
        ("soak_apps_checked",),
        lambda f: _n(f["soak_apps_checked"]),
    ),
    (
        "applies SIGKILLed mid-run / emulators SIGKILLed mid-write / apps checked after",
        ("crash_apply_kills", "crash_emulator_kills", "crash_apps_checked"),
        lambda f: (
            f"{f['crash_apply_kills']} / {f['crash_emulator_kills']} / "
            f"{_n(f['crash_apps_checked'])} — every state file loaded, every re-run converged"
        ),
    ),
    (
        "recreate rollback (new create refused, 5xx, dropped or its answer lost; the rollback's "
        "own attempts failing)",
        ("recreate_cases", "recreate_faults_injected"),
        _recreate,
    ),
    (
        "port-range change run as one replace (create refused, 5xx, dropped, answer lost)",
        ("replace_cases", "replace_faults_injected"),
        lambda f: (
            f"{f['replace_cases']} cases, {f['replace_faults_injected']} scripted faults; apps "
            f"missing when the run ended: {f.get('replace_apps_lost', 0)}"
        ),
    ),
    (
        "delete whose answer is lost, then 5xx on every retry (recreate and replace; delete "
        "committed or not)",
        ("delete_lost_answer_cases", "delete_lost_answer_faults_injected"),
        lambda f: (
            f"{f['delete_lost_answer_cases']} cases, "
            f"{f['delete_lost_answer_faults_injected']} scripted faults; settled by reading the "
            f"zone; apps missing when the run ended: {f.get('delete_lost_answer_apps_lost', 0)}"
        ),
    ),
    (
        "fields this tool does not know (top-level, `dns.ttl`) through updates under fault "
        "rate 0.2",
        ("unknown_fields_runs", "unknown_fields_apps_checked"),
        lambda f: (
            f"{f['unknown_fields_runs']} runs, {f['unknown_fields_apps_checked']} apps checked, "
            f"{f.get('unknown_fields_faults_injected', 0)} faults; fields erased: "
            f"{f.get('unknown_fields_erased', 0)}"
        ),
    ),
    (
        "concurrent applies of one config",
        ("concurrent_races",),
        lambda f: (
            f"{f['concurrent_races']} races; {f.get('concurrent_losers', 0)} of the racing runs "
            "exited 4 or 1, cleanly; a third run converged"
        ),
    ),
    (
        "two `--sandbox` runs at once",
        ("sandbox_concurrent_runs", "sandbox_apps_checked"),
        lambda f: (
            f"{f['sandbox_concurrent_runs']} runs, the second waited; "
            f"{_n(f['sandbox_apps_checked'])} apps checked, every one kept"
        ),
    ),
    (
        "guardrails (ignored apps and the safety gate, tampered saved plans)",
        ("guardrail_gate_cases", "guardrail_apps_lost"),
        lambda f: (
            f"{_count(f['guardrail_gate_cases'], 'gate case')}, "
            f"{f.get('guardrail_smuggle_cases', 0)} "
            f"tampered plans refused; apps lost: {f['guardrail_apps_lost']}"
        ),
    ),
    (
        "failed reads (refused token, 5xx on a page, truncated or lying page, `success: false`)",
        ("failed_read_commands", "failed_read_commands_refused", "failed_read_apps_deleted"),
        lambda f: (
            f"{f['failed_read_commands']} commands, {f['failed_read_commands_refused']} refused "
            f"(exit 1, nothing printed); apps deleted: {f['failed_read_apps_deleted']}"
        ),
    ),
    (
        "hostile YAML through `validate`, `plan`, `diff`",
        ("hostile_inputs", "hostile_command_runs", "hostile_tracebacks"),
        lambda f: (
            f"{_n(f['hostile_inputs'])} inputs, {_n(f['hostile_command_runs'])} command runs, "
            "exit codes "
            f"0/1/2 only, every error located; tracebacks: {f['hostile_tracebacks']}"
        ),
    ),
    (
        "token scan (every command, `--debug`, success and failure paths, plans, journals, logs)",
        ("token_commands_run", "token_places_scanned", "token_found"),
        lambda f: (
            f"{f['token_commands_run']} runs, {_n(f['token_places_scanned'])} places scanned; "
            f"tokens found: {f['token_found']}"
        ),
    ),
    (
        "saved plans edited past their checksum (zone dropped, delete renamed or retargeted, "
        "action moved, edited, dropped or added)",
        ("integrity_edited_plans", "integrity_apps_lost"),
        lambda f: (
            f"{f['integrity_edited_plans']} edits: all refused (exit 3), nothing written; apps "
            f"missing when the run ended: {f['integrity_apps_lost']}"
        ),
    ),
    (
        "a zone given as part of its files (every proper subset of four, `apply --force`)",
        ("partial_file_sets", "partial_file_sets_apps_lost"),
        lambda f: (
            f"{f['partial_file_sets']} runs: the rest loaded (marker file) or the run refused "
            "naming the files left out (git work tree); apps missing when the run ended: "
            f"{f['partial_file_sets_apps_lost']}"
        ),
    ),
    (
        "two applies from one live state (saved plans one after the other; two racing)",
        (
            "concurrent_saved_plans",
            "concurrent_overwrites",
            "concurrent_race_apps",
            "concurrent_race_both_done",
        ),
        lambda f: (
            f"the second saved plan stale, nothing written (overwrites: "
            f"{f['concurrent_overwrites']}); racing over {f['concurrent_race_apps']} "
            "apps: none lost or doubled, apps both runs report done: "
            f"{f['concurrent_race_both_done']}"
        ),
    ),
    (
        "malformed server values in a `reconcile --self-heal` loop (counts, objects, error "
        "codes, app identities)",
        (
            "malformed_loop_cycles",
            "malformed_loop_answers",
            "malformed_loop_failed_cycles",
            "malformed_loop_apps_lost",
        ),
        lambda f: (
            f"{f['malformed_loop_cycles']} cycles, {f['malformed_loop_answers']} malformed "
            f"answers, {f['malformed_loop_failed_cycles']} cycles failed cleanly and the "
            f"next ran; apps missing when the run ended: {f['malformed_loop_apps_lost']}"
        ),
    ),
    (
        "journal at its file-size limit during a replace (`tcp/22` -> `tcp/22-23`)",
        ("journal_limit_runs", "journal_limit_failed_runs", "journal_limit_apps_lost"),
        lambda f: (
            f"{_runs(f['journal_limit_runs'])}, the limit on a different line each; "
            f"{f['journal_limit_failed_runs']} ended failed (exit 4, or 1 before any write); "
            f"apps missing when the run ended: {f['journal_limit_apps_lost']}"
        ),
    ),
    (
        "saved-plan integrity (edits not re-sealed: the checksum covers every field; wrong "
        "versions re-sealed)",
        ("plan_file_field_edits", "plan_file_truncations", "plan_file_versions"),
        lambda f: (
            f"{f['plan_file_field_edits']} single-field edits of "
            f"{f.get('plan_file_fields_total', f['plan_file_field_edits'])} fields, "
            f"{f['plan_file_truncations']} truncations, {f['plan_file_versions']} wrong "
            "versions: all refused"
        ),
    ),
    (
        "saved plans edited one field at a time and re-sealed (checksum recomputed), then applied",
        (
            "plan_file_resealed_edits",
            "plan_file_resealed_refused",
            "plan_file_resealed_invalid",
            "plan_file_resealed_harmless",
            "plan_file_resealed_other",
        ),
        _resealed,
    ),
)
# Figures that rows read only to explain others, or that restate a row (not listed again).
_EXPLAINED = {
    "soak_apps_lost",
    "plan_file_fields_total",
    "failed_read_cases",
    "recreate_apps_back_after_next_apply",
}


def rows(figures: Figures) -> list[tuple[str, str]]:
    """(label, value) per row whose figures are present, then one row per unreported figure."""
    made: list[tuple[str, str]] = []
    used: set[str] = set(_EXPLAINED)
    for label, needs, value in ROWS:
        if all(name in figures for name in needs):
            made.append((label, value(figures)))
            used.update(name for name in figures if name.split("_")[0] == needs[0].split("_")[0])
    made += [(name, _n(value)) for name, value in sorted(figures.items()) if name not in used]
    lost = sum(value for name, value in figures.items() if name.endswith("_apps_lost"))
    made.append(("**apps missing when a run ended, over every case above**", f"**{lost}**"))
    return made


def markdown(figures: Figures) -> str:
    """The table, in the form docs/reliability.md shows."""
    lines = ["| | |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in rows(figures)]
    return "\n".join(lines) + "\n"
