"""Logging set-up, and the scrubber that keeps the API token out of every line we print.

The token is only ever sent in the Authorization header and never logged on purpose; the
scrubber is the second line of defence, applied to log records and to error messages alike.
"""

from __future__ import annotations

import logging
import os
import re

_MIN_SECRET_LENGTH = 8
_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")
_SECRETS: set[str] = set()  # tokens read from other variables (a zone's token_env)


def register_secret(value: str) -> None:
    """Scrub ``value`` from every line from now on (a token read from a zone's token_env)."""
    if len(value) >= _MIN_SECRET_LENGTH:
        _SECRETS.add(value)


def scrub(text: str) -> str:
    """``text`` with the token (if set) and any Bearer credential replaced by ``***``.

    A token is also masked as error texts may spell it (escaped, as in a ``repr``) and piece by
    piece: a token with a line break shows up split at it.
    """
    token = os.environ.get("CLOUDFLARE_API_TOKEN", "")
    for secret in _spellings((token, *_SECRETS)):
        text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", text)


def _spellings(tokens: tuple[str, ...]) -> list[str]:
    """Every way the tokens may appear in text, longest first."""
    forms: set[str] = set()
    for raw in tokens:
        token = raw.strip()
        escaped = repr(token)[1:-1]
        forms |= {token, escaped, token.encode("unicode_escape").decode("ascii")}
        forms.update(re.split(r"\s+", token))
        forms.update(re.split(r"\\[nrtx]", escaped))
    # A real token is 40 characters; masking a few-letter test value would mangle every word
    # that happens to contain it, and hide nothing.
    return sorted((f for f in forms if len(f) >= _MIN_SECRET_LENGTH), key=len, reverse=True)


class ScrubbingFormatter(logging.Formatter):
    """Scrubs the whole formatted record, traceback and exception text included."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


class ScrubbingFilter(logging.Filter):
    """Rewrites each record's message through ``scrub`` before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = None
        return True


def configure_logging(*, verbose: bool, debug: bool) -> None:
    """Log to stderr: warnings by default, INFO with -v, DEBUG (our modules) with --debug."""
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler()
    handler.setFormatter(ScrubbingFormatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubbingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx and httpcore log every request at INFO/DEBUG; the client logs its own, scrubbed lines.
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
