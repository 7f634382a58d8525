"""The CI recipes, run: GitHub's plan/apply/drift workflows (through action.yml) and GitLab's.

Each test builds a git repository holding a config (a base commit on main and a PR commit), a
loopback emulator as the API (``CLOUDFLARE_BASE_URL``), and runs the jobs' steps with bash as
the runner would, with the variables GitHub or GitLab provide. ``uses:`` steps are replaced by
their documented effect (see tests/ci_harness.py, which names each one). GitHub's ``gh`` CLI,
which apply.yml asks which PR a push merged and where its plan artifact is, is a small fake on
``PATH`` that answers those questions and copies the plan workflow's uploaded artifact.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from reconciler.emulator import Emulator
from reconciler.model import AppKey, ZoneSpec
from tests.ci_harness import (
    ACTION,
    JobResult,
    Runner,
    event_file,
    gitlab_job_runs,
    load_yaml,
    run_gitlab_job,
)
from tests.conftest import ROOT, make_client
from tests.fake_github import fake_github
from tests.tool_skips import need

# Each test runs a recipe's steps with bash against an emulator: seconds each, version-blind.
pytestmark = pytest.mark.slow

GITHUB = ROOT / "docs" / "ci" / "github"
GITLAB = ROOT / "docs" / "ci" / "gitlab" / ".gitlab-ci.yml"
REPOSITORY = "acme/spectrum-config"
TOKEN = "ci-secret-token"

BASE = """\
zone: example.com
apps:
  - dns: {type: CNAME, name: ssh.example.com}
    protocol: tcp/22
    origin_direct: ["tcp://192.0.2.1:22"]
  - dns: {type: CNAME, name: db.example.com}
    protocol: tcp/5432
    origin_direct: ["tcp://192.0.2.2:5432"]
"""
NEW_APP = """\
  - dns: {type: CNAME, name: game.example.com}
    protocol: udp/27015
    origin_direct: ["udp://192.0.2.3:27015"]
"""


# ---- the world a job runs in ----


@pytest.fixture(scope="session")
def node() -> str:
    """node checks the github-script steps: skipped without it, failed in CI (tool_skips)."""
    return need("node")


@pytest.fixture(scope="session")
def tool_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What setup-python gives: a Python on PATH, here with the tool installed by the action's
    own install step (run once, for real; it skips itself on the next use, as in a job)."""
    venv = tmp_path_factory.mktemp("setup-python") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (site,) = (venv / "lib").glob("python3*/site-packages")
    ours = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    (site / "test-environment.pth").write_text(ours + "\n")  # the dependencies, no index needed
    install = next(s for s in load_yaml(ACTION)["runs"]["steps"] if "Install" in s.get("name", ""))
    env = {
        **os.environ,
        "ACTION_PATH": str(ROOT),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}",
    }
    done = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", install["run"]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (venv / "bin" / "spectrum-reconciler").exists()
    return venv / "bin"


