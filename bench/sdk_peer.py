"""The peer of a ``plan``'s reads: Cloudflare's official Python SDK reading the same zones.

``python -m bench.sdk_peer BASE_URL THREADS ZONE...``: for each zone, look it up by name and
list every Spectrum app (the SDK's own auto-pagination, default page size), sequentially
(THREADS=1) or on a thread pool; prints the number of apps read. The token comes from
``CLOUDFLARE_API_TOKEN``. Needs the ``bench`` extra (``cloudflare``).
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor


def main(argv: list[str]) -> int:
    from cloudflare import Cloudflare

    base_url, threads, zones = argv[0], int(argv[1]), argv[2:]
    client = Cloudflare(base_url=base_url, max_retries=2)  # token: CLOUDFLARE_API_TOKEN

    def read(name: str) -> int:
        (zone,) = list(client.zones.list(name=name))
        return sum(1 for _ in client.spectrum.apps.list(zone_id=zone.id))

    with ThreadPoolExecutor(max_workers=threads) as pool:
        apps = sum(pool.map(read, zones))
    print(apps)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
