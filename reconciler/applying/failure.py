"""Values: why an action failed — the detail to show and Cloudflare's codes, if any.

``StepFailed.of`` turns any exception of a write (an ``ApiError``, a journal line that could not
be written, a malformed answer) into the one-line failure of that action, ``refused`` when
Cloudflare's answer says for certain that the write did not happen (``refused_for_certain``);
``Unsettled`` is a create whose correcting PUT failed, so the new app exists and has an id.
"""

from __future__ import annotations

from reconciler.errors import ApiError, ReconcilerError, TransportError, UnclearWriteError


class StepFailed(Exception):
    """An action failed: what to tell the user, with Cloudflare's codes when it gave any."""

    def __init__(self, detail: str, codes: tuple[int, ...] = (), *, refused: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.codes = codes
        self.refused = refused  # Cloudflare refused the write: nothing of it happened

    @classmethod
    def of(cls, error: BaseException) -> StepFailed:
        """The failure an exception stands for."""
        if isinstance(error, StepFailed):
            return error
        if isinstance(error, ApiError):
            return cls(str(error), error.codes, refused=refused_for_certain(error))
        if isinstance(error, ReconcilerError):  # the journal could not be written
            return cls(str(error))
        # Not the API refusing: a bug or a malformed answer. Still one action's failure, after
        # which the run goes on to report every action (exit 4), never an "internal error".
        return cls(f"unexpected {type(error).__name__}: {error}")


def refused_for_certain(error: ApiError) -> bool:
    """Whether ``error`` says for certain that its write did not happen: a 4xx answer (the API
    refused the request) to a request none of whose attempts broke off or got a 5xx, or a failed
    delete after which the app was read back intact. A timeout, a dropped connection, a 5xx or
    an answer that is not Cloudflare's envelope may have landed: not certain."""
    if isinstance(error, UnclearWriteError):
        return error.known
    if isinstance(error, TransportError) or error.after_unclear_attempt:
        return False
    return 400 <= error.status < 500


class Unsettled(StepFailed):
    """The app was created, but the PUT that corrects what the API filled in failed."""

    def __init__(self, app_id: str, detail: str, codes: tuple[int, ...] = ()) -> None:
        super().__init__(detail, codes)
        self.app_id = app_id
