"""Fixtures for the emulator tests (helpers live in ``emulator_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from emulator_helpers import client_for, make_emulator

from reconciler.emulator import Emulator


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
