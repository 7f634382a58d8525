"""The scrubber: the second line of defence that keeps the token out of printed text."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.cli import asks_json_lines
from reconciler.logs import ScrubbingFilter, configure_logging, line, scrub
from tests.conftest import CliResult

Run = Callable[..., CliResult]

TOKEN = "Zx9-very-secret-token-0123456789abcdef"


def test_the_token_and_any_bearer_credential_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    text = scrub(f"sent {TOKEN}; header Authorization: Bearer other-credential-42")
    assert TOKEN not in text and "other-credential-42" not in text
    assert text == "sent ***; header Authorization: Bearer ***"


def test_a_few_letter_token_does_not_mangle_ordinary_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "x")
    assert scrub("http://example.org") == "http://example.org"


def test_log_records_are_scrubbed_before_formatting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "token %s", (TOKEN,), None)
    assert ScrubbingFilter().filter(record)
    assert record.getMessage() == "token ***"


def test_a_traceback_is_scrubbed_as_well_as_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--debug prints tracebacks; the exception text in them (even with the token escaped, as
    a header error shows it) must not carry the token."""
    from reconciler.logs import configure_logging

    token = "first-half-0123456789\nsecond-half-abcdef"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", token)
    configure_logging(verbose=False, debug=True)
    try:
        raise ValueError(f"Invalid header value {('Bearer ' + token).encode()!r} / {token}")
    except ValueError:
        logging.getLogger("reconciler.test").exception("traceback (--debug)")
    printed = capsys.readouterr().err
    assert "Traceback" in printed and "ValueError" in printed
    for piece in ("first-half-0123456789", "second-half-abcdef"):
        assert piece not in printed


# --- --log-format json: every line a JSON object ---------------------------------------------


@pytest.fixture
def json_mode() -> Iterator[None]:
    """JSON lines for one test (a handler made in set-up would keep set-up's stderr, so the
    test calls ``configure_logging`` itself)."""
    yield
    configure_logging(verbose=False, debug=False)


def test_a_json_log_record_is_one_scrubbed_line_with_its_traceback_as_a_field(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, json_mode: None
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    configure_logging(verbose=True, debug=False, json_lines=True)
    try:
        raise ValueError(f"bad header {TOKEN}")
    except ValueError:
        logging.getLogger("reconciler.test").exception("failed with %s", TOKEN)
    (printed,) = capsys.readouterr().err.splitlines()
    record = json.loads(printed)
    assert record["event"] == "log" and record["level"] == "error"
    assert record["logger"] == "reconciler.test" and record["message"] == "failed with ***"
    assert "ValueError: bad header ***" in record["traceback"] and TOKEN not in printed


def test_other_stderr_lines_follow_the_format(
    json_mode: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", TOKEN)
    configure_logging(verbose=False, debug=False, json_lines=True)
    record = json.loads(line(f"error: cannot read {TOKEN}", level="error"))
    assert record["level"] == "error" and record["message"] == "error: cannot read ***"
    configure_logging(verbose=False, debug=False)
    assert line(f"error: cannot read {TOKEN}") == "error: cannot read ***"


@pytest.mark.parametrize(
    ("args", "asked"),
    [
        (["reconcile", "--log-format", "json", "x"], True),
        (["reconcile", "--log-format=json", "x"], True),
        (["reconcile", "--log-format", "text", "x"], False),
        (["reconcile", "x", "--", "--log-format", "json"], False),  # a path, not the flag
        (["reconcile", "--log-format"], False),
        ([], False),
    ],
)
def test_json_lines_are_asked_for_by_the_flag_only(args: list[str], asked: bool) -> None:
    assert asks_json_lines(args) is asked


def records_of(text: str) -> list[dict[str, Any]]:
    """Every line of ``text`` parsed as JSON (a line that is not JSON fails the test)."""
    return [json.loads(printed) for printed in text.splitlines()]


def test_every_line_of_a_failed_json_reconcile_is_json(run_cli: Run, tmp_path: Path) -> None:
    """-v records, the located problems of a bad file and the ``error:`` line: all JSON."""
    config = tmp_path / "apps"
    config.mkdir()
    (config / "broken.yaml").write_text("zone: example.com\napps:\n  - protocol: tcp/22\n")
    args = ["reconcile", "--once", "--sandbox", "-v", "--log-format", "json", str(config)]
    result = run_cli(args)
    assert result.exit_code == 1
    (cycle,) = records_of(result.stdout)
    logged = records_of(result.stderr)
    assert cycle["outcome"] == "failed"
    assert any("broken.yaml:3:5" in r["message"] for r in logged)  # the problem, located
    errors = [r for r in logged if r["message"].startswith("error: ")]
    assert errors and errors[-1]["level"] == "error"
    assert {r["event"] for r in logged} == {"log"}


def test_a_command_error_is_a_json_line_with_json_logs(run_cli: Run, tmp_path: Path) -> None:
    """An error the guard reports (a webhook refused before the first cycle)."""
    hook = "http://example.com/hook"
    args = ["reconcile", "--once", "--log-format", "json", "--notify-webhook", hook, "apps"]
    result = run_cli(args)
    assert result.exit_code == 1
    (record,) = records_of(result.stderr)
    assert record["level"] == "error" and record["logger"] == "reconciler.cli"
    assert record["message"].startswith("error: --notify-webhook must be an https:// URL")


def test_a_usage_error_is_a_json_line_with_json_logs() -> None:
    """A bad flag is found before the command runs: main() reads the format from argv."""
    argv = [sys.executable, "-m", "reconciler", "reconcile", "--log-format", "json", "--every",
            "soon", "apps"]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 1
    (record,) = records_of(done.stderr)
    assert record["level"] == "error" and "--every" in record["message"]
    text = subprocess.run(argv[:4] + argv[6:], capture_output=True, text=True, check=False)
    assert text.stderr.startswith("error: ") and "--every" in text.stderr
