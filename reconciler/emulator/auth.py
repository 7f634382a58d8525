"""Who is calling: the credential key used for rate limiting, and Cloudflare's auth refusals.

In: the request headers (lower-case names) and the configured token. Out: a credential key, and
a ``Refusal`` (9106, 6003 with its ``error_chain``, or 10000) when the credentials do not pass.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

import reconciler.emulator.codes as codes
from reconciler.emulator.envelope import ErrorItem, Refusal

_BEARER = re.compile(r"Bearer +(\S+)")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


def credential_key(headers: Mapping[str, str]) -> str:
    """What the rate limiter counts by: the token, or email + key, or the anonymous bucket."""
    if "authorization" in headers:
        return "token:" + headers["authorization"]
    if "x-auth-key" in headers or "x-auth-email" in headers:
        return f"key:{headers.get('x-auth-email', '')}:{headers.get('x-auth-key', '')}"
    return "anonymous"


def credential_fingerprint(headers: Mapping[str, str]) -> str:
    """Who is calling, safe to show: 12 hex of the credential's SHA-256, never the credential."""
    match = _BEARER.fullmatch(headers.get("authorization", ""))
    secret = match.group(1) if match else headers.get("x-auth-key")
    if not secret:
        return "anonymous"
    return hashlib.sha256(secret.encode()).hexdigest()[:12]


def check_credentials(headers: Mapping[str, str], token: str | None) -> Refusal | None:
    """None when the request may proceed; ``token`` None accepts any non-empty token."""
    if "authorization" in headers:
        match = _BEARER.fullmatch(headers["authorization"])
        if match is None:
            return _bad_header(6111, "Invalid format for Authorization header")
        return _refused() if token is not None and match.group(1) != token else None
    email, key = headers.get("x-auth-email"), headers.get("x-auth-key")
    if email and key:
        if _EMAIL.fullmatch(email) is None:
            return _bad_header(6102, "Invalid format for X-Auth-Email header")
        # A global API key stands in for the token when one is configured.
        return _refused() if token is not None and key != token else None
    return Refusal.of(
        codes.NO_CREDENTIALS.status,
        codes.NO_CREDENTIALS.code,
        "Missing X-Auth-Key, X-Auth-Email or Authorization headers",
    )


def _bad_header(chain_code: int, chain_message: str) -> Refusal:
    item = ErrorItem(
        codes.BAD_HEADERS.code, "Invalid request headers", ((chain_code, chain_message),)
    )
    return Refusal(codes.BAD_HEADERS.status, item)


def _refused() -> Refusal:
    return Refusal.of(codes.REFUSED_TOKEN.status, codes.REFUSED_TOKEN.code, "Authentication error")