def git(workspace: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=ci", "-c", "user.email=ci@example.invalid", *args],
        cwd=workspace,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


class World:
    """A repository (origin + workspace), a loopback emulator holding the base config's apps,
    an artifact store shared by the jobs, and a fake ``gh``."""

    def __init__(self, tmp: Path, emulator: Emulator, base_url: str, python_bin: Path, node: str):
        self.tmp, self.emulator, self.base_url = tmp, emulator, base_url
        self.python_bin, self.node = python_bin, node
        self.artifacts = tmp / "artifacts"
        self.workspace = tmp / "workspace"
        self.workspace.mkdir()
        (self.workspace / "config").mkdir()
        (self.workspace / "config" / "example.com.yaml").write_text(BASE)
        git(self.workspace, "init", "--quiet", "--initial-branch=main")
        git(self.workspace, "add", ".")
        git(self.workspace, "commit", "--quiet", "-m", "base")
        git(tmp, "clone", "--quiet", "--bare", str(self.workspace), "origin.git")
        git(self.workspace, "remote", "add", "origin", str(tmp / "origin.git"))
        git(self.workspace, "fetch", "--quiet", "origin")
        with make_client(emulator) as client:
            self.zone_id = client.resolve_zone(ZoneSpec("example.com", None)).zone_id
            for name, port, origin in (("ssh", 22, "192.0.2.1"), ("db", 5432, "192.0.2.2")):
                body = {
                    "dns": {"type": "CNAME", "name": f"{name}.example.com"},
                    "protocol": f"tcp/{port}",
                    "origin_direct": [f"tcp://{origin}:{port}"],
                }
                client.create_app(
                    self.zone_id,
                    AppKey.of("example.com", body["dns"]["name"], body["protocol"]),
                    body,
                )
        self.fake_bin = tmp / "fake-bin"
        self.fake_bin.mkdir()
        self.gh_log = tmp / "gh.log"
        write_fake_gh(self.fake_bin / "gh")
        self.github_api = "http://127.0.0.1:9"  # nothing listens: a test that comments sets it

    def open_pr(self) -> str:
        """The PR branch: one app added. Returns its head commit."""
        git(self.workspace, "checkout", "--quiet", "-b", "feature")
        (self.workspace / "config" / "example.com.yaml").write_text(BASE + NEW_APP)
        git(self.workspace, "commit", "--quiet", "-am", "add game.example.com")
        git(self.workspace, "push", "--quiet", "origin", "feature")
        return git(self.workspace, "rev-parse", "HEAD")

    def merge(self) -> str:
        git(self.workspace, "checkout", "--quiet", "main")
        git(self.workspace, "merge", "--quiet", "--ff-only", "feature")
        git(self.workspace, "push", "--quiet", "origin", "main")
        return git(self.workspace, "rev-parse", "HEAD")

    def live_names(self) -> set[str]:
        return {app["dns"]["name"] for app in self.emulator.apps(self.zone_id)}

    def move_live(self) -> None:
        """A change made outside git: ssh.example.com's origin moves."""
        with make_client(self.emulator) as client:
            (live,) = client.fetch_live([ZoneSpec("example.com", self.zone_id)])
            ssh = next(a for a in live.apps if a.config["dns"]["name"] == "ssh.example.com")
            body = {**dict(ssh.config), "origin_direct": ["tcp://192.0.2.99:22"]}
            for server_set in ("id", "created_on", "modified_on"):
                body.pop(server_set, None)
            client.update_app(self.zone_id, ssh.app_id, body)

    def requests(self) -> int:
        return int(self.emulator.stats()["total"])

    def github(self, event_name: str, event: dict[str, Any], *, secrets: dict[str, str]) -> Runner:
        temp = self.tmp / f"runner-{event_name}-{len(list(self.tmp.glob('runner-*')))}"
        temp.mkdir()
        sha = git(self.workspace, "rev-parse", "HEAD")
        env = {
            "PATH": f"{self.fake_bin}{os.pathsep}{os.environ['PATH']}",
            "HOME": str(self.tmp),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_EVENT_NAME": event_name,
            "GITHUB_EVENT_PATH": str(event_file(temp, event)),
            "GITHUB_ACTOR": "octocat",
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_SHA": sha,
            "GITHUB_REF": "refs/heads/main",
            "GITHUB_RUN_ID": "4242",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_API_URL": self.github_api,
            "RUNNER_TEMP": str(temp),
            "CLOUDFLARE_BASE_URL": self.base_url,
            "FAKE_GH_LOG": str(self.gh_log),
            "FAKE_GH_ARTIFACTS": str(self.artifacts),
            "FAKE_GH_HEAD": git(self.workspace, "rev-parse", "feature")
            if "feature" in git(self.workspace, "branch")
            else "",
            "NO_COLOR": "1",
        }
        contexts: dict[str, Any] = {
            "github": {
                "repository": REPOSITORY,
                "token": "ghs_fake_github_token",
                "event": event,
                "event_name": event_name,
                "base_ref": event.get("pull_request", {}).get("base", {}).get("ref", ""),
                "server_url": "https://github.com",
                "run_id": "4242",
                "run_attempt": "1",
                "sha": sha,
            },
            "secrets": secrets,
        }
        return Runner(
            self.workspace, temp, self.python_bin, self.artifacts, env, contexts, self.node
        )


def write_fake_gh(path: Path) -> None:
    """gh, faked: PR #FAKE_GH_PR (none when empty) merged the pushed commit, its head is
    FAKE_GH_HEAD, its plan artifact is in run 555; ``run download`` copies what the plan job
    uploaded."""
    path.write_text(
        """#!/usr/bin/env bash
set -euo pipefail
echo "gh $*" >> "$FAKE_GH_LOG"
case "$1 $2" in
  "api repos/"*/commits/*/pulls) echo "${FAKE_GH_PR:-}" ;;
  "api repos/"*/pulls/7) echo "$FAKE_GH_HEAD" ;;
  "api repos/"*/actions/artifacts*) echo 555 ;;
  "pr list") echo "${FAKE_GH_OPEN_PRS:-0}" ;;
  "pr create" | "pr edit")
    while [ $# -gt 0 ]; do
      if [ "$1" = --body-file ]; then cp "$2" "$FAKE_GH_BODY"; fi
      shift
    done ;;
  "run download")
    name="" dir=""
    shift 3
    while [ $# -gt 0 ]; do
      case "$1" in --name) name="$2"; shift 2 ;; --dir) dir="$2"; shift 2 ;; *) shift ;; esac
    done
    mkdir -p "$dir" && cp -R "$FAKE_GH_ARTIFACTS/$name/." "$dir/" ;;
  *) echo "fake gh: unexpected: $*" >&2; exit 1 ;;
esac
"""
    )
    path.chmod(0o755)


@pytest.fixture
def world(
    tmp_path: Path, emulator: Emulator, server: Any, tool_python: Path, node: str
) -> Iterator[World]:
    yield World(tmp_path, emulator, server.base_url, tool_python, node)


def pull_request(world: World, *, fork: bool) -> dict[str, Any]:
    head_repo = "contributor/spectrum-config" if fork else REPOSITORY
    return {
        "action": "synchronize",
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {
                "ref": "feature",
                "sha": git(world.workspace, "rev-parse", "HEAD"),
                "repo": {"full_name": head_repo},
            },
            "base": {"ref": "main", "repo": {"full_name": REPOSITORY}},
        },
        "repository": {"full_name": REPOSITORY},
    }


