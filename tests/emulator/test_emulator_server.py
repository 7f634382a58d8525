"""The loopback server: a dropped connection as a client sees it, and the CLI entry point."""

from __future__ import annotations

import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from emulator_helpers import make_emulator

from reconciler.emulator import serve

ROOT = Path(__file__).resolve().parents[2]


def test_base_url_and_a_request() -> None:
    emu = make_emulator()
    with serve(emu) as server, httpx.Client(base_url=server.base_url) as client:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert server.base_url.endswith("/client/v4")
        response = client.get("/zones", headers={"Authorization": "Bearer t"})
    assert response.status_code == 200 and response.headers["Ratelimit-Policy"]


def test_dropped_connection_over_loopback() -> None:
    emu = make_emulator(fault_rate=1.0, seed=2)
    errors: set[type[Exception]] = set()
    with serve(emu) as server, httpx.Client(base_url=server.base_url) as client:
        for _ in range(30):
            try:
                client.get("/zones", headers={"Authorization": "Bearer t"})
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                errors.add(type(exc))
    assert errors, "no request met a dropped connection"
    assert emu.stats()["faults_by_kind"]["dropped"] > 0


def test_run_from_cli_announces_itself_and_serves(tmp_path: Path) -> None:
    code = (
        "from reconciler.emulator import run_from_cli\n"
        "run_from_cli(host='127.0.0.1', port=0, zones=['example.com'], byoip_prefixes=[],"
        f" state={str(tmp_path / 's.json')!r}, token=None, latency_ms=0, fault_rate=0, seed=0,"
        " rate_limit='1200/300')\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:") and line.endswith("/client/v4")
        base_url = line.removeprefix("listening on ")
        with httpx.Client(base_url=base_url, headers={"Authorization": "Bearer t"}) as client:
            zones = client.get("/zones", params={"name": "example.com"}).json()["result"]
        assert [zone["name"] for zone in zones] == ["example.com"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.parametrize("text", ["1200", "x/300", "10/y"])
def test_bad_rate_limit_text(text: str) -> None:
    from reconciler.emulator import parse_rate_limit

    with pytest.raises(ValueError):
        parse_rate_limit(text)


def test_concurrent_writes_over_loopback_are_all_kept() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from emulator_helpers import tcp_app

    emu = make_emulator()
    zone_id = emu.ensure_zone("example.com")["id"]

    def create_many(worker: int) -> list[str]:
        with httpx.Client(base_url=server.base_url, headers={"Authorization": "Bearer t"}) as c:
            url = f"/zones/{zone_id}/spectrum/apps"
            return [
                c.post(url, json=tcp_app(f"w{worker}-{i}.example.com")).json()["result"]["id"]
                for i in range(15)
            ]

    with serve(emu) as server, ThreadPoolExecutor(max_workers=6) as pool:
        ids = [app_id for batch in pool.map(create_many, range(6)) for app_id in batch]
    assert len(set(ids)) == 90 == len(emu.apps(zone_id))
    assert emu.stats()["requests"]["POST /zones/{zone_id}/spectrum/apps"] == 90


def test_a_client_hanging_up_mid_request_prints_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    emu = make_emulator()
    with serve(emu) as server:
        host, port = server.server_address[:2]
        raw = socket.create_connection((str(host), int(port)))
        raw.sendall(b"GET /client/v4/zones HTTP/1.1\r\nHost: x\r\n")  # headers never finish
        # SO_LINGER 0: close with a reset, as a killed client's kernel does.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        raw.close()
        time.sleep(0.2)  # let the handler thread meet the reset before the server closes
        with httpx.Client(base_url=server.base_url) as client:  # the server still serves
            assert client.get("/zones", headers={"Authorization": "Bearer t"}).status_code == 200
    assert "Traceback" not in capsys.readouterr().err
