"""Desired-state files for tests that need one zone of simple apps: ``app`` (one Spectrum app,
static edge IPs when given an IP) and ``write`` (``apps.yaml`` of example.com)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def app(
    ip: str | None,
    protocol: str = "tcp/22",
    origin: str = "tcp://10.0.0.1:22",
    *,
    name: str = "ssh",
) -> dict[str, Any]:
    """``NAME.example.com``: ADDRESS on static ``ip`` when given, else a dynamic CNAME app."""
    made: dict[str, Any] = {
        "dns": {"type": "ADDRESS" if ip else "CNAME", "name": f"{name}.example.com"},
        "protocol": protocol,
        "origin_direct": [origin],
    }
    if ip:
        made["edge_ips"] = {"type": "static", "ips": [ip]}
    return made


def write(directory: Path, *apps: dict[str, Any]) -> str:
    """``directory/apps.yaml`` declaring ``apps`` in example.com; the directory, as a path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": "example.com", "apps": list(apps)}))
    return str(directory)