def run_plan(world: World, *, fork: bool = False) -> JobResult:
    secrets = {} if fork else {"CLOUDFLARE_API_TOKEN": TOKEN}
    runner = world.github("pull_request", pull_request(world, fork=fork), secrets=secrets)
    return runner.run_job(load_yaml(GITHUB / "plan.yml"), "plan")


def run_apply(world: World, *, merged_pr: str = "7") -> JobResult:
    event = {
        "ref": "refs/heads/main",
        "after": git(world.workspace, "rev-parse", "HEAD"),
        "repository": {"full_name": REPOSITORY},
    }
    runner = world.github("push", event, secrets={"CLOUDFLARE_API_TOKEN": TOKEN})
    runner.env["FAKE_GH_PR"] = merged_pr
    return runner.run_job(load_yaml(GITHUB / "apply.yml"), "apply")


def run_adopt(world: World, *, open_prs: str = "0") -> JobResult:
    event = {
        "schedule": "41 4 * * *",
        "repository": {"full_name": REPOSITORY, "default_branch": "main"},
    }
    runner = world.github("schedule", event, secrets={"CLOUDFLARE_API_TOKEN": TOKEN})
    runner.env.update(FAKE_GH_OPEN_PRS=open_prs, FAKE_GH_BODY=str(world.tmp / "pr-body.md"))
    return runner.run_job(load_yaml(GITHUB / "adopt.yml"), "adopt")


