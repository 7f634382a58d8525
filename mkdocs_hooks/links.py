"""Links from a docs page to the repository's own files, made to work on the site too.

In: a page's Markdown and where it sits. Out: the same Markdown, with every relative link that
leaves ``docs/`` (``../deploy/kubernetes/``, ``../action.yml``) or names a directory pointed at
that file or folder in the repository (``repo_url``). On GitHub the relative links work as
written, so the pages keep them; a link to something that does not exist is left alone, and
``mkdocs build --strict`` fails on it.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

LINK = re.compile(r"\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")
BRANCH = "main"


def repository_links(markdown: str, page: str, root: Path, repo_url: str) -> str:
    """markdown of docs/``page``, with its links out of docs/ (or to folders) made absolute."""

    def absolute(match: re.Match[str]) -> str:
        target = match["target"]
        if "://" in target or target.startswith(("/", "mailto:")):
            return match[0]
        path = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page), target))
        inside_docs = path == "docs" or path.startswith("docs/")
        found = root / path
        if path.startswith("..") or not found.exists() or (inside_docs and found.is_file()):
            return match[0]
        kind = "tree" if found.is_dir() else "blob"
        return f"]({repo_url.rstrip('/')}/{kind}/{BRANCH}/{path}{match['anchor'] or ''})"

    return LINK.sub(absolute, markdown)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """MkDocs hook: rewrite the page's links to repository files."""
    root = Path(config.config_file_path).parent
    return repository_links(markdown, page.file.src_uri, root, config.repo_url or "")
