"""The emulator's state — account, zones, the address plane, DNS records, apps — as one document.

In: calls from the router (already holding the emulator's lock). Out: plain JSON-shaped dicts.
Each stored app also keeps its encoded JSON, made once per write, so listing a page joins
strings instead of encoding the apps again, and journaling a write appends that string.
``to_dict``/``from_dict`` are the whole state; ``sections`` and ``take_app_changes`` are what
``persistence`` journals after each write (files, locking, crash safety: see there).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from reconciler.emulator.state_checks import check_sections

STATE_VERSION = 1
ACCOUNT_NAME = "Emulated account"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

App = dict[str, Any]


def md5_hex(text: str) -> str:
    """Stable 32-hex ids derived from a name (not for security)."""
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def now_rfc3339(after: str | None = None) -> str:
    """UTC with microseconds and ``Z``; strictly later than ``after`` so ``modified_on`` moves."""
    now = datetime.now(timezone.utc)
    if after is not None:
        floor = datetime.strptime(after, TIME_FORMAT).replace(tzinfo=timezone.utc)
        now = max(now, floor + timedelta(microseconds=1))
    return now.strftime(TIME_FORMAT)


DEFAULT_ACCOUNT_ID = hashlib.md5(
    b"spectrum-reconciler emulator account", usedforsecurity=False
).hexdigest()


class Store:
    """Everything Cloudflare would remember, keyed the way the routes look it up."""

    def __init__(self) -> None:
        self.account: dict[str, str] = {
            "id": DEFAULT_ACCOUNT_ID,
            "name": ACCOUNT_NAME,
        }
        self.zones: dict[str, dict[str, Any]] = {}
        self.prefixes: list[dict[str, Any]] = []
        # The address plane (its rules live in ``addressing``): prefix id -> its service
        # bindings / BGP prefixes / delegations to other accounts, and the static IP space
        # Cloudflare leases to each account (``{cidr, account_id, created_at}``).
        self.bindings: dict[str, list[dict[str, Any]]] = {}
        self.bgp_prefixes: dict[str, list[dict[str, Any]]] = {}
        self.delegations: dict[str, list[dict[str, Any]]] = {}
        self.leased: list[dict[str, Any]] = []
        self.dns_records: dict[str, list[dict[str, Any]]] = {}  # zone id -> manual records
        # The clock's offset, the last settle and each app's spans of traffic (``traffic``).
        self.traffic: dict[str, Any] = {}
        self._apps: dict[str, dict[str, App]] = {}
        self._encoded: dict[str, str] = {}  # app id -> its JSON, refreshed on every write
        # (zone id, order, descending) -> apps in that order; lists repeat far more than writes.
        self._sorted: dict[tuple[str, str, bool], list[App]] = {}
        self._app_changes: list[str] = []  # journal changes not yet taken by persistence

    # zones and prefixes -------------------------------------------------------------------
    def ensure_zone(
        self, name: str, zone_id: str | None = None, account: dict[str, str] | None = None
    ) -> tuple[dict[str, Any], bool]:
        """The zone called ``name`` (id = md5(name) unless given), and whether it was created;
        a new zone belongs to ``account`` (``{id, name}``; default: the emulator's account).
        Names are kept in lower case: DNS compares them without case (RFC 4343)."""
        name = name.lower()
        zid = zone_id or md5_hex(name)
        if zid in self.zones:
            return self.zones[zid], False
        self.zones[zid] = _zone(zid, name, account or self.account)
        self._apps.setdefault(zid, {})
        return self.zones[zid], True

    # apps -------------------------------------------------------------------------------
    def zone_apps(self, zone_id: str) -> dict[str, App]:
        """The zone's apps by id (the live dict: callers must not change it)."""
        return self._apps.setdefault(zone_id, {})

    def encoded(self, app_id: str) -> str:
        return self._encoded[app_id]

    def sorted_apps(
        self, zone_id: str, order: str, descending: bool, key: Callable[[App], Any]
    ) -> list[App]:
        """The zone's apps sorted by ``key``; cached until the next write."""
        cache_key = (zone_id, order, descending)
        if cache_key not in self._sorted:
            apps = self.zone_apps(zone_id).values()
            self._sorted[cache_key] = sorted(apps, key=key, reverse=descending)
        return self._sorted[cache_key]

    def put_app(self, zone_id: str, app: App) -> None:
        self.zone_apps(zone_id)[app["id"]] = app
        encoded = self._encoded[app["id"]] = json.dumps(app, separators=(",", ":"))
        self._sorted.clear()
        self._app_changes.append(f'{{"put":{json.dumps(zone_id)},"app":{encoded}}}')

    def delete_app(self, zone_id: str, app_id: str) -> None:
        del self._apps[zone_id][app_id]
        del self._encoded[app_id]
        self._sorted.clear()
        self._app_changes.append(json.dumps({"delete": zone_id, "id": app_id}))

    def clear_apps(self) -> None:
        for apps in self._apps.values():
            apps.clear()
        self._encoded.clear()
        self._sorted.clear()
        empty: dict[str, list[App]] = {zone_id: [] for zone_id in self._apps}
        self._app_changes.append(json.dumps({"section": "apps", "value": empty}))

    def all_apps(self) -> Iterator[tuple[str, App]]:
        """Every (zone id, app) pair of the account."""
        for zone_id, apps in self._apps.items():
            for app in apps.values():
                yield zone_id, app

    # persistence (the files: ``persistence``) ----------------------------------------------
    def sections(self) -> dict[str, Any]:
        """Every persisted part of the state but the apps; a new part must be listed here."""
        return {
            "account": self.account,
            "zones": self.zones,
            "prefixes": self.prefixes,
            "bindings": self.bindings,
            "bgp_prefixes": self.bgp_prefixes,
            "delegations": self.delegations,
            "leased": self.leased,
            "dns_records": self.dns_records,
            "traffic": self.traffic,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            **self.sections(),
            "apps": {zid: list(apps.values()) for zid, apps in self._apps.items()},
        }

    def take_app_changes(self) -> list[str]:
        """The apps written since the last call, as journal changes (JSON objects)."""
        changes, self._app_changes = self._app_changes, []
        return changes

    @classmethod
    def from_dict(cls, doc: Any, path: Path) -> Store:
        """The store a ``to_dict`` document (read from ``path``) describes.

        Raises ``StateFileError`` (naming the file and what is wrong) for a document this
        emulator did not write: another version, or the wrong shape.
        """
        if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
            raise StateFileError(path, f"not an emulator state file of version {STATE_VERSION}")
        try:
            check_sections(doc)
            return cls._from_dict(doc)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            raise StateFileError(path, f"not an emulator state file ({_reason(error)})") from None

    @classmethod
    def _from_dict(cls, doc: dict[str, Any]) -> Store:
        store = cls()
        store.account = doc["account"]
        store.zones = doc["zones"]
        store.prefixes = doc["prefixes"]
        store.bindings = doc.get("bindings", {})  # absent in files older than the address plane
        store.bgp_prefixes = doc.get("bgp_prefixes", {})
        store.delegations = doc.get("delegations", {})  # absent before delegations
        # Before several accounts a lease was a bare CIDR of the one account.
        store.leased = [
            lease if isinstance(lease, dict) else _legacy_lease(lease, store.account["id"])
            for lease in doc.get("leased", [])
        ]
        store.dns_records = doc.get("dns_records", {})  # absent in files older than DNS records
        store.traffic = doc.get("traffic", {})  # absent in files older than traffic
        for zone_id, apps in doc["apps"].items():
            store._apps.setdefault(zone_id, {})
            for app in apps:
                store.put_app(zone_id, app)
        store.take_app_changes()
        return store


class StateFileError(ValueError):
    """A state file that cannot be loaded or written; ``str()`` names the file and the cause."""

    def __init__(self, path: Path, reason: str, *, writing: bool = False) -> None:
        self.path, self.reason, self.writing = path, reason, writing
        super().__init__(f"{path}: {reason}")


def _reason(error: BaseException) -> str:
    """An OS or lookup error as a person reads it: ``No such file or directory``, not a repr."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    if isinstance(error, KeyError):
        return f"no {error.args[0]} field" if error.args else "a field is missing"
    return str(error) or type(error).__name__


def _legacy_lease(cidr: str, account_id: str) -> dict[str, Any]:
    return {"cidr": str(cidr), "account_id": account_id, "created_at": now_rfc3339()}


def _zone(zone_id: str, name: str, account: dict[str, str]) -> dict[str, Any]:
    stamp = now_rfc3339()
    return {
        "id": zone_id,
        "name": name,
        "status": "active",
        "paused": False,
        "type": "full",
        "development_mode": 0,
        "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
        "original_name_servers": [],
        "account": {"id": account["id"], "name": account["name"]},
        "owner": {"id": None, "type": "organization", "email": None},
        "plan": {
            "id": md5_hex("enterprise"),
            "name": "Enterprise Website",
            "legacy_id": "enterprise",
        },
        "meta": {"phishing_detected": False},
        "created_on": stamp,
        "modified_on": stamp,
        "activated_on": stamp,
    }
