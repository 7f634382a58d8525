"""The v4 envelope and the two things a request can turn into.

In: a result (any JSON value) or a list of ``(code, message)`` errors.
Out: ``EmulatorResponse`` (status, headers, body bytes) or ``DroppedConnection`` (the adapters
close the socket without answering). ``Refusal`` is raised anywhere below the router and turned
into an error envelope in one place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

JSON_TYPE = "application/json"


@dataclass(frozen=True)
class EmulatorResponse:
    """What the emulator answers: an HTTP status, headers and the encoded body."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        """The decoded body (tests and the stats endpoint use it)."""
        return json.loads(self.body)


@dataclass(frozen=True)
class DroppedConnection:
    """The connection closes without a response; ``committed`` tells whether a write happened."""

    committed: bool = False


@dataclass(frozen=True)
class ErrorItem:
    """One ``errors[]`` entry; ``chain`` becomes Cloudflare's ``error_chain``."""

    code: int
    message: str
    chain: tuple[tuple[int, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.chain:
            item["error_chain"] = [{"code": c, "message": m} for c, m in self.chain]
        return item


class Refusal(Exception):
    """Cloudflare says no: an HTTP status plus one or more error items."""

    def __init__(self, status: int, *items: ErrorItem, headers: dict[str, str] | None = None):
        super().__init__(", ".join(f"{i.code} {i.message}" for i in items))
        self.status = status
        self.items = items
        self.headers = headers or {}

    @classmethod
    def of(cls, status: int, code: int, message: str) -> Refusal:
        """The common case: one error item."""
        return cls(status, ErrorItem(code, message))


def success(result: Any, result_info: dict[str, int] | None = None) -> EmulatorResponse:
    """A 200 envelope around ``result`` (already JSON-shaped)."""
    return success_raw(json.dumps(result, separators=(",", ":")), result_info)


def success_raw(result_json: str, result_info: dict[str, int] | None = None) -> EmulatorResponse:
    """A 200 envelope around an already encoded ``result``; the list hot path uses it."""
    info = "" if result_info is None else ',"result_info":' + json.dumps(result_info)
    body = '{"success":true,"errors":[],"messages":[],"result":' + result_json + info + "}"
    return EmulatorResponse(200, body.encode(), {"Content-Type": JSON_TYPE})


def failure(refusal: Refusal) -> EmulatorResponse:
    """The error envelope: ``success`` false, ``result`` null, every error item."""
    doc = {
        "success": False,
        "errors": [item.to_dict() for item in refusal.items],
        "messages": [],
        "result": None,
    }
    headers = {"Content-Type": JSON_TYPE, **refusal.headers}
    return EmulatorResponse(refusal.status, json.dumps(doc).encode(), headers)
