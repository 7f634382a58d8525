"""The loopback adapter: a threaded HTTP/1.1 server in front of one ``Emulator``.

In: HTTP requests on ``host:port``. Out: the emulator's responses; a dropped connection closes
the socket without a byte of answer. ``serve`` runs it on a background thread for tests and
in-process use; ``run_from_cli`` serves until interrupted and announces itself on stdout.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from reconciler.emulator.app import API_PREFIX, Emulator
from reconciler.emulator.backend import query_of
from reconciler.emulator.config import (
    CLOUDFLARE_IPV4_HOSTNAME_QUOTA,
    EmulatorConfig,
    parse_rate_limit,
)
from reconciler.emulator.envelope import DroppedConnection

log = logging.getLogger(__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: clients reuse connections, as with the real API
    server: EmulatorServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        query = query_of(parse_qsl(url.query, keep_blank_values=True))
        headers = {name: value for name, value in self.headers.items()}
        result = self.server.emulator.handle(self.command, url.path, query, headers, body)
        if isinstance(result, DroppedConnection):
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_response(result.status)
        for name, value in result.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(result.body)))
        self.end_headers()
        self.wfile.write(result.body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: object) -> None:
        # Quiet unless asked: `emulator -v` (or --debug) sets INFO and shows one line a request.
        # The request line holds no credential (those travel in headers, never logged).
        log.info("%s %s", self.address_string(), format % args)


class EmulatorServer(ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` that knows its emulator and its base URL."""

    daemon_threads = True

    def __init__(self, emulator: Emulator, host: str, port: int) -> None:
        self.emulator = emulator
        super().__init__((host, port), _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-request is routine (a killed CLI, a timeout): say nothing.

        socketserver's default prints a traceback to stderr for it; anything else still does.
        """
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        text = host.decode() if isinstance(host, bytes) else str(host)
        shown = f"[{text}]" if ":" in text else text
        return f"http://{shown}:{port}{API_PREFIX}"


@contextlib.contextmanager
def serve(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> Iterator[EmulatorServer]:
    """Serve ``emulator`` on a background thread for the duration of the ``with`` block."""
    server = EmulatorServer(emulator, host, port)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def run_from_cli(
    host: str = "127.0.0.1",
    port: int = 8787,
    zones: Sequence[str] = (),
    byoip_prefixes: Sequence[str] = (),
    leased_prefixes: Sequence[str] = (),
    delegations: Sequence[str] = (),
    binding_provisioning_s: float = 0.0,
    state: str | os.PathLike[str] | None = None,
    token: str | None = None,
    latency_ms: float = 0.0,
    fault_rate: float = 0.0,
    seed: int = 0,
    rate_limit: tuple[int, float] | str = (1200, 300.0),
    dns_records: Sequence[str] = (),
    ipv4_hostname_quota: int | None = CLOUDFLARE_IPV4_HOSTNAME_QUOTA,
    origin_dns_policy: str = "any",
    traffic: Sequence[str] = (),
    analytics_forbidden: bool = False,
) -> int:
    """Serve until interrupted (Ctrl-C); prints ``listening on <base url>`` once accepting."""
    limit = parse_rate_limit(rate_limit) if isinstance(rate_limit, str) else rate_limit
    config = EmulatorConfig(
        zones=tuple(zones),
        byoip_prefixes=tuple(byoip_prefixes),
        leased_prefixes=tuple(leased_prefixes),
        delegations=tuple(delegations),
        binding_provisioning_s=binding_provisioning_s,
        token=token,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        seed=seed,
        rate_limit=limit,
        state_file=state,
        dns_records=tuple(dns_records),
        ipv4_hostname_quota=ipv4_hostname_quota,
        origin_dns_policy=origin_dns_policy,
        traffic=tuple(traffic),
        analytics_forbidden=analytics_forbidden,
    )
    emulator = Emulator(config)  # holds the state file's lock until closed
    try:
        server = EmulatorServer(emulator, host, port)
        try:
            # The socket is bound and listening once the constructor returns, so it is true.
            print(f"listening on {server.base_url}", flush=True)
            server.serve_forever(poll_interval=0.2)
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    finally:
        emulator.close()  # folds the journal into the state file
    return 0
