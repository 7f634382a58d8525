"""Ctrl-C as a user presses it, in a real process: one plain line, no retries after it, and an
exit once the requests in flight are answered (issue 25). The apply's side is in
tests/test_executor.py and bench/interrupt.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.conftest import EXAMPLES

ANSWER_AFTER = 1.5  # seconds each request is in flight


class SlowAndFailing(BaseHTTPRequestHandler):
    """Answers every request late with a 503, which the client retries (unless interrupted)."""

    arrived = threading.Event()

    def do_GET(self) -> None:
        SlowAndFailing.arrived.set()
        time.sleep(ANSWER_AFTER)
        self.send_response(503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def _hears_ctrl_c() -> None:
    """Undo an inherited "ignore SIGINT": bash starts a background job so (as .ci/run runs the
    other Pythons' suites), and the child must hear Ctrl-C as a user's terminal would send it."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_during_reads_is_one_line_and_nothing_is_retried() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowAndFailing)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {**os.environ, "CLOUDFLARE_API_TOKEN": "t", "NO_COLOR": "1"}
        base_url = f"http://127.0.0.1:{server.server_address[1]}/client/v4"
        process = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "plan", str(EXAMPLES), "--base-url", base_url],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            preexec_fn=_hears_ctrl_c,
        )
        assert SlowAndFailing.arrived.wait(30), "a read is in flight"
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, stderr = process.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        server.shutdown()
        server.server_close()
    assert process.returncode == 1
    assert stderr.splitlines() == ["interrupted (Ctrl-C); nothing more was sent"]
    assert took < ANSWER_AFTER + 3  # the answer in flight, then out: a liveness bound
