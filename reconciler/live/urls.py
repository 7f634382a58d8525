"""Pure: which URLs the tool may send to — https:// anywhere, plain http:// only to loopback.

In: a URL (or the host name ``urlsplit`` gives for one). Out: yes or no. The one place this rule
lives: the Cloudflare base URL (``live.cloudflare.transport``) and the notify webhook
(``running.notify``) both ask here, so a loopback test cannot drift between them.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ``::1``, ``::ffff:127.x.x.x``), spelled
    as ``urlsplit`` gives a host: lower-cased, IPv6 without its brackets. Other names are not
    resolved."""
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    # An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is judged as its IPv4 address, as Python
    # 3.13 does by itself and 3.10-3.12 do not: the answer must not depend on the interpreter.
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def https_or_loopback(url: str) -> bool:
    """An https:// URL with a host, or an http:// URL to loopback (the emulator, a test receiver).

    A URL ``urlsplit`` cannot parse (an unclosed ``[``) raises its ``ValueError``.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https":
        return bool(host)
    return parts.scheme == "http" and is_loopback(host)


def unreadable(url: str) -> str | None:
    """Why ``url`` cannot be sent to (a port that is no number or out of range, an unclosed
    IPv6 bracket, blanks or control characters in the host), without quoting the URL: a webhook
    URL is a secret. None when it reads."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (reading it checks it)
    except ValueError:
        return "its host or port cannot be read"
    host = parts.hostname or ""
    if any(ch.isspace() or not ch.isprintable() for ch in host):
        return "its host holds blanks or control characters"
    return None
