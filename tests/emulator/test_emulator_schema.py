"""Every response of the five app operations against the 2024 OpenAPI file, made strict.

The saved file allows any extra property, so each result object and ``result_info`` is closed
(``additionalProperties: false``) here; what then fails must be exactly the deliberate
deviations, where newer facts (SDK 5.9.0, the current envelope) win over the 2024 file.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from emulator_helpers import VNET, apps_url, static_app, tcp_app

SPEC = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "emulator"
    / "cloudflare-openapi-spectrum.json"
)
APPS, APP = "/zones/{zone}/spectrum/apps", "/zones/{zone}/spectrum/apps/{app_id}"

# Deliberate deviations: (JSON path of the offending key, why).
DEVIATIONS = {
    "result.origin_direct": "SDK 5.9.0 field, missing from the 2024 file",
    "result.virtual_network_id": "SDK 5.9.0 field",
    "result_info.total_pages": "the current shared envelope (common.yaml HEAD) adds it",
}


def _spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(SPEC.read_text())
    return spec


def _openapi_to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable`` becomes a JSON Schema null alternative; refs stay internal."""
    if isinstance(node, list):
        return [_openapi_to_jsonschema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _openapi_to_jsonschema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _close(spec: dict[str, Any]) -> None:
    """Forbid unknown keys in each app result and in result_info (see module docstring)."""
    schemas = spec["components"]["schemas"]
    schemas["legacy-jhs_result_info"]["additionalProperties"] = False
    result = schemas["legacy-jhs_response_single_origin_dns"]["allOf"][1]["properties"]["result"]
    result["additionalProperties"] = False


def _validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    document = _openapi_to_jsonschema({**schema, "components": spec["components"]})
    return jsonschema.Draft7Validator(document, format_checker=jsonschema.FormatChecker())


def _offending_keys(validator: jsonschema.Draft7Validator, doc: Any) -> set[str]:
    """'where.key' for every additional property; any other failure is returned verbatim."""
    found: set[str] = set()
    for error in _leaves(validator.iter_errors(doc)):
        if error.validator == "additionalProperties":
            extra = set(error.instance) - set(error.schema.get("properties", {}))
            where = ".".join(str(p) for p in error.absolute_path if not isinstance(p, int))
            found |= {f"{where}.{key}" for key in extra}
        else:
            found.add(f"{list(error.absolute_path)}: {error.message}")
    return found


def _leaves(errors: Any) -> list[Any]:
    out = []
    for error in errors:
        out.extend(_leaves(error.context) if error.context else [error])
    return out


def _response_schema(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    schema: dict[str, Any] = spec["paths"][path][method]["responses"]["200"]["content"][
        "application/json"
    ]["schema"]
    return schema


@pytest.fixture
def spec() -> dict[str, Any]:
    spec = copy.deepcopy(_spec())
    _close(spec)
    return spec


def _check(
    spec: dict[str, Any], path: str, method: str, response: httpx.Response, allowed: set[str]
) -> None:
    assert response.status_code == 200, response.text
    validator = _validator(spec, _response_schema(spec, path, method))
    assert _offending_keys(validator, response.json()) <= allowed


def test_all_five_operations_match_the_schema(
    spec: dict[str, Any], client: httpx.Client, zone_id: str
) -> None:
    body = tcp_app(
        origin_direct=None,
        origin_dns={"name": "o.example.com", "ttl": 1200, "type": ""},
        origin_port="1000-1001",
        protocol="tcp/22-23",
    )
    created = client.post(apps_url(zone_id), json=body)
    _check(spec, APPS, "post", created, set())
    app_id = created.json()["result"]["id"]
    _check(spec, APP, "get", client.get(apps_url(zone_id, app_id)), set())
    _check(spec, APP, "put", client.put(apps_url(zone_id, app_id), json=body), set())
    listed = client.get(apps_url(zone_id), params={"page": 1})
    validator = _validator(spec, _response_schema(spec, APPS, "get"))
    assert _offending_keys(validator, listed.json()) == {"result_info.total_pages"}
    _check(spec, APP, "delete", client.delete(apps_url(zone_id, app_id)), set())


def test_newer_fields_are_the_only_deviations(
    spec: dict[str, Any], client: httpx.Client, zone_id: str
) -> None:
    found: set[str] = set()
    for body in (
        tcp_app(),
        static_app(),
        tcp_app("v.example.com", virtual_network_id=VNET, origin_direct=["tcp://10.0.0.5:22"]),
    ):
        response = client.post(apps_url(zone_id), json=body)
        found |= _offending_keys(
            _validator(spec, _response_schema(spec, APPS, "post")), response.json()
        )
    listed = client.get(apps_url(zone_id), params={"page": 1, "per_page": 100})
    item_schema = _response_schema(spec, APPS, "post")
    for app in listed.json()["result"]:
        envelope = {"success": True, "errors": [], "messages": [], "result": app}
        found |= _offending_keys(_validator(spec, item_schema), envelope)
    found |= _offending_keys(_validator(spec, _response_schema(spec, APPS, "get")), listed.json())
    assert found == set(DEVIATIONS)


def test_error_envelope_matches_the_failure_schema(
    spec: dict[str, Any], client: httpx.Client, zone_id: str
) -> None:
    """The file's 4XX schema is allOf(common, failure): common wants ``success: true`` and a
    non-null ``result``, failure wants ``false`` and null, so no body satisfies it. The failure
    half alone is what Cloudflare's error bodies follow; the rest fails on those two keys only."""
    failure = {"$ref": "#/components/schemas/legacy-jhs_api-response-common-failure"}
    response = client.post(apps_url(zone_id), json=tcp_app(origin_direct=None))
    assert response.status_code == 400
    assert _offending_keys(_validator(spec, failure), response.json()) == set()
    four_xx = spec["paths"][APPS]["post"]["responses"]["4XX"]["content"]["application/json"][
        "schema"
    ]
    problems = _offending_keys(_validator(spec, four_xx), response.json())
    assert "['success']: False is not one of [True]" in problems
    assert all(p.startswith(("['success']", "['result']")) for p in problems)
