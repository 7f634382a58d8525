"""Pure: one Spectrum app instance of the state -> its zone id, app config and notes.

In: an ``Instance`` of ``cloudflare_spectrum_application``. Out: the zone id, the app in the
API's own field names (read by ``v4`` or ``v5``) and a ``Note`` for each attribute not carried
over. Schema versions 0 and 1 are read by shape (a list is v4, an object is v5), as the
provider's own state upgrader does; any other version is refused, as are a deposed object, a
block of neither shape, and a value marked sensitive that the state does not hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import TerraformStateError
from reconciler.interop.tfimport.fields import FIELDS, SERVER_SET
from reconciler.interop.tfimport.state import NOT_WRITTEN, Instance, shown
from reconciler.interop.tfimport.v4 import is_v4, v4_config
from reconciler.interop.tfimport.v5 import v5_config

KNOWN_SCHEMA_VERSIONS = (0, 1, 500)
# What tools put in place of a value they will not show.
_REDACTED = re.compile(r"\(?\s*sensitive(\s+value)?\s*\)?|<sensitive>|\*+|redacted", re.I)
_ZONE_ID = re.compile(r"[0-9a-fA-F]{32}")


@dataclass(frozen=True)
class Note:
    """Something of the state not carried over into the desired-state files."""

    address: str
    message: str

    def __str__(self) -> str:
        return f"{self.address}: {self.message}"


def decode_instance(instance: Instance) -> tuple[str, dict[str, Any], list[Note]]:
    """(zone id, app config in the API's field names, notes) of one Spectrum app instance."""
    where = instance.address
    if instance.deposed:
        raise TerraformStateError(
            f"{where}: a deposed object is waiting to be destroyed — finish the replacement"
            " with terraform apply, then import again"
        )
    if instance.schema_version not in KNOWN_SCHEMA_VERSIONS:
        raise TerraformStateError(
            f"{where}: provider schema version {instance.schema_version!r} is unknown (this"
            f" tool reads {', '.join(map(str, KNOWN_SCHEMA_VERSIONS))}) — run terraform"
            " apply -refresh-only with a supported provider, or report the version"
        )
    _refuse_hidden(instance)
    _refuse_misshapen_blocks(instance)
    values = instance.values
    zone_id = values.get("zone_id")
    if not isinstance(zone_id, str) or not _ZONE_ID.fullmatch(zone_id):
        raise TerraformStateError(f"{where}: zone_id {zone_id!r} is not a Cloudflare zone id")
    config = v4_config(values) if is_v4(values) else v5_config(values)
    if not (config.get("dns") or {}).get("name") or not config.get("protocol"):
        raise TerraformStateError(f"{where}: the state has no dns.name or protocol for this app")
    notes = [
        Note(where, f"{name} = {json.dumps(values[name])} is not carried over (no such app field)")
        for name in sorted(values)
        if name not in FIELDS | SERVER_SET and values[name] not in (None, "", [], {})
    ]
    return zone_id.lower(), config, notes


def _refuse_misshapen_blocks(instance: Instance) -> None:
    """A block is an object (v5), a list of one object (v4) or, for 3.x's ``edge_ips``, a list
    of addresses; anything else is not a state the provider wrote."""
    for name in ("dns", "origin_dns", "edge_ips", "origin_port_range"):
        value = instance.values.get(name)
        items = value if isinstance(value, list) else [value]
        legacy = name == "edge_ips" and isinstance(value, list)
        legacy = legacy and all(isinstance(item, str) for item in items)
        if not legacy and not all(item is None or isinstance(item, Mapping) for item in items):
            raise TerraformStateError(
                f"{instance.address}: {name} is {shown(value)}, neither an object nor a list"
                f" of objects — {NOT_WRITTEN}"
            )


def _refuse_hidden(instance: Instance) -> None:
    for path in instance.sensitive:
        present, value = _lookup(instance.values, path)
        if not present or (isinstance(value, str) and _REDACTED.fullmatch(value.strip())):
            dotted = ".".join(map(str, path)) or "(the whole resource)"
            raise TerraformStateError(
                f"{instance.address}: {dotted} is sensitive and the state does not hold its"
                " value — import from the state itself (terraform state pull), not a redacted copy"
            )


def _lookup(values: Any, path: tuple[Any, ...]) -> tuple[bool, Any]:
    for step in path:
        in_mapping = isinstance(values, Mapping) and step in values
        in_list = isinstance(values, list) and isinstance(step, int) and 0 <= step < len(values)
        if not (in_mapping or in_list):
            return False, None
        values = values[step]
    return True, values
