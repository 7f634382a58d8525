"""GitHub's issue-comment endpoints, faked on loopback for the Action's sticky comment.

Keeps the comments of each pull request in memory; lists them in pages of ``per_page`` with a
``Link: <…>; rel="next"`` header, as GitHub does; answers every request with ``refuse`` (an
HTTP status) when it is set; records each request (method, path, Authorization header).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class GitHubState:
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    refuse: int | None = None
    author: str = "github-actions[bot]"
    next_id: int = 100
    link_host: str | None = None  # the next page's host, if not this server's
    redirect_to: str | None = None  # answer every request with a 301 to this URL

    def add(self, number: int, body: str, author: str | None = None) -> dict[str, Any]:
        self.next_id += 1
        comment = {
            "id": self.next_id,
            "body": body,
            "user": {"login": author or self.author},
            "html_url": f"https://github.com/acme/spectrum-config/pull/{number}#issuecomment-{self.next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment


def _handler(state: GitHubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _answer(self, status: int, document: Any, link: str | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if link:
                self.send_header("Link", link)
            self.end_headers()
            self.wfile.write(json.dumps(document).encode())

        def _body(self) -> Any:
            return json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def _refused(self) -> bool:
            parts = urlsplit(self.path)
            state.requests.append((self.command, parts.path, self.headers.get("Authorization", "")))
            if state.redirect_to:
                self.send_response(301)
                self.send_header("Location", state.redirect_to + parts.path)
                self.end_headers()
                return True
            if state.refuse:
                self._answer(state.refuse, {"message": "Resource not accessible by integration"})
            return bool(state.refuse)

        def do_GET(self) -> None:
            if self._refused():
                return
            parts = urlsplit(self.path)
            number = int(re.findall(r"/issues/(\d+)/comments", parts.path)[0])
            query = parse_qs(parts.query)
            size, page = int(query.get("per_page", ["30"])[0]), int(query.get("page", ["1"])[0])
            every = state.comments.get(number, [])
            shown = every[(page - 1) * size : page * size]
            more = page * size < len(every)
            host = state.link_host or f"http://{self.headers['Host']}"
            link = (
                f'<{host}{parts.path}?per_page={size}&page={page + 1}>; rel="next"'
                if more
                else None
            )
            self._answer(200, shown, link)

        def do_POST(self) -> None:
            if self._refused():
                return
            number = int(re.findall(r"/issues/(\d+)/comments", self.path)[0])
            self._answer(201, state.add(number, self._body()["body"]))

        def do_PATCH(self) -> None:
            if self._refused():
                return
            wanted = int(self.path.rsplit("/", 1)[1])
            for comments in state.comments.values():
                for comment in comments:
                    if comment["id"] == wanted:
                        comment["body"] = self._body()["body"]
                        return self._answer(200, comment)
            self._answer(404, {"message": "Not Found"})

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_github() -> Iterator[tuple[str, GitHubState]]:
    """(API URL, state) of a fake GitHub API on loopback, for the ``with`` block."""
    state = GitHubState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
