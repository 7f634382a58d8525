"""A local stand-in for Cloudflare's Spectrum API (v4 envelope, refusals, rate limit, faults).

In: HTTP requests, in-process through ``Emulator.transport()`` or over loopback via ``serve``.
Out: the answers Cloudflare would give, as documented in docs/emulator.md. This package never
imports the rest of ``reconciler``: it plays Cloudflare, and a shared bug would hide itself.
Its modules import one another by their own paths, never through this package, which imports
them all: so no import goes round a circle.
"""

from __future__ import annotations

from reconciler.emulator.addressing.flags import check_address_flags
from reconciler.emulator.app import Emulator
from reconciler.emulator.config import DOCUMENTATION_PREFIXES, EmulatorConfig, parse_rate_limit
from reconciler.emulator.dns_records import check_record_flags
from reconciler.emulator.envelope import DroppedConnection, EmulatorResponse
from reconciler.emulator.persistence import StateLocked
from reconciler.emulator.server import EmulatorServer, run_from_cli, serve
from reconciler.emulator.snapshot import read_state
from reconciler.emulator.store import StateFileError
from reconciler.emulator.zones import parse_zone_spec

__all__ = [
    "DOCUMENTATION_PREFIXES",
    "DroppedConnection",
    "Emulator",
    "EmulatorConfig",
    "EmulatorResponse",
    "EmulatorServer",
    "StateFileError",
    "StateLocked",
    "check_address_flags",
    "check_record_flags",
    "parse_rate_limit",
    "parse_zone_spec",
    "read_state",
    "run_from_cli",
    "serve",
]
