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


@dataclass(frozen=True)
class Document:
    """One loaded file: its JSON-shaped data and where each value (and mapping key) was written.

    ``positions`` maps a path (``("apps", 0, "dns", "name")``) to the value's location;
    ``key_positions`` maps the same path to the location of its key in the parent mapping;
    ``unreadable`` holds the paths of values the loader already reported (and stored as null),
    so their schema errors count but are not reported twice.
    """

    name: str
    data: dict[str, Any]
    positions: Mapping[PathKey, Location]
    key_positions: Mapping[PathKey, Location]
    unreadable: frozenset[PathKey] = frozenset()

    def locate(self, path: Iterable[str | int]) -> Location:
        """Where the value at ``path`` was written, else its nearest written ancestor."""
        key = tuple(path)
        while key and key not in self.positions:
            key = key[:-1]
        return self.positions.get(key, Location(self.name, 1, 1))

    def locate_key(self, path: Iterable[str | int]) -> Location:
        """Where the key of the value at ``path`` was written (for unknown or duplicate fields)."""
        key = tuple(path)
        return self.key_positions.get(key) or self.locate(key)
