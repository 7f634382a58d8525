"""I/O shell: build the API client a command talks through — Cloudflare's, or the sandbox's.

In: the command's flags and the environment. Out: a ``CloudflareClient``. The token comes from
``CLOUDFLARE_API_TOKEN`` only; with ``--sandbox`` the built-in emulator answers in-process, with
its state in ``.spectrum-sandbox.json`` and the zones the command names created on first use.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.cloudflare import DEFAULT_BASE_URL, CloudflareClient
from reconciler.errors import AuthError, ReconcilerError
from reconciler.model import ZoneSpec
from reconciler.ratelimit import CLOUDFLARE_DEFAULT, RateLimit
from reconciler.retrynotice import RetryNotices

if TYPE_CHECKING:
    from reconciler.emulator import StateFileError

SANDBOX_STATE = ".spectrum-sandbox.json"
SANDBOX_BASE_URL = "https://sandbox.spectrum-reconciler.invalid/client/v4"
SANDBOX_TOKEN = "sandbox-token"  # the in-process emulator accepts any non-empty token


@dataclass(frozen=True)
class Connection:
    """How to reach the API, as the command line asked."""

    sandbox: bool = False
    base_url: str | None = None
    rate_limit: RateLimit = CLOUDFLARE_DEFAULT
    sandbox_state: str = SANDBOX_STATE


def open_client(connection: Connection, zones: Iterable[ZoneSpec] = ()) -> CloudflareClient:
    """A client for the real API, or for the sandbox with ``zones`` present in it."""
    if connection.sandbox:
        return _sandbox_client(connection, zones)
    token = os.environ.get("CLOUDFLARE_API_TOKEN", "").strip()
    if not token:
        raise AuthError(
            "",
            "",
            detail="CLOUDFLARE_API_TOKEN is not set",
            hint="export CLOUDFLARE_API_TOKEN=<token with Zone Settings Write>, or use --sandbox",
        )
    base_url = connection.base_url or os.environ.get("CLOUDFLARE_BASE_URL") or DEFAULT_BASE_URL
    return CloudflareClient(
        token, base_url=base_url, rate_limit=connection.rate_limit, on_retry=RetryNotices()
    )


def _sandbox_client(connection: Connection, zones: Iterable[ZoneSpec]) -> CloudflareClient:
    from reconciler.emulator import Emulator, StateFileError  # only the sandbox needs these

    try:
        emulator = Emulator.sandbox(Path(connection.sandbox_state))
        for zone in zones:
            if zone.name:
                emulator.ensure_zone(zone.name, zone.zone_id)
            elif zone.zone_id:
                emulator.ensure_zone_id(zone.zone_id)
    except StateFileError as error:
        raise ReconcilerError(_sandbox_file_problem(error)) from None
    token = os.environ.get("CLOUDFLARE_API_TOKEN", "").strip() or SANDBOX_TOKEN
    return CloudflareClient(
        token,
        base_url=SANDBOX_BASE_URL,
        transport=emulator.transport(),
        rate_limit=connection.rate_limit,
    )


def _sandbox_file_problem(error: StateFileError) -> str:
    if error.writing:
        return (
            f"cannot write the sandbox file {error.path}: {error.reason} — run from a "
            "directory you can write to"
        )
    return (
        f"the sandbox file {error.path} is unusable ({error.reason}) — delete it to start "
        "a fresh, empty sandbox"
    )
