"""I/O: the whole configuration a run's paths belong to — never part of a zone's files.

In: the PATHs a command was given (and ``--zone`` names). Out: a validated ``DesiredState`` that
holds, for every zone the paths declare, every file declaring it under the configuration root.

The configuration root is the nearest directory upward (from each given path) that holds
``spectrum-reconciler.toml``, else the top of the git work tree (a directory holding ``.git``).
Without either, the given paths are the whole configuration, as before. Under the root every
``*.yaml`` / ``*.yml`` file outside hidden directories is a candidate. A candidate "declares"
a zone when its text declares, at its top level, a zone the paths declare (or
``--zone`` names) — ``zone: example.com`` or ``"zone": "example.com"``, by name or id.

Under a marked root such files are loaded with the given paths, each said
(``DesiredState.notes``, with the zone and the root); one that does not load or validate
refuses the run, naming it. So ``apply services.yaml`` sees the ``protect`` of ``byoip.yaml``.
Under a git work tree without the marker they are not loaded unasked — a repository may hold
several environments' files of one zone — and the run is refused, naming each file left out.
Either way a zone is never planned from part of its files.

``--zone NAME`` narrows the run to those zones (``selection``); with no PATH it starts from the
root above the current directory.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from reconciler.desired.document import Document
from reconciler.desired.loading import (
    MAX_FILE_BYTES,
    YAML_SUFFIXES,
    desired_state_from_documents,
    load_documents,
)
from reconciler.desired.selection import select_zones, unknown_zone_names
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.model import DesiredState, Location, Problem

ROOT_MARKER = "spectrum-reconciler.toml"


def find_root(start: str | Path) -> Path | None:
    """The configuration root above ``start`` (a file or directory), or None."""
    here = Path(start).resolve()
    if not here.is_dir():
        here = here.parent
    chain = [here, *here.parents]
    marked = next((d for d in chain if (d / ROOT_MARKER).is_file()), None)
    return marked or next((d for d in chain if (d / ".git").exists()), None)


def load_configuration(
    paths: Sequence[str | Path],
    *,
    zones: Sequence[str] = (),
    cwd: str | Path = ".",
    on_parsed: Callable[[Sequence[Document]], None] | None = None,
) -> DesiredState:
    """The desired state of ``paths`` with every other file of the zones they declare (or, with
    ``zones``, of those zones only); ``ConfigError`` with every problem of every file loaded, or
    naming each file left out under a git work tree that has no marker file.

    ``on_parsed`` hears every document parsed, before any is validated (``plan`` starts its
    reads there, so the network's wait overlaps validation)."""
    if not paths and not zones:
        raise ReconcilerError("give desired-state PATHs, or --zone NAME")
    roots = _roots(paths, cwd)
    documents, problems = load_documents(paths) if paths else ([], [])
    wanted = set(_declared(documents)) | {z.lower().rstrip(".") for z in zones}
    given = {Path(d.name).resolve() for d in documents} | {
        Path(p.location.file).resolve() for p in problems if p.location
    }
    extra = {
        root: [f for f in _declaring(root, wanted) if f.resolve() not in given] for root in roots
    }
    if paths:
        _refuse_left_out({root: files for root, files in extra.items() if not is_marked(root)})
    files = sorted({f for found in extra.values() for f in found})
    more, more_problems = load_documents(files) if files else ([], [])
    if on_parsed is not None:
        on_parsed([*documents, *more])
    state = desired_state_from_documents([*documents, *more], [*problems, *more_problems])
    said = tuple(_said(Path(d.name), d, wanted, roots) for d in more)
    state = dataclasses.replace(state, notes=said)
    return _narrowed(state, zones, roots) if zones else state


def _others(root: Path, wanted: set[str], given: set[Path]) -> list[Path]:
    return [file for file in _declaring(root, wanted) if file.resolve() not in given]


def is_marked(root: Path) -> bool:
    """Whether ``root`` holds the marker file (else it is a git work tree's top)."""
    return (root / ROOT_MARKER).is_file()


def _refuse_left_out(left_out: dict[Path, list[Path]]) -> None:
    """Under a git work tree without the marker, files of the same zone are not loaded unasked
    (they may be another environment's): the run is refused, naming each."""
    problems = [
        Problem(
            Location(str(file), 1, 1),
            "declares a zone the given paths declare, but was not given: a zone is never "
            f"planned from part of its files — give it too, or put {ROOT_MARKER} in {root} "
            "to have every file of the zone loaded",
        )
        for root, files in sorted(left_out.items())
        for file in files
    ]
    if problems:
        raise ConfigError(problems)


def _roots(paths: Sequence[str | Path], cwd: str | Path) -> list[Path]:
    found = {find_root(p) for p in (paths or [cwd])}
    roots = sorted(root for root in found if root is not None)
    if not paths and not roots:
        raise ReconcilerError(
            f"no PATH given and no configuration root above {Path(cwd).resolve()}: give the "
            f"desired-state PATHs, or put a {ROOT_MARKER} at the top of the configuration"
        )
    return roots


def _declared(documents: Sequence[Document]) -> Iterator[str]:
    """The zone names and ids the documents declare, lower case."""
    for document in documents:
        for key in ("zone", "zone_id"):
            value = document.data.get(key)
            if isinstance(value, str) and value:
                yield value.lower().rstrip(".")


def _declaring(root: Path, wanted: set[str]) -> Iterator[Path]:
    """The candidate files under ``root`` whose text declares one of the ``wanted`` zones."""
    if not wanted:
        return
    pattern = _declaration(wanted)
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root).parts
        if file.suffix not in YAML_SUFFIXES or any(p.startswith(".") for p in relative[:-1]):
            continue
        text = _text(file)
        if text is not None and pattern.search(text):
            yield file


def _declaration(wanted: set[str]) -> re.Pattern[str]:
    values = "|".join(re.escape(value) for value in sorted(wanted))
    block = rf"^zone(?:_id)?[ \t]*:[ \t]*[\"']?(?:{values})\.?[\"']?[ \t]*(?:#.*)?$"
    flow = rf"[\"']zone(?:_id)?[\"'][ \t]*:[ \t]*[\"'](?:{values})\.?[\"']"
    return re.compile(f"{block}|{flow}", re.IGNORECASE | re.MULTILINE)


def _text(file: Path) -> str | None:
    try:
        if not file.is_file() or file.stat().st_size > MAX_FILE_BYTES:
            return None
        return file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def _said(file: Path, document: Document, wanted: set[str], roots: Sequence[Path]) -> Problem:
    zone = next((z for z in _declared([document]) if z in wanted), "?")
    where = ", ".join(str(root) for root in roots)
    return Problem(
        Location(str(file), 1, 1),
        f"loaded too: it declares zone {zone} (configuration root {where})",
    )


def _narrowed(state: DesiredState, zones: Sequence[str], roots: Sequence[Path]) -> DesiredState:
    unknown = unknown_zone_names(state, zones)
    if unknown:
        where = ", ".join(str(root) for root in roots) or "the given paths"
        raise ReconcilerError(
            f"--zone {', '.join(unknown)}: no file under {where} declares it — check the name"
        )
    wanted = {z.lower().rstrip(".") for z in zones}
    return select_zones(
        state,
        lambda spec: bool({(spec.name or "").lower(), (spec.zone_id or "").lower()} & wanted),
    )
