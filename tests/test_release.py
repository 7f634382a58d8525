"""The release: a licence, one version, and a changelog and docs that name that same version."""

from __future__ import annotations

import re
import sys
from importlib.metadata import metadata, version
from pathlib import Path

import pytest

import reconciler

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()
KEEP_A_CHANGELOG_SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
RELEASE_HEADING = re.compile(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", re.M)


def _declared_version() -> str:
    return str(PYPROJECT["project"]["version"])


def _documented_files() -> list[Path]:
    docs = [ROOT / "README.md", ROOT / "action.yml", ROOT / "Dockerfile"]
    docs += sorted((ROOT / "docs").rglob("*.md")) + sorted((ROOT / "docs" / "ci").rglob("*.y*ml"))
    return docs + sorted((ROOT / "deploy").rglob("*.yaml"))


def test_the_licence_is_the_apache_2_0_text_the_metadata_declares() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert metadata("spectrum-reconciler")["License-Expression"] == "Apache-2.0"


def test_the_metadata_names_its_authors_urls_and_pythons() -> None:
    project = PYPROJECT["project"]
    assert project["authors"]
    assert {"Homepage", "Source", "Issues", "Changelog"} <= set(project["urls"])
    claimed = {c.rsplit(" ", 1)[-1] for c in project["classifiers"] if c.count("::") == 2}
    assert {"3.10", "3.11", "3.12", "3.13"} <= claimed


def test_the_version_has_one_source() -> None:
    assert reconciler.__version__ == version("spectrum-reconciler") == _declared_version(), (
        "the installed metadata is stale: reinstall (pip install -e .) after a version bump"
    )
    written = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "reconciler").rglob("*.py")
        if re.search(r"__version__\s*=\s*['\"]", path.read_text())
    ]
    assert written == [], "the version is written in pyproject.toml only"


def test_an_unknown_attribute_of_the_package_is_still_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_thing"):
        reconciler.no_such_thing  # noqa: B018


def test_the_changelog_keeps_a_changelog() -> None:
    assert CHANGELOG.startswith("# Changelog\n")
    headings = re.findall(r"^## (.+)$", CHANGELOG, re.M)
    assert headings[0] == "[Unreleased]", "the first section collects what is not released yet"
    releases = RELEASE_HEADING.findall(CHANGELOG)
    assert len(releases) == len(headings) - 1, f"every other heading is [X.Y.Z] - date: {headings}"
    numbers = [tuple(int(part) for part in number.split(".")) for number, _ in releases]
    assert numbers == sorted(numbers, reverse=True), "newest release first"
    assert set(re.findall(r"^### (.+)$", CHANGELOG, re.M)) <= KEEP_A_CHANGELOG_SECTIONS
    for name in ["Unreleased", *(number for number, _ in releases)]:
        assert re.search(rf"^\[{re.escape(name)}\]: https://", CHANGELOG, re.M), name


def test_the_package_the_changelog_and_the_documented_tags_agree() -> None:
    """A release bumps pyproject, moves the changelog and re-points every documented tag."""
    released = RELEASE_HEADING.search(CHANGELOG)
    assert released, "the changelog has a released version"
    assert released.group(1) == _declared_version() == reconciler.__version__
    tag, image = f"v{released.group(1)}", f"spectrum-reconciler:{released.group(1)}"
    found = 0
    for path in _documented_files():
        text = path.read_text()
        for named in re.findall(r"spectrum-reconciler@(v\d[\w.+-]*)", text):
            assert named == tag, f"{path.relative_to(ROOT)} names @{named}, the release is {tag}"
            found += 1
        for named in re.findall(r"\bspectrum-reconciler:(\d[\w.+-]*)", text):
            assert f"spectrum-reconciler:{named}" == image, f"{path.relative_to(ROOT)}: {named}"
    assert found >= 3, "the Action's documented uses: lines were found"


def test_the_release_procedure_is_documented() -> None:
    procedure = (ROOT / "docs" / "releasing.md").read_text()
    for step in ["pyproject.toml", "CHANGELOG.md", "git tag -a vX.Y.Z", "tests/test_release.py"]:
        assert step in procedure
    assert "docs/releasing.md" in (ROOT / "README.md").read_text()
