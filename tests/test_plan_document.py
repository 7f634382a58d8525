"""The plan document: the plan document round-trips, validates against its schema, and refuses tampering."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.errors import PlanFileError
from reconciler.model import Location
from reconciler.plan import Plan
from reconciler.render.plan_document import plan_from_document, plan_to_document, seal
from tests.scenarios import scenario_plan

FIXTURES = Path(__file__).parent / "fixtures" / "planner"
SCHEMA = json.loads((Path(__file__).parents[1] / "schemas" / "plan.schema.json").read_text())


def mixed_plan() -> Plan:
    return scenario_plan("mixed-plan")


def text_of(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, indent=2)


def test_document_has_the_interface_shape() -> None:
    document = plan_to_document(mixed_plan())
    assert document["format_version"] == 1
    assert document["summary"] == {
        "create": 1,
        "update": 1,
        "delete": 1,
        "recreate": 1,
        "unchanged": 1,
    }
    assert [a["action"] for a in document["actions"]] == ["create", "delete", "update", "recreate"]
    (zone,) = document["live"]["zones"]
    assert zone["zone"] == "example.com" and len(zone["apps"]) == 4
    assert set(zone["apps"]["b0000000000000000000000000000001"]) == {
        "dns_name",
        "protocol",
        "modified_on",
        "config",
        "digest",
    }
    assert document["generated_by"].startswith("spectrum-reconciler ")


@pytest.mark.parametrize("make", [mixed_plan, lambda: Plan(())])
def test_every_emitted_document_validates_against_the_schema(make: Any) -> None:
    Draft202012Validator.check_schema(SCHEMA)
    Draft202012Validator(SCHEMA).validate(plan_to_document(make()))


def test_round_trip_gives_back_the_same_plan() -> None:
    plan = mixed_plan()
    text = text_of(plan_to_document(plan))
    again = plan_from_document(text, "plan.json")
    assert again == plan
    assert plan_to_document(again) == plan_to_document(plan)


def test_an_action_source_is_written_as_file_line_col_and_read_back_whole() -> None:
    where = Location("c:/zones/a:b.yaml", 12, 5)  # colons in the file name too
    plan = mixed_plan()
    plan = dataclasses.replace(plan, actions=(dataclasses.replace(plan.actions[0], source=where),))
    document = plan_to_document(plan)
    assert document["actions"][0]["source"] == "c:/zones/a:b.yaml:12:5"
    assert plan_from_document(text_of(document), "plan.json").actions[0].source == where


def test_hand_edit_is_refused_by_the_checksum() -> None:
    document = plan_to_document(mixed_plan())
    document["actions"][0]["body"]["origin_port"] = 8443
    with pytest.raises(PlanFileError, match=r"^plan\.json: checksum mismatch"):
        plan_from_document(text_of(document), "plan.json")


@pytest.mark.parametrize("cut", [1, 40, 0.5])
def test_truncated_file_is_refused(cut: float) -> None:
    text = text_of(plan_to_document(mixed_plan()))
    end = int(len(text) * cut) if isinstance(cut, float) else len(text) - cut
    with pytest.raises(PlanFileError, match="truncated"):
        plan_from_document(text[:end], "plan.json")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "truncated"),
        ("{not json}", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"format_version": 2}', "format_version 2 is not 1"),
    ],
)
def test_other_bad_files_are_refused_in_one_line(text: str, message: str) -> None:
    with pytest.raises(PlanFileError, match=message) as caught:
        plan_from_document(text, "plan.json")
    assert "\n" not in str(caught.value)
    assert str(caught.value).endswith("plan --out FILE`")


def test_schema_violation_is_refused_even_with_a_fresh_checksum() -> None:
    document = plan_to_document(mixed_plan())
    document["actions"][0]["action"] = "upsert"
    with pytest.raises(PlanFileError, match="not a valid plan document at actions/0/action"):
        plan_from_document(text_of(seal(document)), "plan.json")


def test_redacted_document_cannot_be_applied() -> None:
    document = plan_to_document(mixed_plan())
    document["redacted"] = True
    with pytest.raises(PlanFileError, match="redacted"):
        plan_from_document(text_of(seal(document)), "plan.json")


@pytest.mark.parametrize("kind", ["delete", "update", "recreate"])
def test_a_live_plan_names_the_app_of_every_delete_update_and_recreate(kind: str) -> None:
    document = plan_to_document(mixed_plan())
    index = next(i for i, a in enumerate(document["actions"]) if a["action"] == kind)
    document["actions"][index]["app_id"] = None  # only an offline review (diff) has none
    with pytest.raises(PlanFileError, match=f"not a valid plan document at actions/{index}/app_id"):
        plan_from_document(text_of(seal(document)), "plan.json")
