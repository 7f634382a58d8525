"""Pure: a Cloudflare v4 response envelope, or the ``ApiError`` it stands for.

Every v4 response is ``{"success", "errors", "messages", "result", "result_info"}``; a failure
carries ``errors: [{"code", "message"}]`` (https://developers.cloudflare.com/fundamentals/api/how-to/make-api-calls/).
Which error class a failure becomes decides the exit message and hint, so the mapping lives here,
in one table, rather than at each call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from reconciler.errors import (
    ApiError,
    ApiMessage,
    AuthError,
    MalformedAnswerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    RefusedError,
    TransportError,
)

# Codes that mean "these credentials are refused", whatever the HTTP status says.
_AUTH_CODES = frozenset({9106, 6003, 6111, 10000})
# "Could not route to ..., perhaps your object identifier is invalid?" / "No route for that URI".
_NO_ROUTE_CODES = frozenset({7000, 7003})


def parse_envelope(method: str, path: str, response: httpx.Response) -> Mapping[str, Any]:
    """The response's v4 envelope when it says success, else the matching ApiError."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TransportError(
            method,
            path,
            status=response.status_code,
            detail="the response was not a v4 envelope",
            hint="check that the base URL is the API's and ends in /client/v4",
        )
    messages = _messages(body)
    if response.is_success and body.get("success") is True:
        return body
    raise error_class(response.status_code, messages)(
        method,
        path,
        status=response.status_code,
        errors=messages,
        hint=_routing_hint(path, messages),
    )


def _routing_hint(path: str, messages: Sequence[ApiMessage]) -> str | None:
    """7003/7000 ("no route") is about the URL, never about an app: on ``/zones``, which always
    exists under ``/client/v4``, it means the base URL is wrong (cloudflare-go issue #118)."""
    if not {m.code for m in messages} & _NO_ROUTE_CODES:
        return None
    if path.split("?")[0] == "/zones":
        return (
            "the base URL looks wrong: it must end in /client/v4 (e.g. "
            "https://api.cloudflare.com/client/v4, or http://127.0.0.1:8787/client/v4 for the "
            "emulator)"
        )
    return "check the zone id in the files, and that the base URL ends in /client/v4"


def error_codes(response: httpx.Response) -> tuple[int, ...]:
    """Cloudflare's error codes in a failed response (none for a success or a body not JSON)."""
    if response.is_success:
        return ()
    try:
        body = response.json()
    except ValueError:
        return ()
    return tuple(m.code for m in _messages(body)) if isinstance(body, dict) else ()


def _messages(body: Mapping[str, Any]) -> tuple[ApiMessage, ...]:
    """The errors of an envelope; a code that is no number reads as 0 (unknown), so the status
    still decides the error class."""
    items = body.get("errors")
    if not isinstance(items, list):
        return ()
    return tuple(
        ApiMessage(_code(item.get("code")), str(item.get("message", "")))
        for item in items
        if isinstance(item, dict)
    )


def _code(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else 0


def error_class(status: int, messages: Sequence[ApiMessage]) -> type[ApiError]:
    """The ApiError subclass for a failed response's status and error codes."""
    codes = {m.code for m in messages}
    if status == 401 or codes & _AUTH_CODES:
        return AuthError
    by_status: dict[int, type[ApiError]] = {
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitedError,
    }
    if status in by_status:
        return by_status[status]
    if status >= 500:
        return TransportError
    return RefusedError


def list_result(body: Mapping[str, Any], method: str, path: str) -> list[Mapping[str, Any]]:
    """The envelope's ``result`` when it is a list (of objects); anything else is an error."""
    result = body.get("result")
    if not isinstance(result, list):
        raise TransportError(method, path, status=200, detail="expected a list result")
    return [item for item in result if isinstance(item, dict)]


def object_result(body: Mapping[str, Any], method: str, path: str) -> Mapping[str, Any]:
    """The envelope's ``result`` when it is an object; anything else is an error."""
    result = body.get("result")
    if not isinstance(result, dict):
        raise TransportError(method, path, status=200, detail="expected an object result")
    return result


def total_count(page: Mapping[str, Any], seen: int | None, path: str = "") -> int | None:
    """``result_info.total_count`` of a listing page, else what an earlier page said."""
    total = count_in(result_info(page, "GET", path), "total_count", "GET", path)
    return total if total is not None else seen


def result_info(body: Mapping[str, Any], method: str, path: str) -> Mapping[str, Any]:
    """The envelope's ``result_info`` ({} when absent); anything but an object is malformed."""
    info = body.get("result_info")
    if info is None:
        return {}
    if not isinstance(info, dict):
        raise _malformed(method, path, f"result_info is {_shown(info)}, not an object")
    return info


def count_in(
    info: Mapping[str, Any], name: str, method: str, path: str, *, least: int = 0
) -> int | None:
    """``result_info[name]`` as a whole number of at least ``least``; None when absent."""
    value = info.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < least:
        raise _malformed(method, path, f"result_info.{name} is {_shown(value)}, not a count")
    return value


def _malformed(method: str, path: str, what: str) -> MalformedAnswerError:
    detail = f"the API answered an unexpected shape: {what}"
    return MalformedAnswerError(method, path, status=200, detail=detail)


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
