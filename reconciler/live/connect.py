"""I/O shell: build the API client a command talks through — Cloudflare's, or the sandbox's.

In: the command's flags and the environment. Out: a ``CloudflareClient``. The token comes from
``CLOUDFLARE_API_TOKEN`` only; with ``--sandbox`` the built-in emulator answers in-process, with
its state in ``.spectrum-sandbox.json`` and the zones the command names created on first use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import AuthError, ReconcilerError
from reconciler.live.ratelimit import CLOUDFLARE_DEFAULT, RateLimit
from reconciler.live.readprogress import ReadProgress
from reconciler.live.retrynotice import RateLimitWaits, RetryNotices
from reconciler.logs import register_secret, say
from reconciler.model import DEFAULT_TOKEN_ENV, ZoneSpec

if TYPE_CHECKING:
    from reconciler.emulator import Emulator, StateFileError
    from reconciler.live.cloudflare import CloudflareClient, RequestObserver

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


def open_client(
    connection: Connection,
    zones: Iterable[ZoneSpec] = (),
    *,
    token_env: str | None = None,
    sandbox: Emulator | None = None,
    observer: RequestObserver | None = None,
) -> CloudflareClient:
    """A client for the real API, or for the sandbox with ``zones`` present in it.

    The token comes from the variable ``token_env``, else the one ``zones`` name (they must
    agree: one client has one token — but the sandbox accepts any, so there they need not);
    each client has its own rate limiter. ``sandbox``: an
    emulator already opened, so that several clients share one. ``observer`` hears every request.
    The sandbox wins over ``CLOUDFLARE_BASE_URL`` (the flag is explicit, the variable may just be
    exported in the shell); ``--sandbox`` with ``--base-url`` is refused before this (usage error).
    """
    zones = tuple(zones)
    if connection.sandbox:  # the sandbox takes any token: files of several token_env pass
        token_env = token_env or min((token_env_of(z) for z in zones), default=DEFAULT_TOKEN_ENV)
    token_env = token_env or one_token_env(zones)
    if connection.sandbox:
        if sandbox is not None:  # the caller's: it closes it
            return _sandbox_client(connection, sandbox, token_env, observer, owned=False)
        emulator = open_sandbox(connection, zones)
        try:
            return _sandbox_client(connection, emulator, token_env, observer, owned=True)
        except BaseException:
            emulator.close()
            raise
    token = _token_from_environment(token_env)
    if not token:
        raise AuthError(
            "",
            "",
            detail=f"{token_env} is not set",
            hint=f"export {token_env}=<token with Zone Settings Write>, or use --sandbox",
        )
    register_secret(token)
    # Imported here: the client brings httpx (~0.1 s), which validate never needs.
    from reconciler.live.cloudflare import DEFAULT_BASE_URL, CloudflareClient

    base_url = connection.base_url or os.environ.get("CLOUDFLARE_BASE_URL") or DEFAULT_BASE_URL
    return CloudflareClient(
        token,
        base_url=base_url,
        rate_limit=connection.rate_limit,
        on_retry=RetryNotices(),
        observer=observer,
        on_zone_read=ReadProgress(),  # a read paced over minutes says how far it is
        on_wait=RateLimitWaits(),
    )


def _token_from_environment(variable: str) -> str:
    """The token in ``variable`` without surrounding whitespace, checked before any request.

    A token is printable ASCII with nothing blank inside. Anything else cannot be a header
    value: a line break made the HTTP library fail on every retry (and its error carried the
    token), a non-ASCII letter ended as an internal error. The message says what is wrong and
    where, never the token.
    """
    token = os.environ.get(variable, "").strip()
    for position, char in enumerate(token, start=1):
        problem = _character_problem(char)
        if problem:
            raise AuthError(
                "",
                "",
                detail=f"{variable} has {problem} (character {position})",
                hint="set it to the token exactly as Cloudflare shows it: printable ASCII, "
                "nothing blank inside",
            )
    return token


def _character_problem(char: str) -> str | None:
    if char in "\r\n":
        return "a line break inside"
    if char.isspace():
        return "a space inside"
    if not char.isascii():
        return "a character that is not ASCII"
    if not char.isprintable():
        return "a control character"
    return None


def token_env_of(zone: ZoneSpec) -> str:
    """The environment variable holding the zone's token."""
    return zone.token_env or DEFAULT_TOKEN_ENV


def one_token_env(zones: Iterable[ZoneSpec]) -> str:
    """The variable every zone's token comes from; several are refused, naming them."""
    names = sorted({token_env_of(zone) for zone in zones})
    if len(names) > 1:
        raise ReconcilerError(
            f"these files take tokens from {len(names)} variables ({', '.join(names)}); this "
            "command uses one token — run it once per token_env (one directory per account), "
            "or use reconcile, which paces each token on its own"
        )
    return names[0] if names else DEFAULT_TOKEN_ENV


def open_sandbox(connection: Connection, zones: Iterable[ZoneSpec]) -> Emulator:
    """The in-process sandbox emulator, with ``zones`` present in it; close it when done.

    One run at a time: the emulator holds the sandbox's lock until it is closed, and a second
    run waits for it (saying so on stderr) instead of overwriting the first run's apps.
    """
    from reconciler.emulator import Emulator, StateFileError  # only the sandbox needs these

    state = Path(connection.sandbox_state)
    try:
        emulator = Emulator.sandbox(state, on_wait=lambda: _say_waiting(state))
    except StateFileError as error:
        raise ReconcilerError(_sandbox_file_problem(error)) from None
    try:
        ensure_sandbox_zones(emulator, zones)
    except BaseException:
        with contextlib.suppress(StateFileError):
            emulator.close()  # releases the lock even when folding the journal in fails
        raise
    return emulator


def _say_waiting(state: Path) -> None:
    say(f"waiting for another run using the sandbox ({state}) to finish ...")


def ensure_sandbox_zones(emulator: Emulator, zones: Iterable[ZoneSpec]) -> None:
    """Create in the sandbox every zone a desired state names (the sandbox has them all)."""
    from reconciler.emulator import StateFileError

    try:
        for zone in zones:
            if zone.name:
                emulator.ensure_zone(zone.name, zone.zone_id)
            elif zone.zone_id:
                emulator.ensure_zone_id(zone.zone_id)
    except StateFileError as error:
        raise ReconcilerError(_sandbox_file_problem(error)) from None


def _sandbox_client(
    connection: Connection,
    emulator: Emulator,
    token_env: str,
    observer: RequestObserver | None,
    *,
    owned: bool,
) -> CloudflareClient:
    from reconciler.live.cloudflare import CloudflareClient

    token = _token_from_environment(token_env) or SANDBOX_TOKEN
    register_secret(token)
    return CloudflareClient(
        token,
        base_url=SANDBOX_BASE_URL,
        transport=emulator.transport(owned=owned),  # owned: closing the client closes it
        rate_limit=connection.rate_limit,
        observer=observer,
        on_wait=RateLimitWaits(),
    )


def _sandbox_file_problem(error: StateFileError) -> str:
    if error.writing:
        return (
            f"cannot write the sandbox file {error.path}: {error.reason} — run from a "
            "directory you can write to"
        )
    return (
        f"the sandbox file {error.path} is unusable ({error.reason}) — delete it and "
        f"{error.path}.journal to start a fresh, empty sandbox"
    )
