"""Query parameters and page-numbered lists, shared by every list endpoint.

In: a request's query. Out: numbers clamped into their bounds, enum values, and the slice and
``result_info`` of one page; a parameter that is not a number is a 11900 ``Refusal``. Pure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TypeVar

import reconciler.emulator.codes as codes
from reconciler.emulator.fields import refuse

Query = Mapping[str, str]
T = TypeVar("T")


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


def one_page(
    items: list[T], query: Query, default: int, lo: int, hi: int
) -> tuple[list[T], dict[str, int]]:
    """The page of ``items`` the query's ``page``/``per_page`` name, and its ``result_info``;
    a page past the end is empty (what stops SDK paging)."""
    page = int_param(query, "page", 1, 1, None)
    per_page = int_param(query, "per_page", default, lo, hi)
    start = (page - 1) * per_page
    chunk = items[start : start + per_page]
    info = {
        "page": page,
        "per_page": per_page,
        "count": len(chunk),
        "total_count": len(items),
        "total_pages": math.ceil(len(items) / per_page),
    }
    return chunk, info
