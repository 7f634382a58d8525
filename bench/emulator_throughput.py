"""Throughput of the in-process emulator: list requests per second over a zone of 100 apps.

In: how many seconds to measure. Out: a dict with the request count, elapsed seconds and
requests/second of ``GET .../spectrum/apps?page=1&per_page=100`` through
``httpx.Client(transport=emu.transport())`` — the path every reconciler test takes.
Run: ``.venv/bin/python bench/emulator_throughput.py``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx

# Run as a script from a checkout: make the repository importable without installing it.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from reconciler.emulator import Emulator, EmulatorConfig

BASE_URL = "https://sandbox.spectrum-reconciler.invalid/client/v4"
APPS = 100


def _populate(client: httpx.Client, zone_id: str) -> None:
    for i in range(APPS):
        body = {
            "dns": {"type": "CNAME", "name": f"app{i:03}.example.com"},
            "protocol": "tcp/22",
            "traffic_type": "direct",
            "origin_direct": ["tcp://192.0.2.1:22"],
        }
        client.post(f"/zones/{zone_id}/spectrum/apps", json=body).raise_for_status()


def measure(seconds: float = 2.0) -> dict[str, Any]:
    """Requests/second of listing one full page of 100 apps, measured for ``seconds``."""
    emulator = Emulator(EmulatorConfig(zones=("example.com",), rate_limit=(10**9, 1.0)))
    zone_id = emulator.ensure_zone("example.com")["id"]
    headers = {"Authorization": "Bearer bench"}
    with httpx.Client(transport=emulator.transport(), base_url=BASE_URL, headers=headers) as client:
        _populate(client, zone_id)
        url, params = f"/zones/{zone_id}/spectrum/apps", {"page": 1, "per_page": 100}
        if len(client.get(url, params=params).json()["result"]) != APPS:
            raise RuntimeError("the emulator did not return the whole page")
        requests, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            # The body is read in full by httpx; decoding it would time the client, not us.
            if client.get(url, params=params).status_code != 200:
                raise RuntimeError("unexpected status while measuring")
            requests += 1
    return {
        "requests": requests,
        "seconds": round(elapsed, 3),
        "requests_per_second": round(requests / elapsed, 1),
        "apps_per_page": APPS,
    }


if __name__ == "__main__":
    print(json.dumps(measure()))
