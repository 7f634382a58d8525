"""fast_schema: the compiled check says "valid" only where jsonschema agrees, on every fixture
and on generated documents, so no schema error can be skipped by taking the fast path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from test_validate import FIXTURES, ROOT, documents

from reconciler.desired.fast_schema import compile_check
from reconciler.desired.loading import load_documents
from reconciler.desired.validate import desired_state_schema

SCHEMA = desired_state_schema()
REFERENCE = Draft202012Validator(SCHEMA)
CHECK = compile_check(SCHEMA)


def fixture_documents() -> list[Any]:
    docs, _ = load_documents([FIXTURES, ROOT / "examples"])
    return [doc.data for doc in docs]


def test_the_compiled_check_is_in_use() -> None:
    import jsonschema_rs  # noqa: F401 (a dependency: its absence fails, never skips)

    valid = {"zone": "example.com", "apps": []}
    assert CHECK(valid) is True
    assert CHECK({"zone": "example.com", "apps": [], "colour": "blue"}) is False


@pytest.mark.parametrize("document", fixture_documents())
def test_it_agrees_with_jsonschema_on_every_fixture(document: Any) -> None:
    assert CHECK(document) == REFERENCE.is_valid(document)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_it_never_calls_valid_what_jsonschema_refuses(document: Any) -> None:
    if CHECK(document):
        assert REFERENCE.is_valid(document), list(REFERENCE.iter_errors(document))


@pytest.mark.parametrize(
    "value",
    [2**80, "tcp/22\n", {"zone": "example.com", "apps": [{"protocol": 1.0}]}],
    ids=["huge-int", "trailing-newline", "float-protocol"],
)
def test_values_it_cannot_judge_alike_go_to_jsonschema(value: Any) -> None:
    document = {"zone": "example.com", "zone_id": value} if not isinstance(value, dict) else value
    assert not CHECK(document) or REFERENCE.is_valid(document)


@settings(max_examples=50, deadline=None)
@given(st.integers(min_value=-(2**70), max_value=2**70))
def test_any_integer_for_a_percentage_is_judged_soundly(percent: int) -> None:
    document = {"zone": "example.com", "safety": {"max_destructive_percent": percent}}
    assert CHECK(document) == REFERENCE.is_valid(document)
