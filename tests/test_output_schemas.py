"""Every JSON output has a schema in ``schemas/``, and real output — made by the CLI against the
emulator over loopback HTTP — matches it.

Every object of every schema is closed (``additionalProperties: false``, or a map whose values
are typed), so a field added to an output and not to its schema fails here.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from reconciler.emulator import Emulator, serve
from reconciler.emulator.envelope import EmulatorResponse
from tests.conftest import EXAMPLES, ROOT, make_emulator
from tests.reconcile_helpers import edit_origin

SCHEMAS = ROOT / "schemas"
TOKEN = "token-for-schema-tests-0001"
OUTPUTS = {
    "plan": "plan.schema.json",
    "drift": "drift.schema.json",
    "addresses": "addresses.schema.json",
    "apply": "apply-result.schema.json",
    "reconcile": "reconcile-cycle.schema.json",
}


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())  # type: ignore[no-any-return]


REGISTRY: Registry = Registry().with_resources(  # type: ignore[type-arg]
    (schema(p.name)["$id"], Resource.from_contents(schema(p.name)))
    for p in sorted(SCHEMAS.glob("*.schema.json"))
)


def check(document: Any, name: str) -> None:
    """``document`` is valid against schema ``name`` (refs to the other schemas resolved)."""
    validator = Draft202012Validator(
        schema(name), registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(document)


class Failing:
    """Stands where serve() expects an Emulator; refuses every create of ``hostname`` with a
    Cloudflare error envelope (code 10000 would be auth: 11000 is a plain refusal)."""

    def __init__(self, emulator: Emulator, hostname: str) -> None:
        self.emulator, self.hostname = emulator, hostname

    def handle(self, method: str, path: str, query: Any, headers: Any, body: bytes) -> Any:
        if method == "POST" and path.endswith("/spectrum/apps") and self.hostname.encode() in body:
            refusal = {"code": 11000, "message": "refused for the test"}
            document = {"success": False, "errors": [refusal], "messages": [], "result": None}
            return EmulatorResponse(400, json.dumps(document).encode(), {})
        return self.emulator.handle(method, path, query, headers, body)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    copy = tmp_path / "config"
    shutil.copytree(EXAMPLES, copy)
    return copy


@pytest.fixture
def api(run_cli) -> Iterator[tuple[Emulator, Any]]:  # type: ignore[no-untyped-def]
    emulator = make_emulator()
    with serve(Failing(emulator, "never-refused.invalid")) as running:  # type: ignore[arg-type]

        def call(*args: str) -> Any:
            argv = [*args, "--base-url", running.base_url]
            return run_cli(argv, env={"CLOUDFLARE_API_TOKEN": TOKEN})

        yield emulator, call


def stdout_json(result: Any, *codes: int) -> Any:
    assert result.exit_code in codes, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    return json.loads(result.stdout)


def test_every_output_has_a_valid_2020_12_schema_with_an_id() -> None:
    for name in OUTPUTS.values():
        document = schema(name)
        Draft202012Validator.check_schema(document)
        assert document["$id"].endswith("/" + name)


def closed_or_typed_maps(node: Any) -> list[bool]:
    """For every object in a schema: whether an unknown field fails it."""
    found = []
    if isinstance(node, dict):
        if node.get("type") == "object" or node.get("type") == ["object"]:
            extra = node.get("additionalProperties", True)
            found.append(extra is False or isinstance(extra, dict))
        for key, value in node.items():
            if key != "if":
                found.extend(closed_or_typed_maps(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(closed_or_typed_maps(value))
    return found


@pytest.mark.parametrize("name", sorted(set(OUTPUTS.values()) - {"plan.schema.json"}))
def test_every_object_of_the_new_schemas_is_closed(name: str) -> None:
    verdicts = closed_or_typed_maps(schema(name))
    assert verdicts and all(verdicts)


def test_the_outputs_of_a_first_apply_and_of_drift_match_their_schemas(api, config) -> None:  # type: ignore[no-untyped-def]
    emulator, call = api
    check(stdout_json(call("plan", "--format", "json", str(config)), 0), OUTPUTS["plan"])
    applied = stdout_json(call("apply", "--auto-approve", "--format", "json", str(config)), 0)
    check(applied, OUTPUTS["apply"])
    assert applied["result"] == "complete" and applied["actions"]
    assert all(a["outcome"] == "done" and a["duration_seconds"] >= 0 for a in applied["actions"])
    assert applied["summary"]["done"] == applied["summary"]["total"] == len(applied["actions"])
    # the whole apply is timed too, over one token's part as over several
    assert applied["summary"]["started"] and applied["summary"]["duration_seconds"] >= 0

    edit_origin(emulator, "example.com", "ssh", "192.0.2.98")
    drift = stdout_json(call("drift", "--format", "json", str(config)), 2)
    check(drift, OUTPUTS["drift"])
    assert drift["has_drift"] and drift["changed"]

    check(stdout_json(call("addresses", "--format", "json", str(config)), 0), OUTPUTS["addresses"])


def test_nothing_to_apply_is_a_result_document_too(api, config) -> None:  # type: ignore[no-untyped-def]
    _emulator, call = api
    call("apply", "--auto-approve", str(config))
    again = stdout_json(call("apply", "--auto-approve", "--format", "json", str(config)), 0)
    check(again, OUTPUTS["apply"])
    assert again["result"] == "no-changes" and again["actions"] == []


def apply_refused_for(run_cli, config: Path, refused: str):  # type: ignore[no-untyped-def]
    """``apply --format json`` of example.com against an emulator refusing writes to ``refused``."""
    with serve(Failing(make_emulator(), refused)) as running:  # type: ignore[arg-type]
        return run_cli(
            ["apply", "--auto-approve", "--format", "json", str(config / "example.com"),
             "--base-url", running.base_url],
            env={"CLOUDFLARE_API_TOKEN": TOKEN},
        )  # fmt: skip


def test_a_failed_action_carries_cloudflares_codes(run_cli, config) -> None:  # type: ignore[no-untyped-def]
    result = apply_refused_for(run_cli, config, "git.example.com")
    applied = stdout_json(result, 4)
    check(applied, OUTPUTS["apply"])
    failed = [a for a in applied["actions"] if a["outcome"] == "failed"]
    assert [a["key"]["dns_name"] for a in failed] == ["git.example.com"]
    assert failed[0]["codes"] == [11000] and "refused for the test" in failed[0]["detail"]
    assert applied["result"] == "incomplete" and applied["summary"]["exit_code"] == 4


def test_every_create_refused_is_nothing_written_not_incomplete(run_cli, config) -> None:  # type: ignore[no-untyped-def]
    result = apply_refused_for(run_cli, config, "example.com")
    applied = stdout_json(result, 1)
    check(applied, OUTPUTS["apply"])
    assert applied["result"] == "nothing-written" and applied["summary"]["exit_code"] == 1
    assert applied["summary"]["failed"] >= 1 and applied["summary"]["done"] == 0
    assert result.stderr.strip().splitlines()[-1].startswith("error: nothing was written")


def test_held_and_observed_actions_are_listed_with_the_refusal(api, config) -> None:  # type: ignore[no-untyped-def]
    emulator, call = api
    net = config / "example.net" / "apps.yaml"
    watched = net.read_text()
    net.write_text(watched + "\nmode: observe\n")
    applied = stdout_json(call("apply", "--auto-approve", "--format", "json", str(config)), 0)
    check(applied, OUTPUTS["apply"])
    assert {a["outcome"] for a in applied["actions"]} == {"done", "observed"}
    assert applied["summary"]["observed"] == 3 and applied["result"] == "complete"

    net.write_text(watched)
    com = config / "example.com" / "byoip.yaml"
    com.write_text(com.read_text() + '\nfreeze: {until: "2999-01-01T00:00:00Z", reason: test}\n')
    edit_origin(emulator, "example.com", "ssh", "192.0.2.98")
    applied = stdout_json(call("apply", "--auto-approve", "--format", "json", str(config)), 3)
    check(applied, OUTPUTS["apply"])
    assert {a["outcome"] for a in applied["actions"]} == {"done", "held"}
    assert applied["result"] == "held" and applied["refusals"][0]["zone"] == "example.com"


def test_the_reconcile_cycle_line_matches_its_schema(api, config) -> None:  # type: ignore[no-untyped-def]
    _emulator, call = api
    result = call("reconcile", "--once", "--self-heal", "--log-format", "json", str(config))
    (line,) = result.stdout.splitlines()
    record = json.loads(line)
    check(record, OUTPUTS["reconcile"])
    assert record["applied"] and record["outcome"] == "healed"


@pytest.mark.parametrize("name", sorted(OUTPUTS.values()))
def test_a_field_the_schema_does_not_know_fails_it(name: str, api, config) -> None:  # type: ignore[no-untyped-def]
    """The closed schemas are what make the other tests catch an undocumented new field."""
    _emulator, call = api
    made = {
        "plan.schema.json": ("plan", "--format", "json"),
        "drift.schema.json": ("drift", "--format", "json"),
        "addresses.schema.json": ("addresses", "--format", "json"),
        "apply-result.schema.json": ("apply", "--auto-approve", "--format", "json"),
        "reconcile-cycle.schema.json": ("reconcile", "--once", "--log-format", "json"),
    }[name]
    result = call(*made, str(config))
    document = json.loads(result.stdout.splitlines()[0] if "reconcile" in made else result.stdout)
    check(document, name)
    with pytest.raises(jsonschema.ValidationError, match="unexpected"):
        check({**document, "a_new_field": 1}, name)
