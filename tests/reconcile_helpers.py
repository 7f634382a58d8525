"""Helpers for the reconcile tests: a desired state on disk, live state to drift, a webhook."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from reconciler.applying import workflow
from reconciler.applying.executor import Executor
from reconciler.emulator import Emulator
from tests.conftest import make_client

APPS = (
    ("ssh", "tcp/22", "192.0.2.1"),
    ("www", "tcp/80", "192.0.2.2"),
    ("db", "tcp/5432", "192.0.2.3"),
)


def zone_file(zone: str, *, token_env: str | None = None, apps: int = 3, extra: str = "") -> str:
    """A desired-state file of ``apps`` apps (of ssh, www, db) in ``zone``; ``extra`` lines
    (zone-level keys) go after the zone."""
    lines = [f"zone: {zone}", *extra.splitlines()]
    if token_env:
        lines.append(f"token_env: {token_env}")
    lines.append("apps:")
    for name, protocol, origin in APPS[:apps]:
        port = protocol.split("/")[1]
        lines += [
            f"  - dns: {{type: CNAME, name: {name}.{zone}}}",
            f"    protocol: {protocol}",
            f'    origin_direct: ["tcp://{origin}:{port}"]',
        ]
    return "\n".join(lines) + "\n"


def write_config(directory: Path, **zones: str) -> Path:
    """Files named after their zones; returns the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, text in zones.items():
        (directory / f"{name}.yaml").write_text(text)
    return directory


def converge(emulator: Emulator, config: Path) -> None:
    """Make live match the files (as apply --force would)."""
    with make_client(emulator) as client:
        desired = workflow.load([str(config)])
        plan = workflow.plan_for(desired, client)
        workflow.run_verdict(workflow.guard(plan, force=True), Executor(client))


def live_app(emulator: Emulator, zone: str, name: str) -> dict[str, Any]:
    zone_id = emulator.ensure_zone(zone)["id"]
    return next(a for a in emulator.apps(zone_id) if a["dns"]["name"] == f"{name}.{zone}")


def edit_origin(emulator: Emulator, zone: str, name: str, origin: str) -> None:
    """Change an app's origin behind git's back (as someone in the dashboard would)."""
    app = live_app(emulator, zone, name)
    body = {k: v for k, v in app.items() if k not in ("id", "created_on", "modified_on")}
    port = app["protocol"].split("/")[1]
    body["origin_direct"] = [f"tcp://{origin}:{port}"]
    zone_id = emulator.ensure_zone(zone)["id"]
    with make_client(emulator) as client:
        client.update_app(zone_id, app["id"], body)


class Webhook:
    """A loopback HTTP receiver that keeps every JSON body POSTed to it."""

    def __init__(self, server: ThreadingHTTPServer) -> None:
        self.server = server
        self.received: list[dict[str, Any]] = []
        self.raw: list[tuple[bytes, dict[str, str]]] = []  # exact bodies, with their headers

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hook"


@contextmanager
def webhook() -> Iterator[Webhook]:
    holder: list[Webhook] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            holder[0].raw.append((body, dict(self.headers.items())))
            holder[0].received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    holder.append(Webhook(server))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield holder[0]
    finally:
        server.shutdown()
        server.server_close()
