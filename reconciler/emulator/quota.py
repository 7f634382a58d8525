"""The account's IPv4 hostname quota: unique Spectrum hostnames on Cloudflare-managed IPv4.

In: the app being written and the hostnames the account's other apps hold on Cloudflare IPv4.
Out: nothing, or 12005 "The zone has allocated all available IPv4 addresses". Source:
developers.cloudflare.com/spectrum/reference/limitations/ (cloudflare-docs PR #32473,
2026-08-01): 10 unique hostnames per account across its zones; apps with dynamic edge IPs and
connectivity ``all`` or ``ipv4`` count, IPv6-only and static (BYOIP or leased) apps do not. The
limit is ``--ipv4-hostname-quota``. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import reconciler.emulator.codes as codes
from reconciler.emulator.fields import host_key, refuse


def uses_cloudflare_ipv4(app: Mapping[str, Any]) -> bool:
    """Dynamic edge IPs (the default) with connectivity ``all`` (the default) or ``ipv4``."""
    edge = app.get("edge_ips") or {"type": "dynamic"}
    return edge.get("type") == "dynamic" and edge.get("connectivity", "all") in ("all", "ipv4")


def ipv4_hostnames(apps: Iterable[Mapping[str, Any]]) -> set[str]:
    """The unique hostnames among ``apps`` that hold Cloudflare-managed IPv4."""
    return {host_key(app["dns"]["name"]) for app in apps if uses_cloudflare_ipv4(app)}


def check_quota(app: Mapping[str, Any], others: set[str], quota: int) -> None:
    """12005 when ``app`` brings the account's count past ``quota``; a hostname already
    counted costs nothing more."""
    name = host_key(app["dns"]["name"])
    if not uses_cloudflare_ipv4(app) or name in others:
        return
    if len(others) + 1 > quota:
        raise refuse(
            codes.IPV4_EXHAUSTED,
            "The zone has allocated all available IPv4 addresses "
            f"({len(others)} of {quota} hostnames of the account are in use)",
        )
