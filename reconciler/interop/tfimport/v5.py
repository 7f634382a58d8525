"""Pure: a Spectrum app as provider v5 keeps it in state -> the app in API field names.

v5 is the Plugin Framework, schema version 500 (0 and 1 in early and middle 5.x releases): the
blocks ``dns``, ``origin_dns`` and ``edge_ips`` are objects, and ``origin_port`` is a dynamic
value (an int or ``"start-end"``, wrapped by Terraform as ``{"value": …, "type": …}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.interop.tfimport.fields import common, present


def v5_config(values: Mapping[str, Any]) -> dict[str, Any]:
    """The app config of a v5 instance's ``values``, without the fields it leaves unset."""
    config = common(values)
    for name in ("dns", "origin_dns", "edge_ips"):
        config[name] = present(dict(values.get(name) or {}))
    port = values.get("origin_port")
    if isinstance(port, Mapping):  # a dynamic attribute: {"value": 22, "type": "number"}
        port = port.get("value")
    config["origin_port"] = port
    config["virtual_network_id"] = values.get("virtual_network_id")
    return present(config)
