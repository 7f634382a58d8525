"""Logging set-up, the lines printed on stderr, and the scrubber that keeps the API token out.

The token is only ever sent in the Authorization header and never logged on purpose; the
scrubber is the second line of defence, applied to log records and to error messages alike.

In: the verbosity and line format a command was given (``--log-format json``). Out: log records
and every other stderr line (``error: ...``, progress, retries) as plain text, or each as one
JSON object per line (``line``, ``say``) — a log pipeline never meets a line it cannot parse.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

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


class JsonFormatter(logging.Formatter):
    """One JSON object per record (``--log-format json``); a traceback is a field, not lines."""

    def format(self, record: logging.LogRecord) -> str:
        extra = {}
        if record.exc_info:
            extra["traceback"] = scrub(self.formatException(record.exc_info))
        return _json_record(
            record.levelname, record.name, record.getMessage(), record.created, extra
        )


def _json_record(
    level: str, logger: str, message: str, created: float, extra: dict[str, Any] | None = None
) -> str:
    when = datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds")
    record = {"event": "log", "time": when, "level": level.lower(), "logger": logger}
    record |= {"message": scrub(message), **(extra or {})}
    return json.dumps(record, sort_keys=True)


_FORMAT = {"json": False}  # the process's line format, set once by configure_logging


def json_lines() -> bool:
    """Whether this run prints JSON lines (``--log-format json``)."""
    return _FORMAT["json"]


def line(text: str, *, level: str = "info", logger: str = "reconciler") -> str:
    """``text`` as a line for stderr: as it is, or as one JSON record; scrubbed either way."""
    if not _FORMAT["json"]:
        return scrub(text)
    return _json_record(level, logger, text, datetime.now(timezone.utc).timestamp())


def say(text: str, *, level: str = "info", stream: TextIO | None = None) -> None:
    """Print ``line(text)`` on ``stream`` (stderr by default) and flush it."""
    target = stream or sys.stderr
    target.write(line(text, level=level) + "\n")
    target.flush()


def configure_logging(*, verbose: bool, debug: bool, json_lines: bool = False) -> None:
    """Log to stderr: warnings by default, INFO with -v, DEBUG (our modules) with --debug;
    each record as text, or with ``json_lines`` as one JSON object (so are ``line``'s)."""
    _FORMAT["json"] = json_lines
    level = logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING
    handler = logging.StreamHandler()
    text = ScrubbingFormatter("%(levelname)s %(name)s: %(message)s")
    handler.setFormatter(JsonFormatter() if json_lines else text)
    handler.addFilter(ScrubbingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx and httpcore log every request at INFO/DEBUG; the client logs its own, scrubbed lines.
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
