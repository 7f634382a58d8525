"""I/O: a page-numbered list read whole (DNS records, zones), complete or failed.

In: a ``Transport``, a path, a page size. Out: every item, or a ``TransportError`` when the
pages do not add up to the ``total_count`` the API announced (never a partial list). Apps have
their own, stricter reader (``listing``): a shifted app listing would become deletions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.errors import TransportError
from reconciler.live.cloudflare.envelope import count_in, list_result, result_info, total_count
from reconciler.live.cloudflare.transport import Transport

MAX_PAGES = 1_000


def read_all(
    transport: Transport, path: str, per_page: int, params: Mapping[str, Any] | None = None
) -> list[Mapping[str, Any]]:
    """Every item of the listing at ``path``; pages followed by ``total_pages`` (else until a
    short page)."""
    items: list[Mapping[str, Any]] = []
    total: int | None = None
    for page in range(1, MAX_PAGES + 1):
        query = {**(params or {}), "page": page, "per_page": per_page}
        body = transport.request("GET", path, params=query)
        chunk = list_result(body, "GET", path)
        items += chunk
        # The counts are the server's: checked as the apps' listing checks them, never trusted.
        total = total_count(body, total, path)
        last = count_in(result_info(body, "GET", path), "total_pages", "GET", path)
        if not chunk or (page >= last if last is not None else len(chunk) < per_page):
            break
    else:
        raise TransportError(
            "GET", path, status=200, detail=f"the listing went on for more than {MAX_PAGES} pages"
        )
    if total is not None and len(items) != total:
        raise TransportError(
            "GET",
            path,
            status=200,
            detail=f"listing incomplete: {len(items)} of {total} came back",
            hint="it changed while it was read; re-run",
        )
    return items
