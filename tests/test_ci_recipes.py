"""The GitHub Actions recipes in docs/ci/github/ and the pre-commit hook a team copies.

actionlint (with shellcheck for the ``run:`` scripts) checks the workflows as GitHub would read
them; both come from the ``test`` extra as wheels that carry the binaries. The structural tests
pin what the recipes promise (triggers, least privilege, the sticky marker, the fork path), and
every ``spectrum-reconciler …`` line in them is checked against the real command line's --help.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import EXAMPLES, FIXTURES, ROOT

RECIPES = ROOT / "docs" / "ci" / "github"
WORKFLOWS = sorted(RECIPES.glob("*.yml"))
HOOKS = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A binary from this environment's bin/ (where the test extra puts it), else PATH."""
    found = shutil.which(name, path=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]))
    assert found, f"{name} is not installed: pip install -e '.[test]' provides it"
    return found


def load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((RECIPES / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    document["on"] = document.pop(True)
    return document


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_the_three_recipes_are_there() -> None:
    assert [path.name for path in WORKFLOWS] == ["apply.yml", "drift.yml", "plan.yml"]


class TestActionlint:
    def run(self, *files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), *map(str, files)],
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
            timeout=120,
        )

    def test_the_recipes_pass_actionlint_and_shellcheck(self) -> None:
        done = self.run(*WORKFLOWS)
        assert done.returncode == 0, done.stdout + done.stderr

    def test_actionlint_really_checks(self, tmp_path: Path) -> None:
        broken = tmp_path / "broken.yml"
        text = (RECIPES / "drift.yml").read_text()
        broken.write_text(
            text.replace("issues: write", "issuez: write").replace(
                '"$GITHUB_OUTPUT"', "$GITHUB_OUTPUT"
            )
        )
        done = self.run(broken)
        assert done.returncode == 1
        assert "issuez" in done.stdout  # actionlint's own permission check
        assert "SC2086" in done.stdout  # shellcheck, run by actionlint on the run: script


class TestTheRecipes:
    def test_least_privilege_permissions(self) -> None:
        granted = {}
        for path in WORKFLOWS:
            workflow = load(path.name)
            assert workflow["permissions"] == {}, f"{path.name}: top level grants nothing"
            for name, job in workflow["jobs"].items():
                granted[f"{path.stem}.{name}"] = job["permissions"]
        assert granted == {
            "apply.apply": {"contents": "read", "pull-requests": "read", "actions": "read"},
            "drift.drift": {"contents": "read", "issues": "write"},
            "plan.plan": {"contents": "read", "pull-requests": "write"},
        }

    def test_actions_are_pinned_to_a_major_version_or_a_commit(self) -> None:
        for path in WORKFLOWS:
            for step in steps(load(path.name)):
                if "uses" in step:
                    assert re.fullmatch(
                        r"[\w.-]+/[\w.-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", step["uses"]
                    )

    def test_the_only_secret_is_the_cloudflare_token(self) -> None:
        for path in WORKFLOWS:
            used = set(re.findall(r"secrets\.(\w+)", path.read_text()))
            assert used <= {"CLOUDFLARE_API_TOKEN"}, path.name

    def test_triggers(self) -> None:
        assert set(load("plan.yml")["on"]) == {"pull_request"}
        assert load("apply.yml")["on"]["push"]["branches"] == ["main"]
        drift = load("drift.yml")["on"]
        assert drift["schedule"] and "cron" in drift["schedule"][0]

    def test_apply_runs_one_at_a_time_and_is_never_cancelled(self) -> None:
        concurrency = load("apply.yml")["concurrency"]
        assert concurrency["group"] and concurrency["cancel-in-progress"] is False

    def test_plan_keeps_one_sticky_comment_and_uploads_the_plan(self) -> None:
        text = (RECIPES / "plan.yml").read_text()
        assert "<!-- spectrum-reconciler:plan -->" in text
        assert "updateComment" in text and "createComment" in text
        uploads = [s for s in steps(load("plan.yml")) if "upload-artifact" in s.get("uses", "")]
        assert len(uploads) == 1 and "plan.json" in uploads[0]["with"]["path"]

    def test_fork_prs_review_offline_without_the_secret(self) -> None:
        same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
        fork = same_repo.replace("==", "!=")
        for step in steps(load("plan.yml")):
            if step.get("if") == fork:
                assert "diff --from-ref" in step["run"]
                assert "secrets" not in str(step)
            elif "secrets" in str(step) or "comment" in step.get("name", "").lower():
                assert step.get("if") == same_repo, step["name"]

    def test_drift_issue_follows_the_exit_code(self) -> None:
        text = (RECIPES / "drift.yml").read_text()
        assert "steps.drift.outputs.code == '2'" in text
        assert "state: 'closed'" in text
        assert re.search(r"\*\) .*exit 1", text), "any other exit code fails the job"


