"""Query parameters and page-numbered lists, shared by every list endpoint.

In: a request's query. Out: numbers clamped into their bounds, enum values, and the slice and
``result_info`` of one page; a parameter that is not a number is a 11900 ``Refusal``. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import reconciler.emulator.codes as codes
from reconciler.emulator.fields import refuse

Query = Mapping[str, str]


def int_param(query: Query, name: str, default: int, lo: int, hi: int | None) -> int:
    """An integer parameter, clamped into [lo, hi]; not a number is a 400."""
    raw = query.get(name)
    if raw is None:
        return default
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):  # "x", "nan"; "inf", "1e400"
        raise refuse(codes.INVALID_REQUEST, f"{name} must be a number, got {raw!r}") from None
    return max(lo, value if hi is None else min(hi, value))


def enum_param(query: Query, name: str, allowed: Sequence[str]) -> str:
    value = query.get(name, allowed[0])
    if value not in allowed:
        raise refuse(codes.INVALID_REQUEST, f"{name} must be one of {', '.join(allowed)}")
    return value


def page_slice(
    total: int, query: Query, default: int, lo: int, hi: int
) -> tuple[int, int, dict[str, int]]:
    """(start, per_page, result_info without count) for a page-numbered list."""
    page = int_param(query, "page", 1, 1, None)
    per_page = int_param(query, "per_page", default, lo, hi)
    info = {
        "page": page,
        "per_page": per_page,
        "total_count": total,
        "total_pages": math.ceil(total / per_page),
    }
    return (page - 1) * per_page, per_page, info
