"""Helpers for the emulator tests: an emulator with three zones and two onboarded prefixes,
an in-process httpx client for it, request bodies to start from, error-code extraction."""

from __future__ import annotations

import copy
from typing import Any

import httpx

from reconciler.emulator import Emulator, EmulatorConfig

BASE_URL = "https://sandbox.spectrum-reconciler.invalid/client/v4"
VNET = "f70ff985-a4ef-4643-bbbc-4a0ed4fc8415"
ZONES = ("example.com", "other.org", "sub.example.com")
PREFIXES = ("198.51.100.0/24", "2001:db8::/48")


def make_emulator(**overrides: Any) -> Emulator:
    settings: dict[str, Any] = {
        "zones": ZONES,
        "byoip_prefixes": PREFIXES,
        "virtual_networks": {VNET: ("10.0.0.0/8",)},
    }
    settings.update(overrides)
    return Emulator(EmulatorConfig(**settings))


def client_for(emulator: Emulator, token: str | None = "test-token") -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(transport=emulator.transport(), base_url=BASE_URL, headers=headers)


def tcp_app(name: str = "ssh.example.com", **fields: Any) -> dict[str, Any]:
    """A valid full-variant body; ``fields`` override or add (a value of None removes the key)."""
    body: dict[str, Any] = {
        "dns": {"type": "CNAME", "name": name},
        "protocol": "tcp/22",
        "traffic_type": "direct",
        "origin_direct": ["tcp://192.0.2.1:22"],
    }
    return _apply(body, fields)


def static_app(name: str = "byoip.example.com", **fields: Any) -> dict[str, Any]:
    body = tcp_app(name, edge_ips={"type": "static", "ips": ["198.51.100.10"]})
    body["dns"]["type"] = "ADDRESS"
    return _apply(body, fields)


def _apply(body: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for name, value in fields.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def apps_url(zone_id: str, app_id: str | None = None) -> str:
    url = f"/zones/{zone_id}/spectrum/apps"
    return url if app_id is None else f"{url}/{app_id}"


def create(client: httpx.Client, zone_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create and insist it worked; returns the stored app."""
    response = client.post(apps_url(zone_id), json=body)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def error_codes(response: httpx.Response) -> list[int]:
    body = response.json()
    assert body["success"] is False and body["result"] is None
    return [item["code"] for item in body["errors"]]
