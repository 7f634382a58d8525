"""Pure: Terraform state (Cloudflare provider v4 or v5) -> desired-state documents, removed blocks.

In: the parsed JSON of ``terraform show -json`` (``values.root_module`` and its child modules) or
of a raw ``.tfstate`` (format version 4). Out: a ``TerraformImport`` — per zone the apps in the
API's own field names (``export`` turns them into the desired-state file), the ``removed`` blocks
that make Terraform forget the apps without destroying them, and notes on anything not carried
over, each with the resource address Terraform prints.

How the provider spells an app in state (its own schemas, see the README's "Migrating from
Terraform"):

* v4 (SDKv2, schema version 0): ``dns``, ``origin_dns``, ``edge_ips`` and ``origin_port_range``
  are single-item lists; unset numbers are ``0`` and unset strings ``""``. Releases before 4.0
  kept ``edge_ips`` as a list of static addresses beside ``edge_ip_connectivity``.
* v5 (Plugin Framework, schema version 500; 0 and 1 in early and middle 5.x releases): the same
  blocks are objects, and ``origin_port`` is a dynamic value (an int or ``"start-end"``, wrapped
  by Terraform as ``{"value": …, "type": …}``).

Schema versions 0 and 1 are read by shape (a list is v4, an object is v5), as the provider's own
state upgrader does; any other version is refused, as is a value marked sensitive that the state
does not hold.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.errors import TerraformStateError
from reconciler.model import AppKey
from reconciler.planning.normalize import app_key

SPECTRUM = "cloudflare_spectrum_application"
KNOWN_SCHEMA_VERSIONS = (0, 1, 500)
_SERVER_SET = frozenset({"id", "zone_id", "created_on", "modified_on", "timeouts"})
_FIELDS = frozenset(
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
# What tools put in place of a value they will not show.
_REDACTED = re.compile(r"\(?\s*sensitive(\s+value)?\s*\)?|<sensitive>|\*+|redacted", re.I)
_NOT_WRITTEN = "not as Terraform writes a state; give the file Terraform wrote, unedited"
_ZONE_ID = re.compile(r"[0-9a-fA-F]{32}")
_ZONE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


@dataclass(frozen=True)
class Instance:
    """One resource instance of the state, as Terraform addresses it."""

    address: str  # module.x["k"].cloudflare_spectrum_application.y[0]
    resource: str  # the same without instance keys: what a removed block names
    type: str
    mode: str
    schema_version: int | None
    values: Mapping[str, Any]
    sensitive: tuple[tuple[Any, ...], ...] = ()
    deposed: bool = False


@dataclass(frozen=True)
class Note:
    """Something of the state not carried over into the desired-state files."""

    address: str
    message: str

    def __str__(self) -> str:
        return f"{self.address}: {self.message}"


@dataclass(frozen=True)
class ImportedApp:
    address: str
    config: Mapping[str, Any]


@dataclass(frozen=True)
class ImportedZone:
    zone_id: str
    name: str | None
    apps: tuple[ImportedApp, ...]

    @property
    def file_name(self) -> str:
        return f"{self.name or self.zone_id}.yaml"

    @property
    def header(self) -> dict[str, str]:
        """The zone keys of its file: the id always (no lookup needed), the name when known."""
        return (
            {"zone": self.name, "zone_id": self.zone_id} if self.name else {"zone_id": self.zone_id}
        )


@dataclass(frozen=True)
class TerraformImport:
    zones: tuple[ImportedZone, ...]
    removed: tuple[tuple[str, tuple[str, ...]], ...]  # (resource, its instance addresses)
    notes: tuple[Note, ...] = field(default=())

    @property
    def app_count(self) -> int:
        return sum(len(zone.apps) for zone in self.zones)


def import_state(document: Any) -> TerraformImport:
    """Every Spectrum app of a Terraform state, by zone, with removed blocks and notes."""
    instances = list(state_instances(document))
    spectrum = [i for i in instances if i.type == SPECTRUM and i.mode == "managed"]
    if not spectrum:
        raise TerraformStateError(
            f"the state holds no {SPECTRUM} resources — nothing to import"
            " (run it on the state of the configuration that manages your Spectrum apps)"
        )
    names = zone_names(instances)
    notes: list[Note] = []
    by_zone: dict[str, list[ImportedApp]] = {}
    for instance in spectrum:
        zone_id, config, found = decode_instance(instance)
        notes += found
        by_zone.setdefault(zone_id, []).append(ImportedApp(instance.address, config))
    zones = tuple(
        _zone(zone_id, names.get(zone_id), apps) for zone_id, apps in sorted(by_zone.items())
    )
    zones = _one_file_per_name(zones, notes)
    for zone in zones:
        if zone.zone_id not in names:  # (a shared name has its own note)
            notes.append(
                Note(
                    f"zone {zone.zone_id}",
                    "its name is not in the state: the file declares zone_id only",
                )
            )
    _refuse_duplicates(zones)
    return TerraformImport(zones, _removed(spectrum), tuple(notes))


def _one_file_per_name(
    zones: tuple[ImportedZone, ...], notes: list[Note]
) -> tuple[ImportedZone, ...]:
    """Zones the state gives one name (a zone deleted and added again) would share a file, and
    one would overwrite the other: such zones are written by id, without the name."""
    ids: dict[str, list[str]] = {}
    for zone in zones:
        if zone.name:
            ids.setdefault(zone.name, []).append(zone.zone_id)
    shared = {name for name, found in ids.items() if len(found) > 1}
    for name in sorted(shared):
        notes.append(
            Note(
                f"zone {name}",
                f"the state gives this name to zones {', '.join(ids[name])}: each file"
                " declares its zone_id only",
            )
        )
    return tuple(
        ImportedZone(zone.zone_id, None, zone.apps) if zone.name in shared else zone
        for zone in zones
    )


def _zone(zone_id: str, name: str | None, apps: list[ImportedApp]) -> ImportedZone:
    return ImportedZone(zone_id, name, tuple(sorted(apps, key=lambda a: app_key("", a.config))))


def _refuse_duplicates(zones: Sequence[ImportedZone]) -> None:
    for zone in zones:
        seen: dict[AppKey, str] = {}
        for app in zone.apps:
            key = app_key(zone.zone_id, app.config)
            if key in seen:
                raise TerraformStateError(
                    f"{seen[key]} and {app.address} are the same app ({key}) — keep one in"
                    " Terraform (terraform state rm the other) and import again"
                )
            seen[key] = app.address


def _removed(spectrum: Sequence[Instance]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    grouped: dict[str, list[str]] = {}
    for instance in spectrum:
        grouped.setdefault(instance.resource, []).append(instance.address)
    return tuple((resource, tuple(sorted(found))) for resource, found in sorted(grouped.items()))


# ---- reading the two state formats ----------------------------------------------------------


def state_instances(document: Any) -> Iterator[Instance]:
    """Every resource instance of ``terraform show -json`` output or a raw ``.tfstate``."""
    if not isinstance(document, Mapping):
        raise TerraformStateError("not a Terraform state: the JSON is not an object")
    if "encrypted_data" in document:
        raise TerraformStateError(
            "the state is encrypted — decrypt it first (terraform show -json > state.json)"
        )
    if "resources" in document and "version" in document:
        yield from _tfstate_instances(document)
    elif "format_version" in document:
        values = _object(document.get("values"), "values")
        yield from _show_json_instances(_object(values.get("root_module"), "values.root_module"))
    else:
        raise TerraformStateError(
            "not a Terraform state: expected `terraform show -json` output or a .tfstate file"
        )


def _tfstate_instances(document: Mapping[str, Any]) -> Iterator[Instance]:
    if document.get("version") != 4:
        raise TerraformStateError(
            f"state format version {document.get('version')!r} is not supported — Terraform"
            " 0.12 and later write version 4; run `terraform show -json` and import that"
        )
    for resource in _objects(document.get("resources"), "resources"):
        module = resource.get("module") or ""
        if not isinstance(module, str):
            raise TerraformStateError(
                f"a resource's module {module!r} is not an address — {_NOT_WRITTEN}"
            )
        mode = resource.get("mode", "managed")
        base = (
            "data." if mode == "data" else ""
        ) + f"{resource.get('type')}.{resource.get('name')}"
        for instance in _objects(resource.get("instances"), f"{_join(module, base)}: instances"):
            key = instance.get("index_key")
            address = _join(module, base + ("" if key is None else instance_key(key)))
            yield Instance(
                address=address,
                resource=_join(strip_keys(module), base),
                type=str(resource.get("type")),
                mode=mode,
                schema_version=instance.get("schema_version"),
                values=_object(instance.get("attributes"), f"{address}: attributes"),
                sensitive=tuple(
                    _tfstate_path(_objects(p, f"{address}: sensitive_attributes"))
                    for p in _list(
                        instance.get("sensitive_attributes"), f"{address}: sensitive_attributes"
                    )
                ),
                deposed=bool(instance.get("deposed")),
            )


def _tfstate_path(steps: Sequence[Mapping[str, Any]]) -> tuple[Any, ...]:
    """``[{"type": "get_attr", "value": "dns"}, {"type": "index", "value": {"value": 0}}]``."""
    path = []
    for step in steps:
        value = step.get("value")
        path.append(value.get("value") if isinstance(value, Mapping) else value)
    return tuple(path)


def _show_json_instances(module: Mapping[str, Any]) -> Iterator[Instance]:
    where = str(module.get("address") or "root_module")
    for resource in _objects(module.get("resources"), f"{where}: resources"):
        address = str(resource.get("address"))
        yield Instance(
            address=address,
            resource=strip_keys(address),
            type=str(resource.get("type")),
            mode=str(resource.get("mode", "managed")),
            schema_version=resource.get("schema_version"),
            values=_object(resource.get("values"), f"{address}: values"),
            sensitive=tuple(_marked_paths(resource.get("sensitive_values") or {}, ())),
        )
    for child in _objects(module.get("child_modules"), f"{where}: child_modules"):
        yield from _show_json_instances(child)


def _list(value: Any, what: str) -> list[Any]:
    """A JSON array (null is an empty one), or a refusal naming where the state is malformed."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TerraformStateError(f"{what} is {_shown(value)}, not a list — {_NOT_WRITTEN}")
    return value


