"""The GitHub Action (action.yml), the recipes in docs/ci/ and the pre-commit hook a team copies.

actionlint (with shellcheck for the ``run:`` scripts) checks the workflows as GitHub would read
them, and action.yml's scripts through a workflow made of its steps; both come from the ``test``
extra as wheels that carry the binaries. The structural tests pin what the recipes promise
(triggers, least privilege, the sticky marker, the fork path), and every command line the
action, the workflows' ``with:`` and the GitLab pipeline build is checked against the real
command line's --help. tests/test_ci_run.py runs them; here ``pre-commit try-repo`` runs the hook.
"""

from __future__ import annotations

import json
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
ACTION = ROOT / "action.yml"
GITLAB = ROOT / "docs" / "ci" / "gitlab" / ".gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
THIS_ACTION = re.compile(r"OWNER/spectrum-reconciler@v\d+(\.\d+)*")
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


def test_the_four_recipes_are_there() -> None:
    assert [path.name for path in WORKFLOWS] == ["adopt.yml", "apply.yml", "drift.yml", "plan.yml"]


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

    def test_the_actions_scripts_pass_actionlint_and_shellcheck(self, tmp_path: Path) -> None:
        done = self.run(action_as_workflow(tmp_path, ACTION.read_text()))
        assert done.returncode == 0, done.stdout + done.stderr

    def test_the_action_check_sees_a_script_error(self, tmp_path: Path) -> None:
        broken = ACTION.read_text().replace('>> "$GITHUB_OUTPUT"', ">> $GITHUB_OUTPUT")
        done = self.run(action_as_workflow(tmp_path, broken))
        assert done.returncode == 1 and "SC2086" in done.stdout

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


def action_as_workflow(directory: Path, action_text: str) -> Path:
    """action.yml's steps as one job of a workflow_call workflow, so actionlint (which checks
    workflows) shellchecks its scripts with the same inputs in scope."""
    action = yaml.safe_load(action_text)
    inputs = {name: {"type": "string", "required": False} for name in action["inputs"]}
    steps = [
        {k: v for k, v in step.items() if k != "shell"}
        | ({"shell": "bash"} if "run" in step else {})
        for step in action["runs"]["steps"]
    ]
    workflow = {
        "name": "action.yml as a workflow",
        "on": {"workflow_call": {"inputs": inputs}},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": steps}},
    }
    text = yaml.safe_dump(workflow, sort_keys=False).replace(
        "github.action_path", "github.workspace"
    )
    path = directory / "action-as-workflow.yml"
    path.write_text(text)
    return path


class TestTheAction:
    def test_inputs_outputs_and_composite(self) -> None:
        action = yaml.safe_load(ACTION.read_text())
        assert set(action["inputs"]) == {
            *("command", "paths", "args", "python-version", "comment", "github-token"),
        }
        assert set(action["outputs"]) == {
            *("exit-code", "changes", "plan-file", "markdown-file", "comment-url"),
        }
        assert action["runs"]["using"] == "composite"
        assert "github.action_path" in ACTION.read_text()  # installs its own checkout

    def test_every_use_of_the_action_passes_only_declared_inputs(self) -> None:
        declared = set(yaml.safe_load(ACTION.read_text())["inputs"])
        uses = [
            s
            for path in WORKFLOWS
            for s in steps(load(path.name))
            if "spectrum-reconciler@" in s.get("uses", "")
        ]
        assert len(uses) == 7  # plan: validate, plan, diff; apply: two; drift, adopt: one each
        for step in uses:
            assert THIS_ACTION.fullmatch(step["uses"]), step["uses"]
            assert set(step["with"]) <= declared and "command" in step["with"]


