"""The only package that speaks HTTP to the Cloudflare v4 API.

In: a token, a base URL and (for tests and the sandbox) an httpx transport. Out: ``LiveZone``
values for reads, created/updated app objects for writes, and ``ApiError``s for every failure.

Three promises, each learnt from a tool that broke it:
- reads are complete or they fail: a listing that cannot be finished raises, it never returns
  fewer apps (which a planner would turn into deletions);
- only what is safe to repeat is repeated: GET, PUT and DELETE retry on 429, 5xx and broken
  connections; a POST whose outcome is unknown is settled by reading the zone before any retry,
  and so is a DELETE still answered with an error after its retries (it may have committed);
- the token never leaves: it is held by ``Token`` (whose repr hides it) and sent only in the
  Authorization header, which no log line prints.

The modules, from the wire up:
- ``envelope``: a response's v4 envelope, or the ``ApiError`` its status and codes map to;
- ``retries``: which failures may be repeated, after how long, and which never help;
- ``transport``: the token, the base-URL check, pacing and the retry loop — one request in,
  one envelope out;
- ``listing``: a zone's apps, read page by page, complete or not at all;
- ``settling``: an unclear create or delete, settled by looking for the app in the zone;
- ``analytics``: a zone's Spectrum traffic by app (a window, the last minute), or unknown;
- ``client``: the Spectrum calls (zones, app reads and writes) built on those.
"""

from reconciler.live.cloudflare.client import CloudflareClient, ZoneRef
from reconciler.live.cloudflare.listing import PAGE_SIZE
from reconciler.live.cloudflare.transport import (
    DEFAULT_BASE_URL,
    RequestObserver,
    RetryPolicy,
    Token,
    check_base_url,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "PAGE_SIZE",
    "CloudflareClient",
    "RequestObserver",
    "RetryPolicy",
    "Token",
    "ZoneRef",
    "check_base_url",
]