def _objects(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A JSON array of objects (null is an empty one), or a refusal naming where."""
    items = _list(value, what)
    for item in items:
        if not isinstance(item, Mapping):
            raise TerraformStateError(
                f"{what} holds {_shown(item)}, not an object — {_NOT_WRITTEN}"
            )
    return items


def _object(value: Any, what: str) -> Mapping[str, Any]:
    """A JSON object (null is an empty one), or a refusal naming where."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TerraformStateError(f"{what} is {_shown(value)}, not an object — {_NOT_WRITTEN}")
    return value


def _shown(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _marked_paths(marks: Any, path: tuple[Any, ...]) -> Iterator[tuple[Any, ...]]:
    """The paths ``sensitive_values`` marks ``true`` (it mirrors the shape of ``values``)."""
    if marks is True:
        yield path
    elif isinstance(marks, Mapping):
        for name, inner in marks.items():
            yield from _marked_paths(inner, (*path, name))
    elif isinstance(marks, list):
        for index, inner in enumerate(marks):
            yield from _marked_paths(inner, (*path, index))


def _join(module: str, rest: str) -> str:
    return f"{module}.{rest}" if module else rest


def instance_key(key: int | str) -> str:
    """``[0]`` or ``["k"]``, quoted as Terraform prints an instance key."""
    if isinstance(key, int) and not isinstance(key, bool):
        return f"[{key}]"
    text = json.dumps(str(key), ensure_ascii=False).replace("${", "$${").replace("%{", "%%{")
    return f"[{text}]"


def strip_keys(address: str) -> str:
    """``module.a["x"].module.b[0].t.n["k"]`` -> ``module.a.module.b.t.n`` (quotes respected)."""
    out: list[str] = []
    depth, quoted, escaped = 0, False, False
    for char in address:
        if depth:
            if quoted:
                escaped, quoted = (False, True) if escaped else (char == "\\", char != '"')
            elif char == '"':
                quoted = True
            elif char == "]":
                depth = 0
        elif char == "[":
            depth = 1
        else:
            out.append(char)
    return "".join(out)


# ---- zone names ------------------------------------------------------------------------------


def zone_names(instances: Sequence[Instance]) -> dict[str, str]:
    """Zone id -> name, from the ``cloudflare_zone`` resources and data sources of the state."""
    names: dict[str, str] = {}
    for instance in instances:
        if instance.type != "cloudflare_zone":
            continue
        values = instance.values
        zone_id = values.get("id") or values.get("zone_id")
        name = values.get("name") or values.get("zone")  # v5 and data sources; v4 resource
        if isinstance(zone_id, str) and isinstance(name, str) and _ZONE_NAME.fullmatch(name):
            names[zone_id.lower()] = name.lower()
    return names


# ---- one app ---------------------------------------------------------------------------------


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
    config = _v4_config(values) if _is_v4(values) else _v5_config(values)
    if not (config.get("dns") or {}).get("name") or not config.get("protocol"):
        raise TerraformStateError(f"{where}: the state has no dns.name or protocol for this app")
    notes = [
        Note(where, f"{name} = {json.dumps(values[name])} is not carried over (no such app field)")
        for name in sorted(values)
        if name not in _FIELDS | _SERVER_SET and values[name] not in (None, "", [], {})
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
                f"{instance.address}: {name} is {_shown(value)}, neither an object nor a list"
                f" of objects — {_NOT_WRITTEN}"
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


def _is_v4(values: Mapping[str, Any]) -> bool:
    """SDKv2 keeps blocks as lists; v5 as objects (the provider's own upgrader decides so too)."""
    return any(isinstance(values.get(name), list) for name in ("dns", "origin_dns", "edge_ips"))


def _v4_config(values: Mapping[str, Any]) -> dict[str, Any]:
    config = _common(values)
    config["dns"] = _present(_single(values.get("dns")))
    config["origin_dns"] = _present(_single(values.get("origin_dns")))
    port_range = _single(values.get("origin_port_range"))
    if port_range:
        config["origin_port"] = f"{port_range.get('start')}-{port_range.get('end')}"
    elif values.get("origin_port"):  # 0 is SDKv2's "unset"
        config["origin_port"] = values["origin_port"]
    config["edge_ips"] = _v4_edge_ips(values)
    return _present(config)


def _v4_edge_ips(values: Mapping[str, Any]) -> dict[str, Any]:
    edge = values.get("edge_ips")
    if edge and all(isinstance(ip, str) for ip in edge):  # before 4.0: the static addresses
        return {"type": "static", "ips": list(edge)}
    if not edge and values.get("edge_ip_connectivity"):
        return {"type": "dynamic", "connectivity": values["edge_ip_connectivity"]}
    return _present(_single(edge))


def _v5_config(values: Mapping[str, Any]) -> dict[str, Any]:
    config = _common(values)
    for name in ("dns", "origin_dns", "edge_ips"):
        config[name] = _present(dict(values.get(name) or {}))
    port = values.get("origin_port")
    if isinstance(port, Mapping):  # a dynamic attribute: {"value": 22, "type": "number"}
        port = port.get("value")
    config["origin_port"] = port
    config["virtual_network_id"] = values.get("virtual_network_id")
    return _present(config)


def _common(values: Mapping[str, Any]) -> dict[str, Any]:
    names = ("protocol", "origin_direct", "tls", "proxy_protocol", "traffic_type")
    config: dict[str, Any] = {name: values.get(name) for name in names}
    for flag in ("ip_firewall", "argo_smart_routing"):
        if isinstance(values.get(flag), bool):
            config[flag] = values[flag]
    return config


def _single(value: Any) -> dict[str, Any]:
    """The one item of an SDKv2 single-item list block, or an empty dict."""
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return dict(value[0])
    return {}


def _present(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """Without the empty values SDKv2 writes for unset fields (``""``, ``0``, ``[]``, null)."""
    return {name: value for name, value in mapping.items() if not _unset(value)}


def _unset(value: Any) -> bool:
    if isinstance(value, bool):
        return False  # false is a value (and equals 0 in Python)
    return value is None or value in ("", 0, [], {})


def removed_blocks(result: TerraformImport, files: Sequence[str]) -> str:
    """``removed.tf``: one block per resource, so terraform apply forgets without destroying."""
    lines = [
        "# Written by spectrum-reconciler import-terraform. These Spectrum apps are now managed",
        f"# in {', '.join(files)}. Needs Terraform >= 1.7. Delete the resource blocks named",
        "# below from your configuration, keep this file beside it, then terraform plan shows",
        '# each instance as "will no longer be managed by Terraform" and terraform apply',
        "# forgets it without destroying it. A removed block names a resource, never one",
        "# instance (Terraform refuses instance keys there), so each covers the instances",
        "# listed above it.",
    ]
    for resource, instances in result.removed:
        lines += ["", *(f"# {address}" for address in instances)]
        lines += [
            "removed {",
            f"  from = {resource}",
            "",
            "  lifecycle {",
            "    destroy = false",
            "  }",
            "}",
        ]
    return "\n".join(lines) + "\n"