def run_drift(world: World) -> JobResult:
    event = {"schedule": "23 4 * * *", "repository": {"full_name": REPOSITORY}}
    runner = world.github("schedule", event, secrets={"CLOUDFLARE_API_TOKEN": TOKEN})
    return runner.run_job(load_yaml(GITHUB / "drift.yml"), "drift")


# ---- GitHub: the action alone ----


def test_the_action_runs_a_command_it_gives_no_ci_treatment(world: World) -> None:
    """Every command is accepted: `addresses` runs as `spectrum-reconciler addresses ARGS PATHS`."""
    runner = world.github("workflow_dispatch", {}, secrets={"CLOUDFLARE_API_TOKEN": TOKEN})
    step = {
        "id": "look",
        "uses": "OWNER/spectrum-reconciler@v0.1.0",
        "env": {"CLOUDFLARE_API_TOKEN": "${{ secrets.CLOUDFLARE_API_TOKEN }}"},
        "with": {"command": "addresses", "args": "--format json"},
    }
    job = runner.run_job({"jobs": {"look": {"steps": [step]}}}, "look")
    assert not job.failed, job.log
    assert job.outputs["look"]["exit-code"] == "0"
    printed = job.steps[0].stdout  # the install step's --version line, then the command's
    assert json.loads(printed[printed.index("{") :])["accounts"]


# ---- GitHub: plan ----


def test_plan_on_a_pr_writes_the_summary_the_plan_file_and_the_artifact(world: World) -> None:
    world.open_pr()
    with fake_github() as (world.github_api, github):
        job = run_plan(world)
        again = run_plan(world)  # the next push: the same comment, edited
    assert not again.failed, again.log
    (comment,) = github.comments[7]
    assert comment["body"].startswith("<!-- spectrum-reconciler:plan -->")
    assert "game.example.com" in comment["body"] and "192.0.2.3" not in comment["body"]
    assert job.outputs["plan"]["comment-url"] == comment["html_url"]
    assert [method for method, _, _ in github.requests] == ["GET", "POST", "GET", "PATCH"]
    assert not job.failed, job.log
    plan = job.outputs["plan"]
    assert plan["exit-code"] == "2" and plan["changes"] == "true"
    assert Path(plan["plan-file"]).is_file() and Path(plan["markdown-file"]).is_file()
    assert "<!-- spectrum-reconciler:plan -->" in job.summary
    assert "game.example.com" in job.summary
    assert "192.0.2.3" not in job.summary  # --redact-origins: PR comments are often public
    stored = world.artifacts / "spectrum-plan-pr-7"
    document = json.loads((stored / "plan.json").read_text())
    assert [(a["action"], a["key"]["dns_name"]) for a in document["actions"]] == [
        ("create", "game.example.com")
    ]
    assert (stored / "config-tree.txt").read_text().strip() == git(
        world.workspace, "rev-parse", "HEAD:config"
    )
    assert job.step("Validate (annotations on the diff)").code == 0
    assert not job.step("Offline review of the config change (fork PR)").ran
    assert world.live_names() == {"ssh.example.com", "db.example.com"}  # a plan writes nothing


def test_a_fork_pr_reviews_offline_with_no_token_and_no_request(world: World) -> None:
    world.open_pr()
    before = world.requests()
    job = run_plan(world, fork=True)
    assert not job.failed, job.log
    assert not job.step("Plan").ran and not job.step("Upload the reviewed plan").ran
    review = job.step("Offline review of the config change (fork PR)")
    assert review.ran and review.code == 0
    assert review.env.get("CLOUDFLARE_API_TOKEN", "") == ""
    assert world.requests() == before  # diff --from-ref: no network
    outputs = job.outputs.get("plan") or {}
    assert outputs == {}
    assert "game.example.com" in job.summary
    assert "Fork PR" in job.step("Say where the review is (fork PR)").stdout
    assert not world.artifacts.exists()


