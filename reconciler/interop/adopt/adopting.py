"""Pure: (files, desired state, live zones, selection) -> the files' new texts, checked.

In: the text of every desired-state file the run loaded (by the name locations use), the
``DesiredState`` loaded from them, the live zones read for it, a ``Selection`` and an
optional ``--into`` file. Out: an ``Adoption``: the new text of each file that changes (a
new ``--into`` file has none before), what was adopted, and what was left and why.

Every edit is computed first; then the new files must validate and plan, against the same
live zones, to exactly the drift that was left. Otherwise ``AdoptError`` says why and the
caller writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from reconciler.applying.workflow import drift_of, plan_against
from reconciler.desired.loading import desired_state_from_texts
from reconciler.errors import AdoptError, ConfigError
from reconciler.interop.adopt.edits import FileEdit
from reconciler.interop.adopt.selection import Chosen, Selection, choose
from reconciler.interop.adopt.values import field_edits, new_app
from reconciler.interop.export import desired_state_text
from reconciler.model import AppKey, DesiredApp, DesiredState, LiveZone, ZoneSpec
from reconciler.plan import Action
from reconciler.planning.planner import Drift


@dataclass(frozen=True)
class Adoption:
    """The files to write (name -> (text before, text after); before is None for a new
    file), one line per adopted difference, and one per difference left."""

    files: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)
    adopted: tuple[str, ...] = ()
    left: tuple[str, ...] = ()


def adopt(
    texts: Mapping[str, str],
    desired: DesiredState,
    live: Sequence[LiveZone],
    selection: Selection,
    *,
    into: str | None = None,
) -> Adoption:
    """The edits that write the selected drift into the files; ``AdoptError`` if they cannot
    be made, or the result would not validate or would not plan to the drift left."""
    drift = drift_of(plan_against(desired, live))
    chosen = choose(drift, desired.zones, selection)
    writer = _Writer(texts, desired, live, into)
    adopted = [*writer.changed(chosen.changed), *writer.added(chosen.added)]
    adopted += writer.removed(chosen.removed)
    files = writer.result()
    _check(texts, files, live, drift, chosen)
    return Adoption(files, tuple(adopted), chosen.left)


class _Writer:
    """The files being edited, opened on first use."""

    def __init__(
        self,
        texts: Mapping[str, str],
        desired: DesiredState,
        live: Sequence[LiveZone],
        into: str | None,
    ) -> None:
        self.texts, self.desired, self.live, self.into = texts, desired, live, into
        self.edits: dict[str, FileEdit] = {}
        self.new_file: tuple[str, list[Action]] | None = None

    def file(self, name: str) -> FileEdit:
        if name not in self.edits:
            self.edits[name] = FileEdit(name, self.texts[name])
        return self.edits[name]

    def changed(self, actions: Sequence[Action]) -> list[str]:
        lines = []
        for action in actions:
            declared = self._declared(action)
            edits = field_edits(declared.config, action.before or {})
            self.file(declared.source.file).set_fields(declared.key, edits)
            lines.append(
                f"{action.key} ({action.key.zone}): {', '.join(edits)} at {declared.source}"
            )
        return lines

    def added(self, actions: Sequence[Action]) -> list[str]:
        lines = []
        for action in actions:
            name = self._target(action.key.zone)
            if name in self.texts:
                self.file(name).append(new_app(action.before or {}))
            else:
                self._new_file(name, action)
            lines.append(f"{action.key} ({action.key.zone}): live, appended to {name}")
        return lines

    def removed(self, actions: Sequence[Action]) -> list[str]:
        for action in actions:
            declared = self._declared(action)
            self.file(declared.source.file).remove(declared.key)
        return [f"{a.key} ({a.key.zone}): not live, removed from {a.source}" for a in actions]

    def result(self) -> dict[str, tuple[str | None, str]]:
        files: dict[str, tuple[str | None, str]] = {
            name: (self.texts[name], edit.text()) for name, edit in self.edits.items()
        }
        if self.new_file:
            name, actions = self.new_file
            zone = actions[0].key.zone
            configs = [a.before or {} for a in actions]
            files[name] = (None, desired_state_text({"zone": zone}, configs, out_path=name))
        return {name: (old, new) for name, (old, new) in files.items() if old != new}

    def _declared(self, action: Action) -> DesiredApp:
        for app in self.desired.apps:
            if app.source == action.source:
                return app
        raise AdoptError(f"{action.key}: cannot find where it is declared — run adopt again")

    def _target(self, zone: str) -> str:
        spec = _zone(self.desired.zones, self.live, zone)
        if self.into is None:
            return spec.sources[0].file
        if self.into in self.texts and not any(s.file == self.into for s in spec.sources):
            raise AdoptError(
                f"--into {self.into}: the file does not declare zone {zone}, so it cannot take "
                "that zone's apps — name a file of the zone, or a new file"
            )
        return self.into

    def _new_file(self, name: str, action: Action) -> None:
        if self.new_file is not None and self.new_file[1][0].key.zone != action.key.zone:
            raise AdoptError(
                f"--into {name}: a new file holds one zone, and apps of "
                f"{self.new_file[1][0].key.zone} and {action.key.zone} would go there — "
                "adopt one zone at a time (--zone)"
            )
        self.new_file = (name, [*(self.new_file[1] if self.new_file else []), action])


def _zone(zones: Sequence[ZoneSpec], live: Sequence[LiveZone], name: str) -> ZoneSpec:
    """The declared zone of the live zone ``name`` (declared by its name or its id)."""
    ids = {z.name.lower(): z.zone_id for z in live}
    for spec in zones:
        if (spec.name or "").lower() == name.lower() or spec.zone_id == ids.get(name.lower()):
            return spec
    raise AdoptError(f"zone {name}: no file declares it — run adopt again")


def _check(
    texts: Mapping[str, str],
    files: Mapping[str, tuple[str | None, str]],
    live: Sequence[LiveZone],
    drift: Drift,
    chosen: Chosen,
) -> None:
    """The new files must validate and plan, against ``live``, to the drift not adopted."""
    new = {**texts, **{name: text for name, (_, text) in files.items()}}
    try:
        desired = desired_state_from_texts([(n, t.encode()) for n, t in sorted(new.items())])
    except ConfigError as error:
        first = error.problems[0] if error.problems else error
        raise AdoptError(
            f"the adopted files would not validate ({first}); nothing was written — adopt "
            "fewer apps (--app), or fix the live app and run drift again"
        ) from None
    after = _differences(drift_of(plan_against(desired, live)))
    expected = {d for d in _differences(drift) if d[1] not in chosen.keys}
    unexpected = sorted(after - expected) or sorted(expected - after)
    if unexpected:
        kind, key = unexpected[0]
        raise AdoptError(
            f"after adopting, {key} ({key.zone}) would plan as {kind} instead of matching "
            "live; nothing was written — report this, with the app's live fields"
        )


def _differences(drift: Drift) -> set[tuple[str, AppKey]]:
    actions = (*drift.changed, *drift.unmanaged, *drift.kept, *drift.missing)
    return {(action.kind.value, action.key) for action in actions}
