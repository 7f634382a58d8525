"""Adopting drift: the live apps written back into the desired-state files, layout kept.

In: the files' texts, the state loaded from them, the live zones, what to adopt. Out: the new
texts, checked (``adopting``). The rooms, bottom up: ``values`` (pure: what to write, spelled as
the file spells it), ``roundtrip`` (ruamel.yaml set up to write a file back unchanged),
``layout`` (which lines an edit owns; every other line kept, checked), ``edits`` (one file's
field edits, appended and removed apps), ``selection`` (which drift, and what is left), and
``adopting`` (the whole, validated and re-planned before anything is written).

May import: as ``interop`` (every stage from ``desired`` to ``applying``, and ``render``).
"""

from __future__ import annotations

from reconciler.interop.adopt.adopting import Adoption, adopt
from reconciler.interop.adopt.selection import Selection, parse_app

__all__ = ["Adoption", "Selection", "adopt", "parse_app"]
