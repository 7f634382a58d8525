"""The one glob matcher of a zone's ``ignore`` and ``protect`` patterns. Pure.

In: a pattern as written in a zone file and an app's DNS name. Out: whether the pattern covers
the name. Every place that asks — the plan (which live apps it may delete), the guardrails (what
is protected, what counts as managed) and the validation rules (an ignore pattern must not cover
a declared app) — asks here, so they cannot drift apart.
"""

from __future__ import annotations

import fnmatch


def matches(pattern: str, dns_name: str) -> bool:
    """Whether ``pattern`` covers ``dns_name``: ``fnmatch`` globs (``*``, ``?``, ``[...]``),
    case-insensitive, with a trailing dot ignored on both (``a.example.com.`` is fully qualified
    ``a.example.com``, as DNS writes it)."""
    return fnmatch.fnmatchcase(_plain(dns_name), _plain(pattern))


def _plain(name: str) -> str:
    return name.lower().rstrip(".")
