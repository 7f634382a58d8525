"""Pure: a Spectrum app as provider v4 (and 3.x) keeps it in state -> the app in API field names.

v4 is SDKv2, schema version 0: ``dns``, ``origin_dns``, ``edge_ips`` and ``origin_port_range``
are single-item lists; unset numbers are ``0`` and unset strings ``""``. Releases before 4.0
kept ``edge_ips`` as a list of static addresses beside ``edge_ip_connectivity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.interop.tfimport.fields import common, present


def is_v4(values: Mapping[str, Any]) -> bool:
    """SDKv2 keeps blocks as lists; v5 as objects (the provider's own upgrader decides so too)."""
    return any(isinstance(values.get(name), list) for name in ("dns", "origin_dns", "edge_ips"))


def v4_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """The app config of a v4 instance's ``values``, without the fields it leaves unset."""
    config = common(values)
    config["dns"] = present(_single(values.get("dns")))
    config["origin_dns"] = present(_single(values.get("origin_dns")))
    port_range = _single(values.get("origin_port_range"))
    if port_range:
        config["origin_port"] = f"{port_range.get('start')}-{port_range.get('end')}"
    elif values.get("origin_port"):  # 0 is SDKv2's "unset"
        config["origin_port"] = values["origin_port"]
    config["edge_ips"] = _v4_edge_ips(values)
    return present(config)


def _v4_edge_ips(values: Mapping[str, Any]) -> dict[str, Any]:
    edge = values.get("edge_ips")
    if edge and all(isinstance(ip, str) for ip in edge):  # before 4.0: the static addresses
        return {"type": "static", "ips": list(edge)}
    if not edge and values.get("edge_ip_connectivity"):
        return {"type": "dynamic", "connectivity": values["edge_ip_connectivity"]}
    return present(_single(edge))


def _single(value: Any) -> dict[str, Any]:
    """The one item of an SDKv2 single-item list block, or an empty dict."""
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return dict(value[0])
    return {}