def test_the_fork_review_is_diff_from_the_base_branch(world: World) -> None:
    step = next(
        s
        for s in load_yaml(GITHUB / "plan.yml")["jobs"]["plan"]["steps"]
        if s.get("name") == "Offline review of the config change (fork PR)"
    )
    assert step["with"]["command"] == "diff"
    assert step["with"]["args"].startswith("--from-ref origin/${{ github.base_ref }}")
    assert "env" not in step and "secrets" not in json.dumps(step)


# ---- GitHub: apply ----


def test_apply_applies_the_reviewed_plan(world: World) -> None:
    world.open_pr()
    assert not run_plan(world).failed
    world.merge()
    job = run_apply(world)
    assert not job.failed, job.log
    assert job.step("Apply the reviewed plan").ran and job.step("Apply the reviewed plan").code == 0
    assert not job.step("Apply from config").ran
    assert world.live_names() == {"ssh.example.com", "db.example.com", "game.example.com"}
    assert (
        "gh run download 555 --name spectrum-plan-pr-7 --dir reviewed" in world.gh_log.read_text()
    )
    journal = world.artifacts / "spectrum-apply-journal-4242-1" / "journal.jsonl"
    assert "game.example.com" in journal.read_text()


def test_apply_refuses_a_stale_plan_and_changes_nothing(world: World) -> None:
    world.open_pr()
    assert not run_plan(world).failed
    world.move_live()  # live state moved after the review
    world.merge()
    job = run_apply(world)
    assert job.failed
    refused = job.step("Apply the reviewed plan")
    assert refused.code == 3
    assert (
        "::error title=spectrum-reconciler apply refused::the saved plan is stale" in refused.stdout
    )
    assert "ssh.example.com" in refused.stdout
    assert world.live_names() == {"ssh.example.com", "db.example.com"}
    assert job.step("Upload the journal").ran  # if: always()


def test_a_push_that_merged_no_pr_applies_from_config(world: World) -> None:
    world.open_pr()
    world.merge()
    job = run_apply(world, merged_pr="")
    assert not job.failed, job.log
    assert not job.step("Apply the reviewed plan").ran
    assert job.step("Apply from config").code == 0
    assert "game.example.com" in world.live_names()


# ---- GitHub: drift ----


def test_drift_exits_2_and_writes_the_issue_body_it_would_post(world: World) -> None:
    clean = run_drift(world)
    assert not clean.failed, clean.log
    assert clean.outputs["drift"]["exit-code"] == "0"
    assert clean.outputs["issue"]["drifted"] == "false"
    world.move_live()
    job = run_drift(world)
    assert not job.failed, job.log
    assert job.outputs["drift"]["exit-code"] == "2" and job.outputs["drift"]["changes"] == "true"
    assert job.outputs["issue"]["drifted"] == "true"
    body = (world.workspace / "drift-issue.md").read_text()
    assert body.startswith(
        "<!-- spectrum-reconciler:drift-issue -->\nLast checked: https://github.com/acme/spectrum-config/actions/runs/4242\n"
    )
    assert "ssh.example.com" in body and "192.0.2.99" not in body  # redacted
    assert "ssh.example.com" in job.summary
    assert job.step("Open, update or close the drift issue").effect == "node --check"


# ---- GitLab ----


# ---- GitHub: adopt ----

ADOPTED = BASE.replace("tcp://192.0.2.1:22", "tcp://192.0.2.99:22")


