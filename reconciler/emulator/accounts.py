"""The emulator's accounts: the default one every seed belongs to unless a flag says ``account=``.

In: an ``account=ID`` option as typed, and the ``Store``. Out: the account id (32 lower-case hex
digits, as Cloudflare's are) or ``ValueError`` naming the flag and the fix, and the set of
accounts the emulator knows (a route naming another answers as Cloudflare does for an id that is
not one of ours). Pure but for the store it is given.
"""

from __future__ import annotations

import re
from typing import TypeGuard

from reconciler.emulator.store import Store

_ACCOUNT_ID = re.compile(r"[0-9a-fA-F]{32}")


def is_account_id(value: object) -> TypeGuard[str]:
    """32 hex digits, in either case, as Cloudflare's account ids are."""
    return isinstance(value, str) and _ACCOUNT_ID.fullmatch(value) is not None


def parse_account(value: str, flag: str) -> str:
    """An ``account=`` value: 32 hex digits, kept in lower case."""
    if not is_account_id(value):
        raise ValueError(
            f"{flag}: account={value} — give the account's id, 32 hex digits like "
            "023e105f4ecef8ad9ca31a8372d0c353"
        )
    return value.lower()


def account_of(store: Store, account: str | None) -> str:
    """``account``, or the emulator's default account when a seed names none."""
    return account or store.account["id"]


def known_accounts(store: Store) -> set[str]:
    """Every account the state names: the default one, the zones', the prefixes', the leases'
    and the delegations' receivers."""
    known = {store.account["id"]}
    known.update(zone["account"]["id"] for zone in store.zones.values())
    known.update(prefix["account_id"] for prefix in store.prefixes)
    known.update(lease["account_id"] for lease in store.leased)
    for delegations in store.delegations.values():
        known.update(d["delegated_account_id"] for d in delegations)
    return known


def account_name(store: Store, account_id: str) -> str:
    """The default account's name; another one is named after its id (chosen)."""
    if account_id == store.account["id"]:
        return store.account["name"]
    return f"Emulated account {account_id[:8]}"
