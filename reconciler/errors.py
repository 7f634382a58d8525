"""Every error the reconciler raises on purpose, and the exit code each one maps to.

The tree::

    ReconcilerError                 exit 1 unless a subclass says otherwise
    ├── ConfigError                 files that do not load or validate (carries Problems)
    │   ├── AddressRefusedError     static edge IPs the live address plane refuses (before writes)
    │   └── PreflightRefusedError   writes Cloudflare would refuse (before writes)
    ├── PlanError                   live state the planner cannot reason about (duplicate identity)
    ├── PlanFileError               a saved plan that is truncated, edited or of another version
    ├── OutputFileError             a plan, journal or export file that cannot be written
    ├── TerraformStateError         a Terraform state import-terraform cannot import safely
    ├── AdoptError                  drift adopt cannot write into the files (nothing written)
    ├── SafetyError                 exit 3: a plan refused by a safety rule (too many deletions)
    │   ├── StalePlanError          exit 3: live state moved since the saved plan was made
    │   └── PlanMismatchError       exit 3: a saved plan that says other than files + live state
    └── ApiError                    the Cloudflare API said no, or could not be reached
        ├── AuthError               no or refused credentials (9106, 6003, 10000, 401)
        ├── PermissionDeniedError   403 other than a refused token: the token lacks a permission
        ├── NotFoundError           404: zone or app does not exist
        ├── RateLimitedError        429 after every retry was spent
        ├── RefusedError            4xx carrying Cloudflare's error codes (11000, 11004, ...)
        ├── TransportError          connection failures, timeouts, 5xx after every retry
        │   └── MalformedAnswerError    a value in an answer that is not what the API documents
        └── UnclearWriteError       a failed write that may have worked, checked by reading the zone

Every message names what went wrong and ends with what to do. ``exit_code_for`` is the one place
that turns an exception into a process exit code. A partly applied plan is not an exception: the
executor reports every action, and ``apply`` exits ``EXIT_PARTIAL`` (4) from that report. Nor is
a degraded app: ``verify`` and ``apply --verify`` exit ``EXIT_DEGRADED`` (5) from their result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reconciler.model import Problem

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3
EXIT_PARTIAL = 4
EXIT_DEGRADED = 5  # verify: an app is degraded (after a successful apply, or verify PATHS)


class ReconcilerError(Exception):
    """Base of every error the tool raises on purpose; ``str()`` is the one-line message."""

    exit_code = EXIT_ERROR


class ConfigError(ReconcilerError):
    """Desired-state files failed to load or validate; ``problems`` holds every located problem."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"{len(self.problems)} {noun} in the desired-state files")


class AddressRefusedError(ConfigError):
    """Static edge IPs the live address plane refuses (or, with ``--strict``, warns about).

    Raised before any write; ``problems`` name each app's ``file:line:col``, the IP, its prefix,
    binding and advertisement state, and what to do. ``plan`` is the plan it refused (a
    ``reconciler.plan.Plan``), for the command to show first, as it shows a preflight refusal's.
    """

    def __init__(self, problems: Sequence[Problem], summary: str, plan: object = None) -> None:
        super().__init__(problems)
        self.args = (summary,)
        self.plan = plan


class PreflightRefusedError(ConfigError):
    """Writes Cloudflare would refuse (a manual DNS record on the hostname, the IPv4 hostname
    quota, the zone's plan), found by the preflight before any write; ``problems`` name each
    app's ``file:line:col``, Cloudflare's answer and what to do."""

    def __init__(self, problems: Sequence[Problem], summary: str) -> None:
        super().__init__(problems)
        self.args = (summary,)


class PlanError(ReconcilerError):
    """Live state that cannot be planned against safely."""


class PlanFileError(ReconcilerError):
    """A saved plan file that cannot be trusted."""


class OutputFileError(ReconcilerError):
    """A file the command was asked to write (plan, journal, export) cannot be written."""

    def __init__(self, path: object, reason: object) -> None:
        super().__init__(
            f"cannot write {path}: {reason} — check that its directory exists and is writable"
        )


class TerraformStateError(ReconcilerError):
    """A Terraform state ``import-terraform`` refuses (named by resource address)."""


