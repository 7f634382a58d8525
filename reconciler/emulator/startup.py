"""What a start puts in the store: the state file's contents, then what the flags ask for.

In: the ``EmulatorConfig``. Out: the state file, opened and locked (None without ``state_file``),
the ``Store`` it holds, and the store seeded with the flags' prefixes, leased space, zones and
DNS records.
Reads the state file; changes nothing on disk (the caller persists what ``seed`` changed).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reconciler.emulator.accounts import account_name, account_of
from reconciler.emulator.addressing.flags import (
    parse_delegation,
    parse_leased_prefix,
    parse_prefix_spec,
)
from reconciler.emulator.addressing.plane import complete_legacy_state, delegate, lease, onboard
from reconciler.emulator.config import EmulatorConfig
from reconciler.emulator.dns_records import parse_record_spec, seed_record
from reconciler.emulator.persistence import StateFile
from reconciler.emulator.store import Store
from reconciler.emulator.zones import ZoneSeed, parse_zone_spec, plan_object


def open_state(
    config: EmulatorConfig, on_wait: Callable[[], None] | None
) -> tuple[StateFile | None, Store, bool]:
    """(the state file, its store, whether it was saved before); an empty store when the file
    is new or there is none. ``on_wait``: see ``Emulator``."""
    if config.state_file is None:
        return None, Store(), True
    state = StateFile(Path(config.state_file), on_wait=on_wait)
    try:
        document = state.load()
        if document is None:
            return state, Store(), False
        store = Store.from_dict(document, state.path)
        state.baseline(store)
        return state, store, True
    except BaseException:
        state.close()
        raise


def seed(store: Store, config: EmulatorConfig) -> bool:
    """Complete a state file older than the address plane, onboard ``byoip_prefixes``, lease
    ``leased_prefixes``, lend ``delegations``, create ``zones`` (a flag's plan and account win
    over saved ones: no API call changes them), add ``dns_records``; True when any of it changed
    the store."""
    legacy = bool(store.prefixes) and not store.bindings
    complete_legacy_state(store)
    changed = [legacy]
    changed += [onboard(store, parse_prefix_spec(spec)) for spec in config.byoip_prefixes]
    changed += [lease(store, parse_leased_prefix(cidr)) for cidr in config.leased_prefixes]
    changed += [delegate(store, parse_delegation(spec)) for spec in config.delegations]
    changed += [_zone(store, parse_zone_spec(spec)) for spec in config.zones]
    changed += [seed_record(store, parse_record_spec(spec)) for spec in config.dns_records]
    return any(changed)


def _zone(store: Store, seed: ZoneSeed) -> bool:
    account_id = account_of(store, seed.account)
    account = {"id": account_id, "name": account_name(store, account_id)}
    zone, created = store.ensure_zone(seed.name, account=account)
    plan = plan_object(seed.plan)
    if zone["plan"] == plan and zone["account"] == account:
        return created
    zone["plan"], zone["account"] = plan, account
    return True
