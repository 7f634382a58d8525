"""The Action's sticky pull-request comment (action/sticky_comment.py): one comment per pull
request, found again by its marker and edited in place; a refusal is a warning, never a failure,
and the token is never printed. Run against a fake GitHub API on loopback."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT
from tests.fake_github import fake_github

SCRIPT = ROOT / "action" / "sticky_comment.py"
TOKEN = "ghs_comment_token_0123456789"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("sticky_comment", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sticky_comment = load_script()
MARKER = sticky_comment.MARKER


def post(
    api: str, markdown: Path, number: str = "7", **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "MARKDOWN_FILE": str(markdown),
        "REPOSITORY": "acme/spectrum-config",
        "PR_NUMBER": number,
        "COMMENT_TOKEN": TOKEN,
        "GITHUB_API_URL": api,
        **extra,
    }
    return subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def markdown(tmp_path: Path) -> Path:
    path = tmp_path / "plan.md"
    path.write_text(f"{MARKER}\n### Spectrum plan\n\n+ create game.example.com udp/27015\n")
    return path


def test_the_first_run_creates_the_comment_and_the_next_ones_edit_it(markdown: Path) -> None:
    with fake_github() as (api, github):
        first = post(api, markdown)
        markdown.write_text(markdown.read_text().replace("create", "update"))
        second = post(api, markdown)
    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    (comment,) = github.comments[7]
    assert "update game.example.com" in comment["body"]
    assert first.stdout == second.stdout == f"comment-url={comment['html_url']}\n"
    assert [m for m, _, _ in github.requests] == ["GET", "POST", "GET", "PATCH"]
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in github.requests)
    assert TOKEN not in first.stdout + first.stderr + second.stdout + second.stderr


def test_the_sticky_comment_is_found_on_a_later_page(markdown: Path) -> None:
    with fake_github() as (api, github):
        for n in range(150):
            github.add(7, f"a reviewer's comment {n}", author="alice")
        github.add(7, f"{MARKER}\nan old plan")
        result = post(api, markdown)
    assert result.returncode == 0, result.stderr
    assert len(github.comments[7]) == 151  # edited, not added
    assert "game.example.com" in github.comments[7][-1]["body"]


def test_a_comment_with_the_marker_by_someone_else_is_left_alone(markdown: Path) -> None:
    with fake_github() as (api, github):
        github.add(7, f"quoting the bot: {MARKER}", author="mallory")
        assert post(api, markdown).returncode == 0
    assert [c["user"]["login"] for c in github.comments[7]] == ["mallory", "github-actions[bot]"]
    assert github.comments[7][0]["body"] == f"quoting the bot: {MARKER}"


@pytest.mark.parametrize("how", ["link", "redirect"])
def test_the_token_goes_to_no_other_host_than_the_api(markdown: Path, how: str) -> None:
    with fake_github() as (api, github), fake_github() as (elsewhere, other):
        if how == "link":
            for n in range(150):  # a second page, which the Link header puts elsewhere
                github.add(7, f"a reviewer's comment {n}", author="alice")
            github.link_host = elsewhere
        else:
            github.redirect_to = elsewhere
        result = post(api, markdown)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.startswith("::warning title=spectrum-reconciler comment::")
    assert other.requests == [] and TOKEN not in result.stderr


def test_a_refused_comment_is_a_warning_and_does_not_fail_the_step(markdown: Path) -> None:
    with fake_github() as (api, github):
        github.refuse = 403
        result = post(api, markdown)
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr.startswith("::warning title=spectrum-reconciler comment::")
    assert "HTTP 403" in result.stderr and "pull-requests: write" in result.stderr
    assert TOKEN not in result.stderr


def test_no_pull_request_or_no_markdown_posts_nothing(markdown: Path, tmp_path: Path) -> None:
    with fake_github() as (api, github):
        outside = post(api, markdown, number="")
        nothing = post(api, tmp_path / "missing.md")
    assert outside.returncode == nothing.returncode == 0
    assert "not a pull_request event" in outside.stderr
    assert "writes no Markdown" in nothing.stderr
    assert github.requests == []


def test_the_body_starts_with_the_marker_and_fits_githubs_limit() -> None:
    assert sticky_comment.comment_body("no marker").startswith(MARKER + "\n")
    long = sticky_comment.comment_body(MARKER + "x" * 100_000)
    assert len(long) < 65_536 and long.endswith(sticky_comment.TRUNCATED)


def test_next_page_reads_githubs_link_header() -> None:
    link = '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=9>; rel="last"'
    assert sticky_comment.next_page(link) == "https://api.github.com/x?page=2"
    assert sticky_comment.next_page('<https://api.github.com/x?page=1>; rel="prev"') is None
    assert sticky_comment.next_page(None) is None
