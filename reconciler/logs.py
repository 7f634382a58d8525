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
    """``text`` with the token (if set) and any Bearer credential replaced by ``***``."""
    token = os.environ.get("CLOUDFLARE_API_TOKEN", "").strip()
    # A real token is 40 characters; masking a few-letter test value would mangle every word
    # that happens to contain it, and hide nothing.
    for secret in (token, *_SECRETS):
        if len(secret) >= _MIN_SECRET_LENGTH:
            text = text.replace(secret, "***")
    return _BEARER.sub(r"\1***", text)


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
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ScrubbingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx and httpcore log every request at INFO/DEBUG; the client logs its own, scrubbed lines.
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
