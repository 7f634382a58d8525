"""The address-map reads: which of an account's static IPs outside its own prefixes Cloudflare's
address maps list — IPs leased to it, or lent to it by another account's delegation.

In: the client's transport (so its one limiter paces these reads too), an account id and the
addresses asked about. Out: ``MappedIPs``. Requests, only for an account with such addresses:
``GET /accounts/{id}/addressing/address_maps`` once, then ``GET .../address_maps/{map_id}`` for
the maps in turn — Cloudflare-made ones (``can_modify_ips: false``: the leased map) first — until
every address asked about is found or no map is left; what was read is kept for the run.

A token that may not read address maps is not an error: the check then warns as before, saying
the maps could not be read and which permission reads them.
"""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from reconciler.checks.addressing import Address, MappedIPs
from reconciler.errors import AuthError, NotFoundError, PermissionDeniedError, TransportError
from reconciler.live.cloudflare.envelope import object_result
from reconciler.live.cloudflare.transport import Transport

UNREADABLE = "the token lacks Account > Address Maps > Read"
Lister = Callable[[str], list[Mapping[str, Any]]]


@dataclass
class _Account:
    """What was read of one account's maps: the addresses seen and the maps not read yet."""

    pending: list[str]
    found: set[Address] = field(default_factory=set)


class AddressMapReader:
    """Reads an account's address maps, as far as a question needs, once per run."""

    def __init__(self, transport: Transport, lister: Lister) -> None:
        self._transport = transport
        self._list = lister  # the address reader's whole-listing read
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Lock()  # one account is read by one thread at a time

    def mapped(self, account_id: str, wanted: frozenset[Address]) -> MappedIPs:
        base = f"/accounts/{account_id}/addressing/address_maps"
        with self._lock:
            try:
                known = self._accounts.get(account_id) or self._start(base)
            except (PermissionDeniedError, AuthError):
                return MappedIPs(unread=UNREADABLE)
            except NotFoundError:
                known = _Account([])
            self._accounts[account_id] = known
            while known.pending and not wanted <= known.found:
                map_id = known.pending.pop(0)
                path = f"{base}/{map_id}"
                known.found |= _ips(
                    object_result(self._transport.request("GET", path), "GET", path)
                )
            return MappedIPs(frozenset(wanted & known.found))

    def forget(self) -> None:
        """Drop what was read: the next question reads the maps again."""
        with self._lock:
            self._accounts.clear()

    def _start(self, base: str) -> _Account:
        maps = self._list(base)
        ids = [str(m.get("id") or "") for m in sorted(maps, key=_cloudflare_made_first)]
        if not all(ids):
            raise TransportError("GET", base, status=200, detail="an address map without an id")
        return _Account(ids)


def _cloudflare_made_first(item: Mapping[str, Any]) -> bool:
    return item.get("can_modify_ips") is not False


def _ips(address_map: Mapping[str, Any]) -> set[Address]:
    """The map's addresses; an entry that is not one is skipped (it vouches for nothing)."""
    found: set[Address] = set()
    for entry in address_map.get("ips") or ():
        text = entry.get("ip") if isinstance(entry, Mapping) else None
        try:
            found.add(ipaddress.ip_address(str(text)))
        except ValueError:
            continue
    return found
