"""A loaded desired-state file: its JSON-shaped data and where each value was written.

Made by ``loading`` (through ``yaml_builder``), read by ``validate``, ``schema_problems`` and the
rules to locate every problem. A plain value: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.model import Location

PathKey = tuple[str | int, ...]
Position = tuple[int, int]  # (line, column), 0-based as the YAML parser marks them


@dataclass(frozen=True)
class Document:
    """One loaded file: its JSON-shaped data and where each value (and mapping key) was written.

    ``positions`` maps a path (``("apps", 0, "dns", "name")``) to where the value starts;
    ``key_positions`` maps the same path to where its key starts in the parent mapping; both
    hold 0-based ``(line, column)`` pairs, made into a ``Location`` only when one is asked for
    (problems are rare: a valid run locates one value per app);
    ``unreadable`` holds the paths of values the loader already reported (and stored as null),
    so their schema errors count but are not reported twice.
    """

    name: str
    data: dict[str, Any]
    positions: Mapping[PathKey, Position]
    key_positions: Mapping[PathKey, Position]
    unreadable: frozenset[PathKey] = frozenset()

    def locate(self, path: Iterable[str | int]) -> Location:
        """Where the value at ``path`` was written, else its nearest written ancestor."""
        key = tuple(path)
        while key and key not in self.positions:
            key = key[:-1]
        return self._location(self.positions.get(key, (0, 0)))

    def locate_key(self, path: Iterable[str | int]) -> Location:
        """Where the key of the value at ``path`` was written (for unknown or duplicate fields)."""
        key = tuple(path)
        position = self.key_positions.get(key)
        return self.locate(key) if position is None else self._location(position)

    def _location(self, position: Position) -> Location:
        line, column = position
        return Location(self.name, line + 1, column + 1)
