"""Post or update the one sticky pull-request comment of the spectrum-reconciler Action.

In (environment, set by action.yml's step): ``MARKDOWN_FILE`` (the plan, review or drift in
Markdown), ``REPOSITORY`` (owner/name), ``PR_NUMBER``, ``COMMENT_TOKEN`` and ``GITHUB_API_URL``
(the runner's; GitHub Enterprise Server has its own), ``COMMENT_AUTHOR`` (whose comment is the
sticky one; ``github-actions[bot]`` for the workflow's own token). Out: one comment on the pull
request holding the Markdown, found again on the next run by its hidden marker line and edited
in place, and ``comment-url=URL`` on stdout (for ``$GITHUB_OUTPUT``).

A comment that cannot be posted (a fork's read-only token, no pull request) is a warning
annotation, not a failure: the plan itself succeeded and is in the job summary. Standard
library only: it runs apart from the tool and its dependencies. The token is sent as a header
and never printed.
"""

from __future__ import annotations

import json
import os
import re
import sys
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

MARKER = "<!-- spectrum-reconciler:plan -->"
LIMIT = 60_000  # GitHub refuses comments over 65 536 characters
TRUNCATED = "\n\n_Truncated: the full text is in the job summary of this run._\n"
DEFAULT_AUTHOR = "github-actions[bot]"
READ_ONLY = " (a fork's token is read-only; the job needs pull-requests: write)"


def comment_body(markdown: str) -> str:
    """The Markdown with the marker first, cut to fit GitHub's limit (and saying so)."""
    body = markdown if MARKER in markdown else f"{MARKER}\n{markdown}"
    if len(body) > LIMIT:
        body = body[:LIMIT] + TRUNCATED
    return body


def sticky(comments: list[dict[str, Any]], author: str) -> dict[str, Any] | None:
    """The first comment ``author`` wrote that carries the marker, if any."""
    for comment in comments:
        login = (comment.get("user") or {}).get("login")
        if login == author and MARKER in str(comment.get("body", "")):
            return comment
    return None


def next_page(link: str | None) -> str | None:
    """The ``rel="next"`` URL of a ``Link`` header (GitHub's pagination)."""
    for part in (link or "").split(","):
        found = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if found:
            return found[1]
    return None


def origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _SameOrigin(urllib.request.HTTPRedirectHandler):
    """Follows a redirect only on the API's own origin: urllib would send the token along to
    any host a redirect names."""

    def __init__(self, api: str) -> None:
        self.api = origin(api)

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if origin(newurl) != self.api:
            return None  # urllib then raises the redirect's HTTPError: a warning
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class GitHub:
    """Just the three calls the comment needs: list, create, update. The token goes only to
    the API's origin (``GITHUB_API_URL``), whatever a redirect or a ``Link`` header names."""

    def __init__(self, api: str, repository: str, token: str) -> None:
        self.base = f"{api.rstrip('/')}/repos/{repository}"
        self.token = token
        self.origin = origin(api)
        self.opener = urllib.request.build_opener(_SameOrigin(api))

    def call(self, method: str, url: str, body: Any = None) -> tuple[Any, str | None]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Accept", "application/vnd.github+json")
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("X-GitHub-Api-Version", "2022-11-28")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        with self.opener.open(request, timeout=30) as response:
            return json.loads(response.read() or b"null"), response.headers.get("Link")

    def comments(self, number: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url: str | None = f"{self.base}/issues/{number}/comments?per_page=100"
        while url:
            page, link = self.call("GET", url)
            if not isinstance(page, list):
                raise ValueError("a page of comments is not a list")
            found.extend(page)
            url = next_page(link)
            if url is not None and origin(url) != self.origin:
                raise ValueError("the next page is on another host than GITHUB_API_URL")
        return found

    def post(self, number: int, body: str, author: str) -> str:
        """The URL of the comment, updated in place or created."""
        old = sticky(self.comments(number), author)
        if old is not None:
            made, _ = self.call("PATCH", f"{self.base}/issues/comments/{old['id']}", {"body": body})
        else:
            made, _ = self.call("POST", f"{self.base}/issues/{number}/comments", {"body": body})
        return str(made.get("html_url", ""))


def warn(message: str) -> int:
    print(f"::warning title=spectrum-reconciler comment::{message}", file=sys.stderr)
    return 0


def main() -> int:
    env = os.environ
    markdown_file, number = env.get("MARKDOWN_FILE", ""), env.get("PR_NUMBER", "")
    if not markdown_file or not os.path.isfile(markdown_file):
        return warn("this command writes no Markdown (plan, diff or drift do): no comment")
    if not number.isdigit():
        return warn("not a pull_request event: there is no pull request to comment on")
    with open(markdown_file, encoding="utf-8") as stream:
        body = comment_body(stream.read())
    api = env.get("GITHUB_API_URL") or "https://api.github.com"
    github = GitHub(api, env["REPOSITORY"], env.get("COMMENT_TOKEN", ""))
    try:
        url = github.post(int(number), body, env.get("COMMENT_AUTHOR") or DEFAULT_AUTHOR)
    except urllib.error.HTTPError as error:
        hint = READ_ONLY if error.code == 403 else ""
        return warn(f"GitHub answered HTTP {error.code} {error.reason}{hint}")
    except (urllib.error.URLError, OSError) as error:
        return warn(f"could not reach GitHub ({type(error).__name__}: {error})")
    except (ValueError, TypeError, KeyError, AttributeError) as error:  # not GitHub's answer
        return warn(f"GitHub's answer was not understood ({type(error).__name__}: {error})")
    print(f"comment-url={url}")
    print(f"posted the plan comment: {url}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