class AdoptError(ReconcilerError):
    """Drift ``adopt`` refuses to write into the files; nothing was written."""


class SafetyError(ReconcilerError):
    """A plan refused by a safety rule."""

    exit_code = EXIT_REFUSED


class StalePlanError(SafetyError):
    """Live state changed since the saved plan was made."""


class PlanMismatchError(SafetyError):
    """A saved plan whose zones, app identities or actions are not what the files and the live
    state give now (edited, or made from other files)."""


@dataclass(frozen=True)
class ApiMessage:
    """One item of the v4 envelope's ``errors`` list."""

    code: int
    message: str

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class ApiError(ReconcilerError):
    """The API refused a request or could not be reached.

    ``method`` and ``path`` locate the request, empty when none was made (the path never carries
    a query string, so no secret can ride along); ``status`` is the HTTP status (0 when no
    response came); ``errors`` are Cloudflare's own codes and messages.
    """

    hint = "check the request and try again"
    # Set by the transport: an earlier attempt of this request broke off or got a 5xx, so it
    # may have taken effect even though this answer refused it.
    after_unclear_attempt = False

    def __init__(
        self,
        method: str,
        path: str,
        *,
        status: int = 0,
        errors: Sequence[ApiMessage] = (),
        detail: str = "",
        hint: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.errors = tuple(errors)
        self.detail = detail
        if hint is not None:
            self.hint = hint
        super().__init__(self._compose())

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(e.code for e in self.errors)

    def _compose(self) -> str:
        what = "; ".join(str(e) for e in self.errors) or self.detail or "no detail"
        if not self.method:  # refused before any request was made (no token, bad base URL)
            return f"{what} — {self.hint}"
        if self.status == 200 and not self.errors:
            # The request worked; what came back did not ("no zone named ..."): saying
            # "HTTP 200" first read like success.
            return f"{self.method} {self.path}: {what} — {self.hint}"
        status = f"HTTP {self.status}" if self.status else "no response"
        return f"{self.method} {self.path}: {status}: {what} — {self.hint}"


class AuthError(ApiError):
    hint = "set CLOUDFLARE_API_TOKEN to a valid API token (or use --sandbox)"


class PermissionDeniedError(ApiError):
    hint = (
        "give the token Zone Settings Write (and Account IP Prefixes Read for BYOIP), "
        "or ask for the entitlement named above"
    )

    @classmethod
    def needing(cls, refused: ApiError, hint: str) -> PermissionDeniedError:
        """``refused`` (a 401 or 403) said with the permission a particular read needs."""
        return cls(
            refused.method,
            refused.path,
            status=refused.status,
            errors=refused.errors,
            detail=refused.detail,
            hint=hint,
        )


class NotFoundError(ApiError):
    hint = "check the zone name or id in the desired-state file"


class RateLimitedError(ApiError):
    hint = "the API rate limit held after every retry; wait a few minutes or lower --rate-limit"


class RefusedError(ApiError):
    hint = "fix the app definition named above; Cloudflare's code and message say what it refused"


class TransportError(ApiError):
    hint = "the API could not be reached or kept failing; check the network or base URL and re-run"


class MalformedAnswerError(TransportError):
    """An answer whose shape the API does not document (a count that is no number, a
    ``result_info`` that is no object): located by method, path and field."""

    hint = "a read was tried again and the answer stayed malformed; check the base URL, re-run"


class UnclearWriteError(ApiError):
    """A write that failed where an attempt may have taken effect, checked by reading the zone.

    The message is the write's own error (``error``), then what the read found (``finding``);
    the codes are the write's. ``known`` is False when the read failed too: whether the write
    took effect is unknown.
    """

    def __init__(self, error: ApiError, finding: str, *, known: bool) -> None:
        self.error, self.finding, self.known = error, finding, known
        super().__init__(
            error.method,
            error.path,
            status=error.status,
            errors=error.errors,
            detail=error.detail,
            hint=error.hint,
        )

    def _compose(self) -> str:
        return f"{self.error}; {self.finding}"


def exit_code_for(error: BaseException) -> int:
    """The process exit code for an error that reached the command line."""
    if isinstance(error, ReconcilerError):
        return error.exit_code
    return EXIT_ERROR
