"""Notifications: which events a cycle's result makes, deduplicated; redaction; the state file."""

from __future__ import annotations

import hashlib
import hmac
import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.applying.report import ActionOutcome, ApplyReport, Status
from reconciler.errors import ReconcilerError
from reconciler.logs import scrub
from reconciler.model import AppKey
from reconciler.plan import Action, ActionKind, FieldChange
from reconciler.planning.planner import Drift
from reconciler.running.cycle import CycleResult
from reconciler.running.notify import (
    SECRET_ENV,
    STATE_VERSION,
    Announced,
    Notifier,
    check_webhook_url,
    events,
    load_state,
    save_state,
    webhook_secret,
)

SSH = AppKey.of("example.com", "ssh.example.com", "tcp/22")
WWW = AppKey.of("example.com", "www.example.com", "tcp/80")


def action(kind: ActionKind, key: AppKey) -> Action:
    change = FieldChange("origin_direct", ["tcp://192.0.2.1:22"], ["tcp://192.0.2.99:22"])
    return Action(kind, key, "z" * 32, app_id="a" * 32, changes=(change,))


def result(*changed: Action, number: int = 1, report: ApplyReport | None = None) -> CycleResult:
    return CycleResult(number, 0.0, 0.1, zones=("example.com",), drift=Drift(changed=changed),
                       report=report)  # fmt: skip


def kinds(found: list) -> list[str]:  # type: ignore[type-arg]
    return [event.kind for event in found]


def test_the_same_drift_is_announced_once() -> None:
    drift = action(ActionKind.UPDATE, SSH)
    first, announced = events(Announced(), result(drift))
    again, same = events(announced, result(drift, number=2))
    assert kinds(first) == ["drift_appeared"] and again == [] and same == announced


def test_new_drift_beside_old_drift_announces_only_the_new() -> None:
    _, announced = events(Announced(), result(action(ActionKind.UPDATE, SSH)))
    found, _ = events(
        announced, result(action(ActionKind.UPDATE, SSH), action(ActionKind.UPDATE, WWW))
    )
    assert kinds(found) == ["drift_appeared"] and "www.example.com" in found[0].text
    assert "ssh.example.com" not in found[0].text


def test_drift_that_clears_is_announced_once() -> None:
    _, announced = events(Announced(), result(action(ActionKind.UPDATE, SSH)))
    cleared, after = events(announced, result())
    assert kinds(cleared) == ["drift_cleared"] and after == Announced()
    assert events(after, result())[0] == []


def test_origins_are_redacted_unless_asked() -> None:
    drift = action(ActionKind.UPDATE, SSH)
    (redacted,), _ = events(Announced(), result(drift))
    (shown,), _ = events(Announced(), result(drift), show_origins=True)
    assert "192.0.2.99" not in redacted.text and "origin-" in redacted.text
    assert "192.0.2.99" in shown.text


def test_a_failure_is_announced_once_and_a_failed_cycle_keeps_the_drift_announced() -> None:
    _, announced = events(Announced(), result(action(ActionKind.UPDATE, SSH)))
    failed = CycleResult(2, 0.0, 0.1, error="GET /zones: no response")
    first, after = events(announced, failed)
    again, _ = events(after, failed)
    assert kinds(first) == ["cycle_failed"] and again == []
    assert after.drift == announced.drift  # nothing was seen: no "drift cleared"
    recovered, _ = events(after, result(action(ActionKind.UPDATE, SSH), number=3))
    assert kinds(recovered) == ["cycle_recovered"]


def test_a_refusal_is_announced_like_a_failure() -> None:
    refused = CycleResult(1, 0.0, 0.1, zones=("example.com",), drift=Drift(), refusal="too many")
    assert kinds(events(Announced(), refused)[0]) == ["cycle_failed"]


def test_drift_repaired_by_self_heal_is_announced_as_repaired_not_as_drift() -> None:
    drift = action(ActionKind.UPDATE, SSH)
    healed = result(drift, report=ApplyReport((ActionOutcome(drift, Status.DONE),)))
    found, after = events(Announced(), healed)
    assert kinds(found) == ["drift_repaired"] and after == Announced()


def test_an_app_without_changed_fields_is_named_without_a_trailing_space(tmp_path: Path) -> None:
    # issue 25 item 20: a created or deleted app's entry in "apps" ended with a space
    (event,), announced = events(Announced(), result(Action(ActionKind.CREATE, SSH, "z" * 32)))
    assert event.payload()["apps"] == ["example.com missing ssh.example.com tcp/22"]
    assert not any(line.endswith(" ") for line in event.text.splitlines())
    state = tmp_path / "state.json"
    old = {"version": STATE_VERSION, "drift": ["example.com missing ssh.example.com tcp/22 "]}
    state.write_text(json.dumps(old))
    assert load_state(str(state)) == announced  # as an older version wrote it: not new drift