# ---- every spectrum-reconciler command line in the recipes is a real one ----


def command_lines() -> list[list[str]]:
    """Each ``spectrum-reconciler ARGS`` line of every run: script, as argv after the name."""
    found = []
    for path in WORKFLOWS:
        for step in steps(load(path.name)):
            script = step.get("run", "").replace("\\\n", " ")
            for line in script.splitlines():
                words = line.strip()
                if not words.startswith("spectrum-reconciler "):
                    continue
                words = re.sub(r"\s\d?>{1,2}\s*\S+", " ", words)  # drop redirections
                lexer = shlex.shlex(words, posix=True, punctuation_chars=True)
                lexer.whitespace_split = True
                argv = list(lexer)
                cut = next((i for i, w in enumerate(argv) if set(w) <= set("|&;()")), len(argv))
                found.append(argv[1:cut])
    return found


@cache
def help_of(command: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "reconciler", command, "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"{command} is not a subcommand: {done.stderr}"
    return done.stdout


def options_of(command: str) -> dict[str, list[str] | None]:
    """Every option in --help, with its choices when help shows ``[a|b|c]``."""
    options: dict[str, list[str] | None] = {}
    section = help_of(command).split("Options:", 1)[1]
    for match in re.finditer(r"^\s+(-[^\s,]+(?:, -[^\s,]+)*)(?: \[([\w|]+)\])?", section, re.M):
        for name in match.group(1).split(", "):
            options[name] = match.group(2).split("|") if match.group(2) else None
    return options


def test_the_recipes_use_every_command_they_promise() -> None:
    assert {argv[0] for argv in command_lines()} == {"validate", "plan", "diff", "apply", "drift"}


@pytest.mark.parametrize("argv", command_lines(), ids=" ".join)
def test_a_recipe_command_line_uses_real_options(argv: list[str]) -> None:
    command, *rest = argv
    known = options_of(command)
    for index, word in enumerate(rest):
        if not word.startswith("-"):
            continue
        assert word in known, f"{command} has no option {word}; it has {sorted(known)}"
        choices = known[word]
        if choices:
            assert rest[index + 1] in choices, f"{command} {word}: not one of {choices}"


def test_the_help_parser_sees_options_and_choices() -> None:
    plan = options_of("plan")
    assert plan["--format"] == ["text", "json", "markdown"]
    assert plan["--redact-origins"] is None and "-h" in plan and "--nope" not in plan


# ---- the pre-commit hook ----


def hook() -> dict[str, Any]:
    (only,) = yaml.safe_load(HOOKS.read_text())
    return dict(only)


def run_hook(*files: Path) -> subprocess.CompletedProcess[str]:
    """The hook's entry as pre-commit runs it: the entry's words, then the matched file names."""
    program, *args = shlex.split(hook()["entry"])
    return subprocess.run(
        [tool(program), *args, *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_the_hook_is_declared_as_pre_commit_expects() -> None:
    declared = hook()
    assert declared["id"] == "spectrum-reconciler-validate"
    assert declared["language"] == "python"
    assert declared["entry"] == "spectrum-reconciler validate"
    assert declared["pass_filenames"] is True
    files = re.compile(declared["files"])
    assert files.search("config/a.yaml") and files.search("config/b.yml")
    assert not files.search("schemas/plan.json") and not files.search("notes.yaml.md")
    assert "a rule across files" in " ".join(declared["description"].split())


def test_the_hook_passes_a_good_file() -> None:
    good = next(EXAMPLES.rglob("*.yaml"))
    done = run_hook(good)
    assert done.returncode == 0, done.stderr
    assert "valid:" in done.stderr


def test_the_hook_fails_a_bad_file_naming_it() -> None:
    bad = FIXTURES / "config" / "bad-cname-static.yaml"
    done = run_hook(bad)
    assert done.returncode == 1
    assert f"{bad}:" in done.stderr


def test_the_hook_sees_a_duplicate_only_among_the_files_it_is_given(tmp_path: Path) -> None:
    app = "  - dns: {type: CNAME, name: a.example.com}\n    protocol: tcp/22\n    origin_direct: ['tcp://192.0.2.1:22']\n"
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    for file in (one, two):
        file.write_text(f"zone: example.com\napps:\n{app}")
    assert run_hook(one).returncode == 0  # the other file was not staged: nothing to compare
    both = run_hook(one, two)
    assert both.returncode == 1 and str(one) in both.stderr and str(two) in both.stderr
