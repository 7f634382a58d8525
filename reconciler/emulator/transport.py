"""The in-process adapter: an ``httpx.BaseTransport`` handing each request to ``Emulator.handle``.

In: an ``httpx.Request`` to any host. Out: an ``httpx.Response``; a dropped connection raises
``httpx.RemoteProtocolError``, which is what an httpx client sees when a server hangs up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Protocol

import httpx

from reconciler.emulator.backend import query_of
from reconciler.emulator.envelope import DroppedConnection, EmulatorResponse


class Handler(Protocol):
    """What the adapter needs of the emulator (``Emulator.handle``); naming only this keeps the
    emulator's core and its adapters from importing each other."""

    def handle(
        self,
        method: str,
        path: str,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        body: bytes,
    ) -> EmulatorResponse | DroppedConnection: ...


class EmulatorTransport(httpx.BaseTransport):
    """Serves the emulator without sockets; safe to share between threads."""

    def __init__(self, emulator: Handler, on_close: Callable[[], None] | None = None) -> None:
        self._emulator = emulator
        self._on_close = on_close

    def close(self) -> None:
        if self._on_close is not None:
            self._on_close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        query = query_of(request.url.params.multi_items())
        result = self._emulator.handle(
            request.method, request.url.path, query, request.headers, body
        )
        if isinstance(result, DroppedConnection):
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            )
        return httpx.Response(
            result.status, headers=result.headers, content=result.body, request=request
        )