def test_payload_is_slack_compatible() -> None:
    (event,), _ = events(Announced(), result(action(ActionKind.UPDATE, SSH)))
    payload = event.payload()
    assert isinstance(payload["text"], str) and payload["event"] == "drift_appeared"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.slack.com/services/T/B/X", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://localhost/hook", True),
        ("http://hooks.example.com/hook", False),
        ("ftp://example.com", False),
        ("https://example.com:abc/secret", False),  # a port that is no number
        ("https://[::1/secret", False),  # an unclosed IPv6 bracket
        ("https://example.com:99999/secret", False),  # a port out of range
        ("https://exa mple.com/secret", False),  # a space in the host
    ],
)
def test_webhook_urls_are_https_or_loopback(url: str, ok: bool) -> None:
    if ok:
        assert check_webhook_url(url) == url
    else:
        with pytest.raises(ReconcilerError) as refused:
            check_webhook_url(url)
        assert url not in str(refused.value)  # a webhook URL is a secret: never echoed
        assert "secret" not in str(refused.value) and "\n" not in str(refused.value)


def test_the_state_file_round_trips_and_a_bad_one_is_ignored(tmp_path: Path) -> None:
    path = str(tmp_path / "notified.json")
    announced = Announced(
        frozenset({"example.com missing ssh.example.com tcp/22 tls"}), "failed: x"
    )
    save_state(path, announced)
    assert load_state(path) == announced
    Path(path).write_text("{not json")
    assert load_state(path) == Announced()
    assert load_state(str(tmp_path / "absent.json")) == Announced()


@pytest.mark.parametrize(
    "changed",
    [{"drift": 5}, {"degraded": True}, {"drift": "abc"}, {"drift": [{"a": 1}]}, {"failure": 3}],
)
def test_a_state_file_of_the_wrong_shape_is_ignored_not_a_crash(
    tmp_path: Path, changed: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notified.json"
    save_state(str(path), Announced(frozenset({"x"}), "failed: x"))
    path.write_text(json.dumps(json.loads(path.read_text()) | changed))
    assert load_state(str(path)) == Announced()
    assert "ignoring the state file" in caplog.text


def test_a_refused_post_is_sent_again_next_cycle_not_lost(tmp_path: Path) -> None:
    answers = iter([500, 200, 200])
    sent: list[str] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        sent.append(request.read().decode())
        return httpx.Response(next(answers))

    state = str(tmp_path / "notified.json")
    notifier = Notifier("https://hooks.example.com/x", state_path=state,
                        transport=httpx.MockTransport(receiver))  # fmt: skip
    drift = action(ActionKind.UPDATE, SSH)
    notifier.notify(result(drift))  # the receiver fails: nothing counts as announced
    assert load_state(state) == Announced()
    notifier.notify(result(drift, number=2))
    notifier.notify(result(drift, number=3))
    assert len(sent) == 2 and all("drift_appeared" in body for body in sent)
    assert load_state(state).drift


# --- signed webhooks ---------------------------------------------------------------------------

SECRET = "webhook-signing-secret-0123"


def signed_post(secret: bytes | None) -> httpx.Request:
    """The one request a Notifier sends for a drift, as the receiver gets it."""
    got: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        request.read()
        got.append(request)
        return httpx.Response(200)

    notifier = Notifier("https://hooks.example.com/x", secret=secret,
                        transport=httpx.MockTransport(receiver))  # fmt: skip
    notifier.notify(result(action(ActionKind.UPDATE, SSH)))
    (request,) = got
    return request


def test_a_post_is_signed_over_the_exact_bytes_sent() -> None:
    request = signed_post(SECRET.encode())
    expected = hmac.new(SECRET.encode(), request.content, hashlib.sha256).hexdigest()
    assert request.headers["X-Spectrum-Reconciler-Signature"] == f"sha256={expected}"
    assert request.headers["X-Signature"] == f"sha256={expected}"  # Flux generic-hmac's name
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content)["event"] == "drift_appeared"


def test_without_a_secret_nothing_is_signed() -> None:
    request = signed_post(None)
    assert "X-Spectrum-Reconciler-Signature" not in request.headers
    assert "X-Signature" not in request.headers


def test_the_secret_comes_from_its_variable_and_is_scrubbed_from_output() -> None:
    assert webhook_secret({}) is None
    assert webhook_secret({SECRET_ENV: SECRET}) == SECRET.encode()
    assert scrub(f"posting with {SECRET}") == "posting with ***"
    with pytest.raises(ReconcilerError, match="set but empty"):
        webhook_secret({SECRET_ENV: ""})


def documented_receiver_check() -> Callable[[bytes, str], bool]:
    """The receiver check docs/running.md documents, run as written."""
    page = Path(__file__).parents[1] / "docs" / "running.md"
    block = (
        page.read_text(encoding="utf-8")
        .split("<!-- webhook-receiver-check -->", 1)[1]
        .split("```python\n", 1)[1]
    )
    code = textwrap.dedent(block.split("```", 1)[0])
    namespace: dict[str, Any] = {}
    exec(compile(code, "docs/running.md", "exec"), namespace)
    return namespace["signed_by_the_reconciler"]  # type: ignore[no-any-return]


def test_the_documented_receiver_check_accepts_our_signature_and_no_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    check = documented_receiver_check()
    request = signed_post(SECRET.encode())
    signature = request.headers["X-Spectrum-Reconciler-Signature"]
    assert check(request.content, signature)
    assert not check(request.content.replace(b"drift", b"Drift"), signature)  # body altered
    assert not check(request.content, signed_post(b"another-secret").headers["X-Signature"])
