"""Pure: is a string a zone name? The one answer, shared by files and flags.

Desired-state files are checked against the schema's ``hostname`` definition; ``--zone`` flags
(``export``, ``emulator``) use the same pattern, so a flag never accepts a zone a file would
refuse — ``export --zone 'not a zone!'`` used to write a file that failed ``validate``.
"""

from __future__ import annotations

import json
import re
from functools import cache

from reconciler.desired.validate import desired_state_schema


@cache
def _hostname() -> re.Pattern[str]:
    return re.compile(desired_state_schema()["$defs"]["hostname"]["pattern"])


def zone_name_problem(name: str) -> str | None:
    """Why ``name`` is not a zone name (one phrase ending in the fix), or None when it is."""
    if not name.strip():
        return "a zone name is required — write a domain like example.com"
    if _hostname().fullmatch(name) is None:
        return f"{json.dumps(name)} is not a zone name — write a domain like example.com"
    return None
