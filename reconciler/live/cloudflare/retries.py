"""Pure: what a failed exchange allows — repeat it, after how long, or give up with which hint.

In: a method, an httpx response or transport error, the base URL. Out: the decisions the
transport's retry loop acts on. A 429 means the request was not processed, so every method may
repeat it, after the ``Retry-After`` it names; a broken connection or a 5xx leaves a POST's outcome
unknown, so only idempotent methods repeat those; and some failures are the same on every try, so
none is repeated (``hopeless``).
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import httpx

from reconciler.live.urls import is_loopback

_IDEMPOTENT = frozenset({"GET", "PUT", "DELETE"})


def is_idempotent(method: str) -> bool:
    """GET, PUT and DELETE: repeating one whose outcome is unknown changes nothing."""
    return method in _IDEMPOTENT


def retry_after(response: httpx.Response, cap: float) -> float:
    """The seconds a 429 asks to wait (1 when it does not say), never negative, at most ``cap``."""
    try:
        seconds = float(response.headers.get("retry-after", "1"))
    except ValueError:
        seconds = 1.0
    return min(max(seconds, 0.0), cap)


def hopeless(error: httpx.TransportError, base_url: str) -> str | None:
    """The hint for a failure that repeating cannot change, or None when a retry may help.

    Nothing listening on loopback (the emulator is not running), a host name that does not
    resolve, and a TLS failure (wrong host, or an intercepting proxy) fail the same way every
    time; retrying them only made the user wait ~18 s. (A header that cannot be sent is caught
    before, in ``Transport.request``.)
    """
    causes = _causes(error)
    if any(isinstance(cause, ssl.SSLError) for cause in causes):
        return (
            f"TLS with {base_url} failed; check --base-url, and any proxy that "
            "intercepts TLS (its CA goes in SSL_CERT_FILE)"
        )
    host = urlsplit(base_url).hostname or ""
    if any(_unknown_host(cause) for cause in causes):
        return (
            f"the host {host} does not resolve (DNS: no such name); check --base-url or "
            "CLOUDFLARE_BASE_URL, and the network's DNS"
        )
    loopback = is_loopback(host)
    if loopback and any(isinstance(c, ConnectionRefusedError) for c in causes):
        return (
            f"nothing is listening at {base_url}; start the emulator "
            "(spectrum-reconciler emulator) or fix --base-url"
        )
    return None


# The resolver's "no such name" (NXDOMAIN, or a name with no address): the same on every try,
# unlike EAI_AGAIN ("temporary failure"), which a retry may get past.
_NO_SUCH_NAME = frozenset(
    code for name in ("EAI_NONAME", "EAI_NODATA") if (code := getattr(socket, name, None))
)


def _unknown_host(error: BaseException) -> bool:
    return isinstance(error, socket.gaierror) and error.errno in _NO_SUCH_NAME


def describe(error: httpx.TransportError) -> str:
    """``ConnectError: [Errno 111] Connection refused``, or the class name when it says nothing."""
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _causes(error: BaseException) -> list[BaseException]:
    """The error and what it was raised from or during, innermost last (cycles cut)."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain
