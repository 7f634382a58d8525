"""I/O: the writes of one action, or of one replace unit, and the undo of each.

In: an ``Action`` (or a ``Replace`` unit), a client and a journal. Out: the ``ActionOutcome`` of
each action; every attempt, outcome and kept old app is journalled.

A create makes the app exactly its body (one PUT corrects defaults the API filled in otherwise).
A recreate or replace deletes then creates; the old app is kept in memory and in the journal
until the new one exists, and if a create fails the old app is created again from the plan's
``before``. A delete answered with an error is settled by the client, which reads the zone (its
answer may have been lost after it committed). Any error of an action, an ``ApiError`` or not,
is that action's failure (``StepFailed``), never the end of the run.

The journal is part of the write: a line that cannot be written before a write (the attempt,
the old app kept) stops it; one that cannot be written after a write (the outcome) fails the
action, and a recreate or replace so failed is undone as after an API failure. The lines of an
undo itself are written if they can be (``_note``): nothing stops an undo halfway.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from reconciler.applying.failure import StepFailed, Unsettled
from reconciler.applying.journal import Journal
from reconciler.applying.report import ActionOutcome, Status
from reconciler.errors import OutputFileError, UnclearWriteError
from reconciler.plan import Action, ActionKind
from reconciler.planning.normalize import normalize_app, update_body
from reconciler.planning.replace import Replace
from reconciler.planning.stale import moved_since
from reconciler.planning.unknown_fields import carried, restore_body, unknown_fields

if TYPE_CHECKING:  # the client (and httpx) only when something is applied
    from reconciler.live.cloudflare import CloudflareClient

log = logging.getLogger(__name__)


_AGAIN = "plan again, review, and apply the new plan"


class Steps:
    """Writes actions through ``client``, journalling each step in ``journal``."""

    def __init__(self, client: CloudflareClient, journal: Journal) -> None:
        self.client = client
        self.journal = journal

    def attempt(self, action: Action) -> ActionOutcome:
        """Journal the attempt, write the action, journal and return its outcome; a recreate
        written but not journalled is undone."""
        outcome = self._written(action)
        recorded = self._recorded(outcome)
        if action.kind is ActionKind.RECREATE and recorded is not outcome and outcome.new_app_id:
            return self._undo_recreate(recorded)
        return recorded

    def _written(self, action: Action) -> ActionOutcome:
        """Journal the attempt and write the action: its outcome, not journalled yet."""
        try:
            self.journal.write("attempt", **describe(action), body=action.body)
            return self._dispatch(action)
        except Exception as error:
            failed = StepFailed.of(error)
            app_id = error.app_id if isinstance(error, Unsettled) else None
            outcome = ActionOutcome(action, Status.FAILED, failed.detail, app_id, failed.codes)
            return dataclasses.replace(outcome, refused=failed.refused and app_id is None)

    def _recorded(self, outcome: ActionOutcome) -> ActionOutcome:
        """``outcome`` once journalled; if its line cannot be written, the action failed."""
        try:
            self._journal_outcome(outcome)
        except OutputFileError as error:
            if outcome.status is Status.DONE:
                detail = f"written, but the journal could not record it ({error})"
            else:
                detail = f"{outcome.detail}; the journal could not record it either ({error})"
            return dataclasses.replace(outcome, status=Status.FAILED, detail=detail)
        return outcome

    def replace(self, unit: Replace) -> list[ActionOutcome]:
        """Deletes, then the creates they free ports for; if any step fails, undo the rest.

        The outcomes come in the unit's order (``unit.actions``). A delete counts as written
        when the API did it, whether or not its journal line could be written after.
        """
        try:
            for action in unit.deletes:
                self.journal.write("replace-old-kept", **describe(action), before=action.before)
        except OutputFileError as error:
            return [ActionOutcome(a, Status.FAILED, f"not started: {error}") for a in unit.actions]
        outcomes: dict[int, ActionOutcome] = {}
        written: set[int] = set()
        failed: Action | None = None
        for action in unit.actions:
            if failed is not None:
                detail = f"not started: the replace failed at {failed.key}"
                outcomes[id(action)] = ActionOutcome(action, Status.SKIPPED, detail)
                continue
            outcome = self._written(action)
            if outcome.status is Status.DONE:
                written.add(id(action))
            outcomes[id(action)] = self._recorded(outcome)
            if outcomes[id(action)].status is not Status.DONE:
                failed = action
        if failed is not None:
            self._undo(unit, outcomes, failed, written)
        return [outcomes[id(action)] for action in unit.actions]

    def _note(self, event: str, **fields: Any) -> None:
        """A journal line an undo writes if it can: its failure must not stop the undo."""
        try:
            self.journal.write(event, **fields)
        except OutputFileError as error:
            log.error("journal: the %s line could not be written (%s)", event, error)

    def _journal_outcome(self, outcome: ActionOutcome) -> None:
        action = outcome.action
        self.journal.write(
            outcome.status.value,
            **describe(action),
            detail=outcome.detail,
            new_app_id=outcome.new_app_id,
            codes=list(outcome.codes),
        )
        log.info("apply: %s %s %s", outcome.status.value, action.kind.value, action.key)

    def _dispatch(self, action: Action) -> ActionOutcome:
        zone_id, app_id = action.zone_id, action.app_id
        if action.kind is ActionKind.CREATE:
            created = self._create(action, _body(action.body))
            return ActionOutcome(action, Status.DONE, new_app_id=str(created.get("id")))
        assert app_id is not None, f"{action.kind.value} carries the live app id"
        moved = moved_since(action.before, self.client.get_app(zone_id, app_id))
        if moved:  # another writer (a second apply?) got there first: never overwrite it
            return ActionOutcome(action, Status.STALE, f"not written: {moved}; {_AGAIN}")
        if action.kind is ActionKind.UPDATE:
            self.client.update_app(zone_id, app_id, _body(action.body))
            return ActionOutcome(action, Status.DONE, new_app_id=app_id)
        if action.kind is ActionKind.DELETE:
            self._delete(action)
            return ActionOutcome(action, Status.DONE)
        return self._recreate(action)

    def _delete(self, action: Action) -> None:
        """Delete through the client, which settles an error by reading the zone. When even that
        read failed, the app's configuration goes to the journal: it may be gone."""
        assert action.app_id is not None
        try:
            settled = self.client.delete_app(action.zone_id, action.app_id)
        except Exception as error:
            if isinstance(error, UnclearWriteError) and not error.known:
                self._note("delete-unknown", **describe(action), before=action.before)
                detail = f"{error}; its configuration is in the journal"
                raise StepFailed(detail, error.codes) from None
            raise StepFailed.of(error) from None
        if settled is not None:  # answered with an error, yet the app is gone: it was deleted
            self._note("delete-settled", **describe(action), detail=str(settled))

    def _create(self, action: Action, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """Create, then make the app exactly ``body``: where the API filled a default other than
        the one this tool assumes (``ip_firewall``'s is undocumented), one PUT corrects it."""
        created = self.client.create_app(action.zone_id, action.key, body)
        if normalize_app(created) == normalize_app(body):
            return created
        app_id = str(created.get("id"))
        fix = carried(update_body(body, created), unknown_fields(created))
        log.info("create: %s came back with other defaults; setting them", action.key)
        try:
            return self.client.update_app(action.zone_id, app_id, fix)
        except Exception as error:
            failed = StepFailed.of(error)
            detail = (
                f"created as id {app_id}, but correcting the defaults the API filled in failed "
                f"({failed.detail}); run apply again"
            )
            raise Unsettled(app_id, detail, failed.codes) from None

    def _recreate(self, action: Action) -> ActionOutcome:
        """Delete, create; if the create fails, bring the old app back from ``before``."""
        assert action.app_id is not None and action.before is not None
        self.journal.write("recreate-old-kept", **describe(action), before=action.before)
        self._delete(action)
        try:
            created = self._create(action, _body(action.body))
        except Unsettled as unsettled:  # the new app exists: nothing to restore
            return ActionOutcome(
                action, Status.FAILED, unsettled.detail, unsettled.app_id, unsettled.codes
            )
        except Exception as error:
            failed = StepFailed.of(error)
            restored, note = self._restore(action)
            return ActionOutcome(
                action,
                Status.FAILED,
                f"create failed ({failed.detail}); {note}",
                new_app_id=restored,
                codes=failed.codes,
            )
        return ActionOutcome(action, Status.DONE, new_app_id=str(created.get("id")))

    def _restore(self, action: Action) -> tuple[str | None, str]:
        """Create the old app of ``action`` again from ``before``: (its new id, what happened)."""
        assert action.before is not None
        try:
            restored = self._create(action, restore_body(action.before))
        except Unsettled as unsettled:
            restored_as = f"the old app was restored as id {unsettled.app_id}"
            return unsettled.app_id, f"{restored_as}: {unsettled.detail}"
        except Exception as second:
            self._note("restore-failed", **describe(action), before=action.before)
            return None, (
                f"restoring the old app ALSO failed ({StepFailed.of(second).detail}). "
                "Its configuration is in the plan's 'before' and the journal: create it by hand"
            )
        new_id = str(restored.get("id"))
        self._note("restored", **describe(action), new_app_id=new_id)
        return new_id, f"the old app was restored unchanged as id {new_id}"

    def _undo_recreate(self, outcome: ActionOutcome) -> ActionOutcome:
        """A recreate written but not journalled: remove the new app, bring the old one back."""
        action = outcome.action
        try:
            self._delete(dataclasses.replace(action, app_id=outcome.new_app_id))
        except StepFailed as error:
            detail = f"{outcome.detail}; undoing it failed, the new app stays ({error.detail})"
            return dataclasses.replace(outcome, detail=detail)
        new_id, note = self._restore(action)
        detail = f"{outcome.detail}; undone: the new app was removed and {note}"
        return self._noted(ActionOutcome(action, Status.FAILED, detail, new_app_id=new_id))

    def _noted(self, outcome: ActionOutcome) -> ActionOutcome:
        try:
            self._journal_outcome(outcome)
        except OutputFileError as error:
            log.error("journal: the outcome of an undo could not be written (%s)", error)
        return outcome

    def _undo(
        self,
        unit: Replace,
        outcomes: dict[int, ActionOutcome],
        failed: Action,
        written: set[int],
    ) -> None:
        """Put a failed replace back: remove its new apps, create its deleted apps again."""
        why = f"undone because {failed.key} failed"
        original = outcomes[id(failed)].detail
        for action in unit.creates:
            outcome = outcomes[id(action)]
            if outcome.new_app_id:  # created (and perhaps left unsettled): remove it again
                new = dataclasses.replace(action, app_id=outcome.new_app_id)
                try:
                    self._delete(new)
                    removed = ActionOutcome(action, Status.FAILED, f"{why}: removed again")
                    outcomes[id(action)] = removed
                except StepFailed as error:
                    detail = f"{why}, but removing it failed ({error.detail})"
                    outcomes[id(action)] = dataclasses.replace(outcome, detail=detail)
        notes = []
        for action in unit.deletes:
            if id(action) not in written:
                continue
            new_id, note = self._restore(action)
            notes.append(f"{action.key}: {note}")
            outcomes[id(action)] = self._noted(
                ActionOutcome(action, Status.FAILED, f"{why}: {note}", new_app_id=new_id)
            )
        if notes:
            detail = f"{original}; " + "; ".join(notes)
            outcomes[id(failed)] = dataclasses.replace(outcomes[id(failed)], detail=detail)


def _body(body: Mapping[str, Any] | None) -> Mapping[str, Any]:
    assert body is not None, "creates and updates carry a request body"
    return body


def describe(action: Action) -> dict[str, Any]:
    """The fields that name an action in every journal line about it."""
    return {
        "action": action.kind.value,
        "zone": action.key.zone,
        "zone_id": action.zone_id,
        "app_id": action.app_id,
        "dns_name": action.key.dns_name,
        "protocol": action.key.protocol,
    }