def test_adopt_opens_a_pull_request_whose_branch_adopts_the_drift(world: World) -> None:
    clean = run_adopt(world)
    assert not clean.failed, clean.log
    assert not clean.step("Adopt the drift on a branch and open or update the pull request").ran
    world.move_live()
    job = run_adopt(world)
    assert not job.failed, job.log
    assert job.outputs["adopt"]["pull-request"] == "opened"
    # The branch on origin changes the one line that moved live, every other byte kept.
    pushed = git(
        world.tmp / "origin.git", "show", "spectrum-reconciler/adopt:config/example.com.yaml"
    )
    assert pushed + "\n" == ADOPTED
    body = (world.tmp / "pr-body.md").read_text()
    assert "**merge** to adopt them, or **close** and run apply" in body
    assert "ssh.example.com" in body and "origin_direct" in body  # the drift report
    assert "gh pr create --base main --head spectrum-reconciler/adopt" in world.gh_log.read_text()
    # The next night (a fresh checkout of main) updates the open pull request instead.
    git(world.workspace, "checkout", "--quiet", "main")
    git(world.workspace, "branch", "--quiet", "-D", "spectrum-reconciler/adopt")
    again = run_adopt(world, open_prs="1")
    assert not again.failed, again.log
    assert again.outputs["adopt"]["pull-request"] == "updated"
    assert "gh pr edit spectrum-reconciler/adopt" in world.gh_log.read_text()


def gitlab_variables(world: World, source: str, **extra: str) -> dict[str, str]:
    return {
        "PATH": f"{world.python_bin}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(world.tmp),
        "CI": "true",
        "GITLAB_CI": "true",
        "CI_PIPELINE_SOURCE": source,
        "CI_DEFAULT_BRANCH": "main",
        "CI_PROJECT_ID": "42",
        "CI_API_V4_URL": "https://gitlab.example/api/v4",
        "CI_JOB_TOKEN": "job-token",
        "CLOUDFLARE_BASE_URL": world.base_url,
        # The tool is already in this Python (installed from this checkout by action.yml's own
        # install step), as in an image that ships it: before_script skips pip.
        "NO_COLOR": "1",
        **extra,
    }


MR = {
    "CI_MERGE_REQUEST_IID": "3",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
    "CI_COMMIT_REF_NAME": "feature",
}


def test_gitlab_jobs_run_on_the_right_pipelines() -> None:
    pipeline = load_yaml(GITLAB)
    jobs = [
        name for name in pipeline if isinstance(pipeline[name], dict) and "script" in pipeline[name]
    ]
    runs = {
        source: sorted(
            j
            for j in jobs
            if gitlab_job_runs(
                pipeline[j], {"CI_DEFAULT_BRANCH": "main", "CI_PIPELINE_SOURCE": source, **extra}
            )
        )
        for source, extra in (
            ("merge_request_event", {}),
            ("push", {"CI_COMMIT_BRANCH": "main"}),
            ("schedule", {"CI_COMMIT_BRANCH": "main"}),
        )
    }
    assert runs == {
        "merge_request_event": ["plan", "validate"],
        "push": ["apply", "validate"],
        "schedule": ["drift"],
    }
    adopting = {"CI_PIPELINE_SOURCE": "schedule", "SPECTRUM_ADOPT_TOKEN": "glpat-adopt"}
    assert sorted(j for j in jobs if gitlab_job_runs(pipeline[j], adopting)) == ["adopt", "drift"]
    assert pipeline["drift"]["allow_failure"] == {"exit_codes": [2]}


class FakeGitLab(BaseHTTPRequestHandler):
    """GitLab's notes endpoint, faked on loopback: records each POST."""

    posted: ClassVar[list[tuple[str, str, dict[str, Any]]]] = []

    open_requests: ClassVar[list[dict[str, Any]]] = []  # what GET .../merge_requests lists

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.posted.append((self.path, self.headers.get("PRIVATE-TOKEN", ""), body))
        self._answer(201, {"id": 1})

    do_PUT = do_POST

    def do_GET(self) -> None:
        self._answer(200, self.open_requests)

    def _answer(self, status: int, document: Any) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(document).encode())

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_gitlab() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitLab)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeGitLab.posted.clear()
    FakeGitLab.open_requests.clear()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/api/v4"
    finally:
        server.shutdown()
        server.server_close()


