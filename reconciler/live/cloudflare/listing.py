"""I/O: every app of a zone, read page by page through the transport, complete or not at all.

In: a ``Transport`` and a zone id. Out: the zone's ``LiveApp``s, each exactly once, or a
``TransportError``: a listing that cannot be finished raises, it never returns fewer apps (which
a planner would turn into deletions). Pages are followed by ``total_pages``, else
``total_count``, else until a short page; a server that ignores ``page`` is caught, and a
listing that moves while it is read is read again from the start.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler.errors import MalformedAnswerError, TransportError
from reconciler.live.cloudflare.envelope import count_in, list_result, result_info, total_count
from reconciler.live.cloudflare.transport import Transport
from reconciler.model import LiveApp

log = logging.getLogger("reconciler.live.cloudflare")

PAGE_SIZE = 100
MAX_PAGES = 10_000  # a million apps in one zone: past this, the API is not paginating honestly
READ_ATTEMPTS = 3  # readings of a zone that shifted while it was read, before the read fails


class _Shifted(Exception):
    """A listing that changed while it was read (or does not add up): read it again."""


def _check_page(path: str, page: int, count: int, new: int, totals: set[int]) -> None:
    """Refuse a page that repeats earlier ones; notice a listing that moved between pages."""
    if len(totals) > 1:
        low, high = min(totals), max(totals)
        raise _Shifted(f"total_count moved between pages ({low} and {high}): the zone changed")
    if count and not new:
        raise TransportError(
            "GET",
            path,
            status=200,
            detail=f"page {page} held only apps already seen on earlier pages",
            hint="the API does not seem to honour 'page'; check the base URL, then re-run",
        )


_OBJECTS = ("dns", "edge_ips", "origin_dns")  # fields the API documents as objects


def _check_shape(path: str, app_id: str, item: Mapping[str, Any]) -> None:
    """An app whose identity cannot be read would be planned as undeclared, so deleted; one
    whose object fields are not objects cannot be normalized. Either fails the read (which is
    tried again) with a located error, never a crash or a delete."""
    dns = item.get("dns")
    name = dns.get("name") if isinstance(dns, dict) else None
    wrong = [
        *(f"{f} {_shown(item[f])}, not an object" for f in _OBJECTS
          if item.get(f) is not None and not isinstance(item[f], dict)),
        *(f"{what} {_shown(value)}, not a string"
          for what, value in (("dns.name", name), ("protocol", item.get("protocol")))
          if not isinstance(value, str) or not value.strip()),
    ]  # fmt: skip
    if wrong:
        raise MalformedAnswerError(
            "GET",
            path,
            status=200,
            detail=f"the API answered an unexpected shape: app {app_id} has {wrong[0]}",
        )


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_apps(transport: Transport, zone_id: str) -> tuple[LiveApp, ...]:
    """Every app of a zone, each exactly once; raises rather than return a partial list.

    A listing that shifts while it is read (an app created or deleted between two pages
    moves another across the page boundary) is read again from the start, a few times;
    one that still does not add up fails the read.
    """
    path = f"/zones/{zone_id}/spectrum/apps"
    for attempt in range(1, READ_ATTEMPTS + 1):
        try:
            return _read_listing(transport, path)
        except MalformedAnswerError as malformed:  # a read is safe to repeat
            if attempt == READ_ATTEMPTS:
                raise
            log.info("read: %s answered malformed (%s); reading it again", path, malformed)
        except _Shifted as shifted:
            if attempt == READ_ATTEMPTS:
                raise TransportError(
                    "GET",
                    path,
                    status=200,
                    detail=str(shifted),
                    hint="the zone changed while it was read, or pages went missing; re-run",
                ) from None
            log.info("read: %s %s; reading it again", path, shifted)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _read_listing(transport: Transport, path: str) -> tuple[LiveApp, ...]:
    apps: dict[str, LiveApp] = {}
    totals: set[int] = set()
    for page, body in enumerate(_pages(transport, path, apps, totals), start=1):
        new = 0
        items = list_result(body, "GET", path)
        for item in items:
            app_id = str(item.get("id", ""))
            if not app_id:
                raise TransportError("GET", path, status=200, detail="an app without an id")
            _check_shape(path, app_id, item)
            new += app_id not in apps
            apps[app_id] = LiveApp(app_id, item)
        _check_page(path, page, len(items), new, totals)
    expected = next(iter(totals), None)
    if expected is not None and len(apps) != expected:
        raise _Shifted(f"listing incomplete: {len(apps)} of {expected} apps came back")
    return tuple(apps.values())


def _pages(
    transport: Transport, path: str, seen: Mapping[str, LiveApp], totals: set[int]
) -> Iterator[Mapping[str, Any]]:
    """Pages until the listing is complete: ``total_pages`` when the API sends it, else
    ``total_count`` apps seen, else a short page; never more than ``MAX_PAGES``."""
    page = 1
    while True:
        body = transport.request("GET", path, params={"page": page, "per_page": PAGE_SIZE})
        total = total_count(body, None, path)
        if total is not None:
            totals.add(total)
        info = result_info(body, "GET", path)
        total_pages = count_in(info, "total_pages", "GET", path)
        per_page = count_in(info, "per_page", "GET", path, least=1) or PAGE_SIZE
        yield body
        count = len(body.get("result") or [])
        if total_pages is not None:
            if page >= total_pages:
                return
        elif total is not None:
            if len(seen) >= total:
                return
        elif count < per_page:
            return
        if count == 0:
            return
        if page >= MAX_PAGES:
            raise TransportError(
                "GET",
                path,
                status=200,
                detail=f"the listing went on for more than {MAX_PAGES} pages",
                hint="the API kept sending pages; check the base URL, then re-run",
            )
        page += 1
