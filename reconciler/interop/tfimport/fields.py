"""Pure: the Spectrum app fields both provider versions share, and what counts as unset.

In: an instance's ``values`` as the state holds them. Out: the fields that need no reshaping in
either schema (``common``) and a mapping without the empty values SDKv2 writes for unset fields
(``present``). ``FIELDS`` and ``SERVER_SET`` name every attribute that is carried over or that the
server sets; anything else in the state is reported as not carried over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SERVER_SET = frozenset({"id", "zone_id", "created_on", "modified_on", "timeouts"})
FIELDS = frozenset(
    {
        "protocol",
        "dns",
        "origin_direct",
        "origin_dns",
        "origin_port",
        "origin_port_range",
        "edge_ips",
        "edge_ip_connectivity",
        "tls",
        "proxy_protocol",
        "traffic_type",
        "ip_firewall",
        "argo_smart_routing",
        "virtual_network_id",
    }
)


def common(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields v4 and v5 spell alike, in the API's names (the flags only when set)."""
    names = ("protocol", "origin_direct", "tls", "proxy_protocol", "traffic_type")
    config: dict[str, Any] = {name: values.get(name) for name in names}
    for flag in ("ip_firewall", "argo_smart_routing"):
        if isinstance(values.get(flag), bool):
            config[flag] = values[flag]
    return config


def present(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Without the empty values SDKv2 writes for unset fields (``""``, ``0``, ``[]``, null)."""
    return {name: value for name, value in mapping.items() if not _unset(value)}


def _unset(value: Any) -> bool:
    if isinstance(value, bool):
        return False  # false is a value (and equals 0 in Python)
    return value is None or value in ("", 0, [], {})
