"""Pure: the parsed JSON of a Terraform state -> its resource instances, or a refusal.

In: ``terraform show -json`` output (``values.root_module`` and its child modules) or a raw
``.tfstate`` (format version 4), already parsed. Out: one ``Instance`` per resource instance, with
the address Terraform prints, the resource a ``removed`` block names, and the paths the state
marks sensitive. An encrypted state, another format version, or a file of the wrong shape is
refused with a ``TerraformStateError`` that says where the state is malformed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reconciler.errors import TerraformStateError

NOT_WRITTEN = "not as Terraform writes a state; give the file Terraform wrote, unedited"


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
                f"a resource's module {module!r} is not an address — {NOT_WRITTEN}"
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
        raise TerraformStateError(f"{what} is {shown(value)}, not a list — {NOT_WRITTEN}")
    return value


def _objects(value: Any, what: str) -> list[Mapping[str, Any]]:
    """A JSON array of objects (null is an empty one), or a refusal naming where."""
    items = _list(value, what)
    for item in items:
        if not isinstance(item, Mapping):
            raise TerraformStateError(f"{what} holds {shown(item)}, not an object — {NOT_WRITTEN}")
    return items


def _object(value: Any, what: str) -> Mapping[str, Any]:
    """A JSON object (null is an empty one), or a refusal naming where."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TerraformStateError(f"{what} is {shown(value)}, not an object — {NOT_WRITTEN}")
    return value


def shown(value: Any) -> str:
    """The value as JSON, cut to 40 characters: enough to recognise it in a refusal."""
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
