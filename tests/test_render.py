"""render: symbols, warnings, colour only when asked, the sticky-comment marker, redaction."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from reconciler import render
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind, FieldChange, Plan
from reconciler.planning.planner import Drift, classify_drift
from reconciler.render.plan_document import plan_from_document, plan_to_document
from tests.scenarios import scenario_plan

FIXTURES = Path(__file__).parent / "fixtures" / "planner"
ANSI = re.compile(r"\x1b\[")
# Every origin of an app the mixed-plan fixture changes (its unchanged app never shows).
ORIGINS = ["192.0.2.1", "2001:db8::beef", "192.0.2.80", "192.0.2.99", "secret-origin"]


def mixed_plan() -> Plan:
    return scenario_plan("mixed-plan")


def text(plan: Plan, *, color: bool = False, redact: bool = False) -> str:
    out = io.StringIO()
    render.render_text(plan, out, color=color, redact_origins=redact)
    return out.getvalue()


def markdown(plan: Plan, *, redact: bool = False) -> str:
    out = io.StringIO()
    render.render_markdown(plan, out, redact_origins=redact)
    return out.getvalue()


def as_json(plan: Plan, *, redact: bool = False) -> str:
    out = io.StringIO()
    render.render_json(plan, out, redact_origins=redact)
    return out.getvalue()


def drift_outputs(drift: Drift, *, redact: bool) -> list[str]:
    outputs = []
    for fn, kwargs in [
        (render.render_drift_text, {"color": False}),
        (render.render_drift_markdown, {}),
        (render.render_drift_json, {}),
    ]:
        out = io.StringIO()
        fn(drift, out, redact_origins=redact, **kwargs)  # type: ignore[operator]
        outputs.append(out.getvalue())
    return outputs


def test_text_uses_terraform_symbols_and_field_changes() -> None:
    lines = text(mixed_plan()).splitlines()
    heads = [line for line in lines if not line.startswith(" " * 6) and line]
    assert [h.split()[0] for h in heads[:4]] == ["+", "-", "~", "-/+"]
    assert '      tls: "full" -> "off"' in lines
    assert '      dns.type: "CNAME" -> "ADDRESS"' in lines


def test_text_warns_that_a_recreate_drops_traffic() -> None:
    output = text(mixed_plan())
    assert "traffic for www.example.com on tcp/80 drops while this runs" in output
    assert "! dns.type CNAME -> ADDRESS (non-BYOIP to BYOIP) cannot change in place" in output


def test_text_summary_lines() -> None:
    assert (
        text(mixed_plan()).splitlines()[-1]
        == "Plan: 1 to create, 1 to update, 1 to delete, 1 to recreate, 1 unchanged."
    )
    assert text(Plan((), unchanged=5)).startswith("No changes.")


def test_colour_only_when_asked() -> None:
    assert not ANSI.search(text(mixed_plan(), color=False))
    assert ANSI.search(text(mixed_plan(), color=True))
    drift = classify_drift(mixed_plan())
    assert not any(ANSI.search(o) for o in drift_outputs(drift, redact=False))


def test_markdown_starts_with_the_sticky_marker_and_flags_risk() -> None:
    output = markdown(mixed_plan())
    assert output.splitlines()[0] == "<!-- spectrum-reconciler:plan -->"
    rows = [
        line for line in output.splitlines() if line.startswith("| ") and "example.com |" in line
    ]
    flagged = {row.split("`")[3] for row in rows if "⚠️" in row}
    assert flagged == {"old.example.com tcp/21", "www.example.com tcp/80"}
    assert output.count("<details>") == 4 and output.count("</details>") == 4
    assert '| `tls` | `"full"` | `"off"` |' in output


def test_markdown_flags_a_change_to_static_edge_ips() -> None:
    static = {
        "dns": {"name": "a.example.com", "type": "ADDRESS"},
        "protocol": "tcp/1",
        "edge_ips": {"type": "static", "ips": ["198.51.100.1"]},
    }
    moved = {**static, "edge_ips": {"type": "static", "ips": ["198.51.100.2"]}}
    change = FieldChange("edge_ips.ips", ["198.51.100.1"], ["198.51.100.2"])
    action = Action(
        ActionKind.UPDATE,
        AppKey.of("example.com", "a.example.com", "tcp/1"),
        "z",
        "id",
        static,
        moved,
        moved,
        (change,),
    )
    assert "| ⚠️ |" in markdown(Plan((action,)))


def test_json_is_the_plan_document() -> None:
    plan = mixed_plan()
    assert json.loads(as_json(plan)) == plan_to_document(plan)
    assert plan_from_document(as_json(plan), "out.json") == plan


@pytest.mark.parametrize("origin", ORIGINS)
def test_redaction_leaves_no_origin_in_any_output(origin: str) -> None:
    plan = mixed_plan()
    unredacted = text(plan) + markdown(plan) + as_json(plan)
    assert origin in unredacted  # the test would catch a leak: the origin is there to leak
    outputs = [text(plan, redact=True), markdown(plan, redact=True), as_json(plan, redact=True)]
    outputs += drift_outputs(classify_drift(plan), redact=True)
    for output in outputs:
        assert origin not in output
        assert "origin-" in output


def test_redaction_is_stable_and_marks_the_json() -> None:
    plan = mixed_plan()
    assert text(plan, redact=True) == text(plan, redact=True)
    document: dict[str, Any] = json.loads(as_json(plan, redact=True))
    assert document["redacted"] is True
    assert re.fullmatch(
        r"origin-[0-9a-f]{12}", document["actions"][0]["body"]["origin_dns"]["name"]
    )


def test_drift_renderers() -> None:
    drift = classify_drift(mixed_plan())
    plain, md, js = drift_outputs(drift, redact=False)
    assert plain.splitlines()[-1] == "Drift: 2 changed outside git, 1 not declared, 1 missing."
    assert md.splitlines()[0] == "<!-- spectrum-reconciler:drift -->"
    document = json.loads(js)
    assert document["has_drift"] is True
    assert [a["key"]["dns_name"] for a in document["unmanaged"]] == ["old.example.com"]
    assert drift_outputs(Drift(), redact=False)[0].strip() == "No drift. Live state matches git."


class TestRedactionKey:
    """Tokens are keyed (HMAC-SHA256): without the key, a token cannot be matched to an origin
    by hashing candidates (a /16 of addresses at a known port takes well under a second)."""

    ORIGIN = "tcp://192.0.2.1:22"

    @staticmethod
    def token(monkeypatch: pytest.MonkeyPatch, key: str | None) -> str:
        from reconciler.render import _common

        if key is None:
            monkeypatch.delenv("SPECTRUM_RECONCILER_REDACT_KEY", raising=False)
        else:
            monkeypatch.setenv("SPECTRUM_RECONCILER_REDACT_KEY", key)
        _common.redaction_key.cache_clear()
        return _common.origin_token(TestRedactionKey.ORIGIN)

    def test_a_token_is_the_keyed_hash_of_the_origin(self, monkeypatch: pytest.MonkeyPatch) -> None:
        import hashlib
        import hmac

        token = self.token(monkeypatch, "ci-secret")
        digest = hmac.new(b"ci-secret", self.ORIGIN.encode(), hashlib.sha256).hexdigest()
        assert token == f"origin-{digest[:12]}"
        assert self.token(monkeypatch, "ci-secret") == token  # comparable across runs
        assert self.token(monkeypatch, "other") != token

    def test_an_unkeyed_hash_no_longer_finds_the_origin(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import hashlib

        plain = hashlib.sha256(self.ORIGIN.encode()).hexdigest()
        for key in ("ci-secret", None):
            assert plain[:8] not in self.token(monkeypatch, key)

    def test_without_a_key_each_run_draws_its_own(self, monkeypatch: pytest.MonkeyPatch) -> None:
        first = self.token(monkeypatch, None)
        second = self.token(monkeypatch, None)  # a new run: a new random key
        assert first != second
        from reconciler.render import _common

        assert _common.origin_token(self.ORIGIN) == second  # stable within one run