class TestTheRecipes:
    def test_least_privilege_permissions(self) -> None:
        granted = {}
        for path in WORKFLOWS:
            workflow = load(path.name)
            assert workflow["permissions"] == {}, f"{path.name}: top level grants nothing"
            for name, job in workflow["jobs"].items():
                granted[f"{path.stem}.{name}"] = job["permissions"]
        assert granted == {
            "adopt.adopt": {"contents": "write", "pull-requests": "write"},
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
        for nightly in ("drift.yml", "adopt.yml"):
            schedule = load(nightly)["on"]["schedule"]
            assert schedule and "cron" in schedule[0]

    def test_apply_runs_one_at_a_time_and_is_never_cancelled(self) -> None:
        concurrency = load("apply.yml")["concurrency"]
        assert concurrency["group"] and concurrency["cancel-in-progress"] is False

    def test_gitlab_applies_run_one_at_a_time_too(self) -> None:
        pipeline = yaml.safe_load(GITLAB.read_text())
        assert pipeline["apply"]["resource_group"]

    def test_plan_keeps_one_sticky_comment_and_uploads_the_plan(self) -> None:
        text = (RECIPES / "plan.yml").read_text()
        (planning,) = [s for s in steps(load("plan.yml")) if s.get("id") == "plan"]
        assert planning["with"]["comment"] is True  # the action keeps the sticky comment
        assert "github-script" not in text and "createComment" not in text  # no copy of it here
        uploads = [s for s in steps(load("plan.yml")) if "upload-artifact" in s.get("uses", "")]
        assert len(uploads) == 1 and uploads[0]["with"]["path"] == "spectrum-plan/"
        assert 'cp "$PLAN_FILE" spectrum-plan/plan.json' in text

    def test_fork_prs_review_offline_without_the_secret(self) -> None:
        same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
        fork = same_repo.replace("==", "!=")
        forked = [s for s in steps(load("plan.yml")) if s.get("if") == fork]
        assert forked and all("secrets" not in str(step) for step in forked)
        assert any(
            s.get("with", {}).get("command") == "diff" and "--from-ref" in s["with"]["args"]
            for s in forked
        )
        for step in steps(load("plan.yml")):
            if "secrets" in str(step) or "comment" in step.get("name", "").lower():
                assert step.get("if") == same_repo, step["name"]

    def test_drift_issue_follows_the_exit_code(self) -> None:
        text = (RECIPES / "drift.yml").read_text()
        assert "steps.drift.outputs.exit-code" in text
        assert '[ "$CODE" = 2 ]' in text
        assert "state: 'closed'" in text


# ---- every spectrum-reconciler command line in the recipes is a real one ----


def command_lines() -> list[list[str]]:
    """Every command line the recipes build, as argv after ``spectrum-reconciler``: the lines of
    action.yml's and the GitLab pipeline's scripts, and each use of the action (command + args)."""
    scripts = [step.get("run", "") for step in yaml.safe_load(ACTION.read_text())["runs"]["steps"]]
    pipeline = yaml.safe_load(GITLAB.read_text())
    scripts += [
        "\n".join(job["script"])
        for job in pipeline.values()
        if isinstance(job, dict) and "script" in job
    ]
    found = [argv for script in scripts for argv in _script_command_lines(script)]
    for path in WORKFLOWS:
        for step in steps(load(path.name)):
            given = step.get("with", {})
            if "spectrum-reconciler@" in step.get("uses", ""):
                args = re.sub(r"\$\{\{[^}]*\}\}", "X", given.get("args", ""))
                found.append([given["command"], *shlex.split(args)])
    return found


def _script_command_lines(script: str) -> list[list[str]]:
    found = []
    for line in script.replace("\\\n", " ").splitlines():
        words = line.strip()
        if not words.startswith("spectrum-reconciler ") or words.startswith(
            "spectrum-reconciler --"
        ):
            continue  # not a command (--version)
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
    commands = {argv[0] for argv in command_lines()}
    assert commands == {"validate", "plan", "diff", "apply", "drift", "adopt"}


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


# ---- the hook, run by pre-commit itself ----


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's files as the working tree has them, committed once: try-repo keys its
    hook environment by repository and revision, so both runs below share one install."""
    repo = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not source.is_symlink():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / name)
    git(repo, "init", "--quiet")
    git(repo, "add", ".")
    git(repo, "commit", "--quiet", "-m", "snapshot")
    return repo


def try_repo(hook_repo: Path, sample: Path, name: str) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` of this repository's hook on one file of a sample repository;
    pre-commit installs the hook (pip, with the index as configured) on first use."""
    env = {**os.environ, "PRE_COMMIT_HOME": str(hook_repo.parent / "pre-commit-home")}
    command = [tool("pre-commit"), "try-repo", str(hook_repo), "spectrum-reconciler-validate"]
    return subprocess.run(
        [*command, "--files", name],
        cwd=sample,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.slow
def test_pre_commit_try_repo_fails_a_bad_file_and_passes_a_good_one(
    hook_repo: Path, tmp_path: Path
) -> None:
    sample = tmp_path / "sample"
    sample.mkdir()
    shutil.copy(FIXTURES / "config" / "bad-cname-static.yaml", sample / "bad.yaml")
    shutil.copy(next(EXAMPLES.rglob("*.yaml")), sample / "good.yaml")
    git(sample, "init", "--quiet")
    git(sample, "add", ".")
    bad = try_repo(hook_repo, sample, "bad.yaml")
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "Failed" in bad.stdout and "bad.yaml:" in bad.stdout
    good = try_repo(hook_repo, sample, "good.yaml")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "Passed" in good.stdout


# ---- action.yml's run step, with a stand-in for the tool that records its arguments ----

FAKE_TOOL = """#!/usr/bin/env python3
import json, os, sys
with open(os.environ["ARGV_FILE"], "w") as out:
    json.dump(sys.argv[1:], out)
if os.environ.get("FAKE_STDERR"):
    sys.stderr.write(os.environ["FAKE_STDERR"] + "\\n")
sys.exit(int(os.environ.get("FAKE_EXIT", "0")))
"""


def run_action_step(tmp_path: Path, command: str, args: str, **fake: str) -> tuple[int, str, Any]:
    """action.yml's ``run`` step with bash, as the runner runs it: (exit code, stdout, argv)."""
    (step,) = [
        s for s in yaml.safe_load(ACTION.read_text())["runs"]["steps"] if s.get("id") == "run"
    ]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    fake_tool = bin_dir / "spectrum-reconciler"
    fake_tool.write_text(FAKE_TOOL.replace("python3", sys.executable, 1))
    fake_tool.chmod(0o755)
    if not (bin_dir / "python").exists():
        (bin_dir / "python").symlink_to(sys.executable)
    env = {
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "COMMAND": command,
        "PATHS": "config/",
        "ARGS": args,
        "ARGV_FILE": str(tmp_path / "argv.json"),
        "GITHUB_OUTPUT": str(tmp_path / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
        "RUNNER_TEMP": str(tmp_path),
        **fake,
    }
    argv_file = tmp_path / "argv.json"
    argv_file.unlink(missing_ok=True)
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, capture_output=True, text=True, timeout=60
    )
    argv = json.loads(argv_file.read_text()) if argv_file.exists() else None
    return done.returncode, done.stdout, argv


def test_the_action_keeps_the_quoting_of_args(tmp_path: Path) -> None:
    # issue 25 item 22: `--break-glass "holiday fix"` became three words
    args = """--break-glass "holiday fix" --journal 'my journal.jsonl' --zone a\\ b --force"""
    code, _, argv = run_action_step(tmp_path, "apply", args)
    assert code == 0
    assert argv == [
        "apply", "--break-glass", "holiday fix", "--journal", "my journal.jsonl", "--zone", "a b",
        "--force", "config/",
    ]  # fmt: skip


def test_the_action_runs_nothing_from_args_and_refuses_an_unclosed_quote(tmp_path: Path) -> None:
    code, _, argv = run_action_step(tmp_path, "apply", "--break-glass $(touch pwned) `touch x`")
    assert code == 0 and argv == ["apply", "--break-glass", "$(touch", "pwned)", "`touch", "x`",
                                  "config/"]  # fmt: skip
    assert not (tmp_path / "pwned").exists()
    code, stdout, argv = run_action_step(tmp_path, "apply", '--break-glass "holiday fix')
    assert code == 1 and argv is None
    assert stdout.startswith("::error title=spectrum-reconciler::args: ")


def test_the_actions_refusal_annotation_says_error_once_and_escapes_it(tmp_path: Path) -> None:
    refusal = "error: zone a,b: 100% frozen"
    code, stdout, _ = run_action_step(tmp_path, "apply", "", FAKE_EXIT="3", FAKE_STDERR=refusal)
    assert code == 3
    assert (
        "::error title=spectrum-reconciler apply refused::zone a,b: 100%25 frozen — nothing was "
        "changed" in stdout.splitlines()
    )
