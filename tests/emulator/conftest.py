"""Fixtures for the emulator tests (helpers live in ``emulator_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from cloudflare import Cloudflare
from emulator_helpers import client_for, make_emulator

from reconciler.emulator import Emulator, serve


@pytest.fixture
def emu() -> Emulator:
    return make_emulator()


@pytest.fixture
def zone_id(emu: Emulator) -> str:
    return str(emu.ensure_zone("example.com")["id"])


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    with client_for(emu) as c:
        yield c


@pytest.fixture
def sdk(emu: Emulator) -> Iterator[Cloudflare]:
    """The official SDK (cloudflare==5.9.0) talking to ``emu`` over loopback."""
    with serve(emu) as server, httpx.Client() as http:
        yield Cloudflare(
            api_token="sdk-token", base_url=server.base_url, http_client=http, max_retries=0
        )
