"""Every figure block in README.md and docs/ was written by the command that measured it: its
first line names that command and the commit it ran on (bench/stamp.py), the commit is in this
branch's history, and no run from a tree with uncommitted changes is shown. The prose around
the blocks agrees with them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from bench.stamp import STAMP, stamp, write_block
from tests.conftest import ROOT

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"<!-- (?P<name>[\w-]+):begin -->\n(?P<body>.*?)\n<!-- (?P=name):end -->", re.S)


def blocks() -> list[tuple[str, str, str]]:
    return [
        (path.name, match["name"], match["body"])
        for path in DOCS
        for match in BLOCK.finditer(path.read_text(encoding="utf-8"))
    ]


def block(path: Path, name: str) -> str:
    (body,) = [b for p, n, b in blocks() if p == path.name and n == name]
    return body


def test_the_docs_hold_the_figure_blocks() -> None:
    found = {(path, name) for path, name, _ in blocks()}
    assert ("README.md", "suite") in found  # beside the set-up commands it times
    pages = {
        "reliability.md": "reliability",
        "benchmarks.md": "bench",
        "running.md": "reconcile-memory",
    }
    assert set(pages.items()) <= found
    for path in DOCS:  # every begin has its end
        text = path.read_text(encoding="utf-8")
        assert text.count(":begin -->") == text.count(":end -->") == len(BLOCK.findall(text))


# The bench tables were written before the stamp named its commit; the next
# `python -m bench --write-docs docs/benchmarks.md README.md` stamps them, and then the test
# below fails until this set is emptied. Nothing else may join it.
AWAITING_A_RUN = {"bench"}


@pytest.mark.parametrize("where", blocks(), ids=lambda b: f"{b[0]}:{b[1]}")
def test_each_figure_block_carries_its_command_and_a_commit_of_this_history(
    where: tuple[str, str, str],
) -> None:
    path, name, body = where
    if name in AWAITING_A_RUN:
        assert not STAMP.match(body.splitlines()[0]), f"{name} is stamped: empty AWAITING_A_RUN"
        assert body.startswith("Measured by `python -m bench"), body[:200]
        return
    first = body.splitlines()[0]
    stamped = STAMP.match(first)
    assert stamped, f"{path} {name}: no 'Measured by `COMMAND` on commit X — ...' line: {first}"
    assert not stamped["dirty"], f"{path} {name}: measured on a tree with uncommitted changes"
    ancestor = subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "--is-ancestor", stamped["commit"], "HEAD"],
        check=False,
    )
    assert ancestor.returncode == 0, f"{path} {name}: {stamped['commit']} is not in HEAD's history"


def test_the_suite_time_in_words_is_the_measured_one() -> None:
    text = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    (minutes,) = re.findall(r"The whole suite takes about (\d+) minutes", text)
    seconds = int(re.search(r"in (\d+) s\.$", block(ROOT / "README.md", "suite"))[1])  # type: ignore[index]
    assert abs(int(minutes) - seconds / 60) <= 1, (minutes, seconds)


WORDS = ["No", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight"]


def test_the_count_of_missed_goals_in_words_is_the_tables() -> None:
    page = ROOT / "docs" / "benchmarks.md"
    text = " ".join(page.read_text(encoding="utf-8").split())
    (said,) = re.findall(r"(\w+) goals? (?:is|are) missed", text)
    assert WORDS.index(said) == block(page, "bench").count("(MISSED)")


def test_a_block_is_written_between_its_markers_only(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("before\n<!-- x:begin -->\nold\n<!-- x:end -->\nafter\n")
    line = stamp("python -m thing", "0123456789", "today")
    write_block(doc, "x", line + "\n\n| a |\n")
    assert doc.read_text() == f"before\n<!-- x:begin -->\n{line}\n\n| a |\n<!-- x:end -->\nafter\n"
    assert STAMP.match(line)["command"] == "python -m thing"  # type: ignore[index]
    with pytest.raises(SystemExit, match="no <!-- y:begin -->"):
        write_block(doc, "y", "body")
