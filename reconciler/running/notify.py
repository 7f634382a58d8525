"""Shell: drift and failure events to a webhook, each announced once.

In: cycle results. Out: JSON POSTs to ``--notify-webhook`` — ``{"text": ...}``, which is what a
Slack incoming webhook needs, plus ``event`` and ``apps`` for receivers that read fields.
Announced are: drift that appears, drift that clears, drift repaired by ``--self-heal``, apps a
verification finds degraded, a cycle that fails (or is refused, or partly applied) and the
first good cycle after. The same drift or
failure is announced once, not every cycle: what was announced is kept in a small JSON state
file, so a restart does not announce it again. Origins are shown as ``origin-<hash>`` unless
asked otherwise; the webhook URL (a secret for Slack) is never logged.

With ``SPECTRUM_RECONCILER_WEBHOOK_SECRET`` set, each POST is signed as Flux's generic-hmac
provider signs: ``sha256=<hex HMAC-SHA256 of the body>``, computed over the exact bytes sent,
in ``X-Spectrum-Reconciler-Signature`` and, for receivers written for Flux, ``X-Signature``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.applying.report import Status
from reconciler.checks.verify import AppHealth, Health
from reconciler.errors import ReconcilerError
from reconciler.files import write_atomically
from reconciler.live.urls import https_or_loopback, unreadable
from reconciler.logs import register_secret
from reconciler.render._common import redact_action, spell
from reconciler.running.cycle import CycleResult, DriftEntry, Outcome

log = logging.getLogger(__name__)

STATE_VERSION = 1
SECRET_ENV = "SPECTRUM_RECONCILER_WEBHOOK_SECRET"
SIGNATURE_HEADERS = ("X-Spectrum-Reconciler-Signature", "X-Signature")  # ours, Flux's name
_SYMBOL = {"changed": "~", "unmanaged": "-", "missing": "+"}


@dataclass(frozen=True)
class Announced:
    """What receivers were already told: drift by ident, and the failure standing, if any."""

    drift: frozenset[str] = frozenset()
    failure: str | None = None
    degraded: frozenset[str] = frozenset()  # apps announced degraded (zone, hostname, protocol)


@dataclass(frozen=True)
class Event:
    """One notification."""

    kind: str  # drift_appeared | drift_cleared | drift_repaired | apps_degraded | cycle_failed |
    # cycle_recovered
    text: str
    apps: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "event": self.kind, "apps": list(self.apps)}


def problem_of(result: CycleResult) -> str | None:
    """Why the cycle did not do its job (its outcome says whether it did), if it did not."""
    outcome, report = result.outcome, result.report
    if outcome in (Outcome.FAILED, Outcome.ERROR):
        return f"failed: {result.error or 'no plan'}"
    if outcome is Outcome.REFUSED:
        return f"refused: {result.refusal}"
    if outcome is Outcome.PARTIAL and report is not None:
        failed = sum(report.count(s) for s in (Status.FAILED, Status.SKIPPED, Status.STALE))
        return f"partly applied: {failed} of {len(report.outcomes)} actions not done"
    return None


def events(
    before: Announced, result: CycleResult, *, show_origins: bool = False
) -> tuple[list[Event], Announced]:
    """Pure: what to announce after ``result``, and what will then have been announced."""
    found: list[Event] = []
    problem = problem_of(result)
    if problem is not None and problem != before.failure:
        found.append(Event("cycle_failed", f"spectrum-reconciler: cycle {problem}"))
    if problem is None and before.failure is not None:
        found.append(Event("cycle_recovered", "spectrum-reconciler: cycles succeed again"))
    degraded, newly = _degraded(before.degraded, result)
    if newly:
        found.append(newly)
    if result.drift is None:  # nothing was seen: what was announced still stands
        return found, Announced(before.drift, problem, degraded)
    standing = {entry.ident: entry for entry in result.standing}
    repaired = _repaired(result)
    if repaired:
        found.append(_listing("drift_repaired", "drift repaired", repaired, show_origins))
    appeared = [standing[i] for i in sorted(standing.keys() - before.drift)]
    if appeared:
        found.append(_listing("drift_appeared", "drift detected", appeared, show_origins))
    healed = {e.ident for e in repaired}
    cleared = sorted(before.drift - standing.keys() - healed)
    if cleared:
        text = "spectrum-reconciler: drift cleared:\n" + "\n".join(cleared)
        found.append(Event("drift_cleared", text, tuple(cleared)))
    return found, Announced(frozenset(standing), problem, degraded)


def _degraded(before: frozenset[str], result: CycleResult) -> tuple[frozenset[str], Event | None]:
    """Apps degraded now (the verified ones as found, the others as before), and an event for
    those not announced yet: an app is announced once, again only after it was healthy."""
    if result.verification is None:
        return before, None
    verdicts = {_app_ident(a): a for a in result.verification.apps}
    bad = {i for i, a in verdicts.items() if a.health is Health.DEGRADED}
    now = frozenset((before - verdicts.keys()) | bad)
    new = sorted(bad - before)
    if not new:
        return now, None
    lines = [verdicts[i].line() for i in new]
    text = f"spectrum-reconciler: apps degraded ({len(new)}):\n" + "\n".join(lines)
    return now, Event("apps_degraded", text, tuple(new))


def _app_ident(app: AppHealth) -> str:
    key = app.target.key
    return f"{key.zone} {key.dns_name} {key.protocol}"


def _repaired(result: CycleResult) -> list[DriftEntry]:
    standing = {e.ident for e in result.standing}
    return [e for e in result.found if e.ident not in standing] if result.report else []


def _listing(kind: str, title: str, entries: Sequence[DriftEntry], show: bool) -> Event:
    lines = [_describe(entry, show) for entry in entries]
    text = f"spectrum-reconciler: {title} ({len(entries)}):\n" + "\n".join(lines)
    return Event(kind, text, tuple(entry.ident for entry in entries))


def _describe(entry: DriftEntry, show_origins: bool) -> str:
    line = f"{_SYMBOL[entry.kind]} {entry.zone} {entry.dns_name} {entry.protocol} ({entry.kind})"
    action = entry.action
    if action is None or not action.changes:
        return line
    shown = action if show_origins else redact_action(action)
    changes = "; ".join(f"{c.path}: {spell(c.before)} -> {spell(c.after)}" for c in shown.changes)
    return f"{line}: {changes}"


class Notifier:
    """Posts events to one webhook; remembers what was announced in ``state_path``."""

    def __init__(
        self,
        url: str,
        *,
        state_path: str | None = None,
        show_origins: bool = False,
        secret: bytes | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._url = check_webhook_url(url)
        self._secret = secret
        self._state_path = state_path
        self._show_origins = show_origins
        self._http = httpx.Client(transport=transport, timeout=10.0)
        self.announced = load_state(state_path)

    def notify(self, result: CycleResult) -> None:
        """Announce what is new since the last announcement; on a failed post, retry next time."""
        found, after = events(self.announced, result, show_origins=self._show_origins)
        if not self._post_all(found):
            return
        if after != self.announced and self._state_path:
            save_state(self._state_path, after)
        self.announced = after

    def _post_all(self, found: Iterable[Event]) -> bool:
        for event in found:
            body = json.dumps(event.payload(), sort_keys=True).encode("utf-8")
            try:
                sent = self._http.post(self._url, content=body, headers=self._headers(body))
                sent.raise_for_status()
            except httpx.HTTPError as error:  # the URL is a secret: say what failed, not where
                log.warning("notify: the webhook refused %s (%s)", event.kind, type(error).__name__)
                return False
            log.info("notify: sent %s", event.kind)
        return True

    def _headers(self, body: bytes) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self._secret is not None:
            signature = sign(body, self._secret)
            headers |= dict.fromkeys(SIGNATURE_HEADERS, signature)
        return headers

    def close(self) -> None:
        self._http.close()


def sign(body: bytes, secret: bytes) -> str:
    """``sha256=`` and the hex HMAC-SHA256 of ``body`` under ``secret`` (Flux's format)."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def webhook_secret(environ: Mapping[str, str] = os.environ) -> bytes | None:
    """The signing secret from ``SPECTRUM_RECONCILER_WEBHOOK_SECRET``, if set; kept out of every
    printed line from now on. Set but empty is refused: it would sign with a key anyone knows."""
    value = environ.get(SECRET_ENV)
    if value is None:
        return None
    if not value:
        raise ReconcilerError(f"{SECRET_ENV} is set but empty — give it a secret, or unset it")
    register_secret(value)
    return value.encode("utf-8")


def check_webhook_url(url: str) -> str:
    """An https:// URL, or http:// to loopback (a local relay or a test receiver), that can be
    read: checked at start, so a bad one never meets the first event of a running loop."""
    problem = unreadable(url)
    if problem:
        raise ReconcilerError(f"--notify-webhook is not a usable URL: {problem} — check it")
    if https_or_loopback(url):
        return url
    raise ReconcilerError(
        "--notify-webhook must be an https:// URL (plain http:// only to loopback)"
    )


def load_state(path: str | None) -> Announced:
    """What an earlier run announced; nothing when there is no state file or it is unreadable."""
    if not path:
        return Announced()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Announced()
    except (OSError, ValueError) as error:
        log.warning("notify: ignoring the state file %s (%s)", path, error)
        return Announced()
    if not _ours(data):
        log.warning("notify: ignoring the state file %s (not ours)", path)
        return Announced()
    failure = data.get("failure")
    drift = data.get("drift") or []
    degraded = data.get("degraded") or []  # absent in files written before verification
    # .strip(): an older version's idents of apps with no changed field ended with a space
    return Announced(frozenset(i.strip() for i in drift), failure or None, frozenset(degraded))


def _ours(data: Any) -> bool:
    """A document ``save_state`` could have written: its version, lists of strings, a string
    or null failure (a string "drift" would otherwise count as its letters)."""
    if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
        return False
    lists = [data.get(key) or [] for key in ("drift", "degraded")]
    if not all(isinstance(items, list) for items in lists):
        return False
    strings = all(isinstance(i, str) for items in lists for i in items)
    return strings and isinstance(data.get("failure"), str | None)


def save_state(path: str, announced: Announced) -> None:
    document = {
        "version": STATE_VERSION,
        "drift": sorted(announced.drift),
        "failure": announced.failure,
        "degraded": sorted(announced.degraded),
    }
    write_atomically(path, json.dumps(document, indent=1) + "\n")