def test_gitlab_plan_apply_and_drift(world: World, fake_gitlab: str) -> None:
    pipeline = load_yaml(GITLAB)
    world.open_pr()
    with_note = {"CI_API_V4_URL": fake_gitlab, "SPECTRUM_NOTE_TOKEN": "glpat-note-token"}
    plan = run_gitlab_job(
        pipeline,
        "plan",
        workspace=world.workspace,
        env=gitlab_variables(
            world, "merge_request_event", CLOUDFLARE_API_TOKEN=TOKEN, **MR, **with_note
        ),
    )
    assert plan.returncode == 0, plan.stdout + plan.stderr
    assert "<!-- spectrum-reconciler:plan -->" in plan.stdout  # the job log
    assert "game.example.com" in (world.workspace / "plan.md").read_text()  # the artifact
    ((path, token, note),) = FakeGitLab.posted  # and the MR note, with the project access token
    assert path == "/api/v4/projects/42/merge_requests/3/notes" and token == "glpat-note-token"
    assert note["body"].startswith("<!-- spectrum-reconciler:plan -->")
    before = world.requests()
    fork = run_gitlab_job(
        pipeline,
        "plan",
        workspace=world.workspace,
        env=gitlab_variables(world, "merge_request_event", **MR),
    )
    assert fork.returncode == 0, fork.stdout + fork.stderr
    assert "offline review" in fork.stdout and world.requests() == before
    world.merge()
    apply = run_gitlab_job(
        pipeline,
        "apply",
        workspace=world.workspace,
        env=gitlab_variables(world, "push", CI_COMMIT_BRANCH="main", CLOUDFLARE_API_TOKEN=TOKEN),
    )
    assert apply.returncode == 0, apply.stdout + apply.stderr
    assert "game.example.com" in world.live_names()
    world.move_live()
    drift = run_gitlab_job(
        pipeline,
        "drift",
        workspace=world.workspace,
        env=gitlab_variables(world, "schedule", CLOUDFLARE_API_TOKEN=TOKEN),
    )
    assert drift.returncode == 2, drift.stdout + drift.stderr  # allowed to fail with 2: a warning
    assert "ssh.example.com" in (world.workspace / "drift.md").read_text()


def test_gitlab_adopt_pushes_the_branch_and_opens_then_updates_a_merge_request(
    world: World, fake_gitlab: str
) -> None:
    pipeline = load_yaml(GITLAB)
    env = gitlab_variables(
        world,
        "schedule",
        CLOUDFLARE_API_TOKEN=TOKEN,
        CI_API_V4_URL=fake_gitlab,
        SPECTRUM_ADOPT_TOKEN="glpat-adopt",
        ADOPT_PUSH_URL=str(world.tmp / "origin.git"),
    )
    clean = run_gitlab_job(pipeline, "adopt", workspace=world.workspace, env=env)
    assert clean.returncode == 0 and FakeGitLab.posted == [], clean.stdout + clean.stderr
    world.move_live()
    job = run_gitlab_job(pipeline, "adopt", workspace=world.workspace, env=env)
    assert job.returncode == 0, job.stdout + job.stderr
    pushed = git(
        world.tmp / "origin.git", "show", "spectrum-reconciler/adopt:config/example.com.yaml"
    )
    assert pushed + "\n" == ADOPTED
    ((path, token, request),) = FakeGitLab.posted
    assert path == "/api/v4/projects/42/merge_requests" and token == "glpat-adopt"
    assert request["source_branch"] == "spectrum-reconciler/adopt"
    assert request["target_branch"] == "main" and "ssh.example.com" in request["description"]
    FakeGitLab.open_requests.append({"iid": 9})
    git(world.workspace, "checkout", "--quiet", "main")
    again = run_gitlab_job(pipeline, "adopt", workspace=world.workspace, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "updated merge request !9" in again.stdout
    assert FakeGitLab.posted[-1][0] == "/api/v4/projects/42/merge_requests/9"
