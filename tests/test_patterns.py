"""patterns: one glob matcher, and every place that asks whether a name matches agrees with it.

The places are asked through their own entries — the planner's plan (is the live app deleted?),
the guardrails' policy (is it managed? protected?) and validation (does an ignore pattern cover a
declared app?) — so a place that stops using the one matcher, or reshapes the name or pattern
before asking, fails here.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reconciler.desired import policy
from reconciler.desired.document import Document
from reconciler.desired.patterns import matches
from reconciler.desired.validate import validate_documents
from reconciler.model import DesiredState, Guardrails, LiveApp, LiveZone, ZoneSpec
from reconciler.plan import ActionKind, ZoneSnapshot
from reconciler.planning.planner import build_plan

ZONE = "example.com"
ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353"


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("legacy-*.example.com", "LEGACY-db.example.com", True),
        ("legacy-*.example.com", "db.example.com", False),
        ("*.example.com.", "a.example.com", True),
        ("a?.example.com", "ab.example.com", True),
        ("A.Example.COM", "a.example.com.", True),
        ("a.example.com", "a.example.co", False),
    ],
)
def test_patterns_match_case_insensitively_without_a_trailing_dot(
    pattern: str, name: str, expected: bool
) -> None:
    assert matches(pattern, name) is expected


# --- every place agrees --------------------------------------------------------------------

_LABEL = st.text(alphabet="abAB", min_size=1, max_size=3)
_DOT = st.sampled_from(["", "."])


@st.composite
def _names(draw: st.DrawFn) -> str:
    labels = draw(st.lists(_LABEL, min_size=1, max_size=2))
    return ".".join([*labels, ZONE]) + draw(_DOT)  # a valid hostname, so validation reads it


@st.composite
def _pattern_of(draw: st.DrawFn, name: str) -> str:
    """A glob made from ``name``: letters re-cased, some turned into ``?`` or ``*``."""
    pieces = [
        draw(st.sampled_from([char.lower(), char.upper(), "?", "*"])) for char in name.rstrip(".")
    ]
    return "".join(pieces) + draw(_DOT)


_OTHER_PATTERNS = st.text(alphabet="abAB.*?", min_size=1, max_size=12)


@st.composite
def _cases(draw: st.DrawFn) -> tuple[str, str]:
    name = draw(_names())
    pattern = draw(st.one_of(_pattern_of(name), _OTHER_PATTERNS))
    return pattern, name


def _live_app(name: str) -> LiveApp:
    config = {"dns": {"type": "CNAME", "name": name}, "protocol": "tcp/22"}
    return LiveApp("id-1", {**config, "origin_direct": ["tcp://192.0.2.1:22"]})


def _planned(pattern: str, name: str) -> tuple[bool, ZoneSnapshot]:
    """Whether the plan leaves the undeclared live app alone, and the zone as the plan saw it."""
    desired = DesiredState(zones=(ZoneSpec(ZONE, None, ignore=(pattern,)),), apps=())
    plan = build_plan(desired, [LiveZone(ZONE, ZONE_ID, (_live_app(name),))])
    kept = not any(a.kind is ActionKind.DELETE for a in plan.actions)
    return kept, plan.zones[0]


def _guardrails_ignore(snapshot: ZoneSnapshot) -> bool:
    return "id-1" not in policy.managed_app_ids(snapshot)


def _guardrails_protect(snapshot: ZoneSnapshot, pattern: str) -> bool:
    protected = dataclasses.replace(snapshot, guardrails=Guardrails(protect=(pattern,)))
    return policy.is_protected(protected, snapshot.apps["id-1"].key)


def _validation_ignore(pattern: str, name: str) -> bool:
    """Whether validation says the ignore pattern covers the one declared app."""
    app = {"dns": {"type": "CNAME", "name": name}, "protocol": "tcp/22"}
    app["origin_direct"] = ["tcp://192.0.2.1:22"]
    data = {"zone": ZONE, "ignore": [pattern], "apps": [app]}
    _state, problems = validate_documents([Document("zone.yaml", data, {}, {})])
    return any(p.message.startswith("ignore pattern ") for p in problems)


@settings(max_examples=300, deadline=None)
@given(_cases())
@example(("legacy-*.example.com.", "legacy-db.example.com"))
@example(("legacy-*.example.com", "LEGACY-db.Example.com."))
def test_every_place_that_matches_a_name_agrees(case: tuple[str, str]) -> None:
    pattern, name = case
    kept, snapshot = _planned(pattern, name)
    decisions = {
        "planner ignore": kept,
        "guardrails ignore": _guardrails_ignore(snapshot),
        "guardrails protect": _guardrails_protect(snapshot, pattern),
        "validation ignore": _validation_ignore(pattern, name),
    }
    assert decisions == dict.fromkeys(decisions, matches(pattern, name))
