"""The scrubber: the second line of defence that keeps the token out of printed text."""

from __future__ import annotations

import logging

import pytest

from reconciler.logs import ScrubbingFilter, scrub

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
