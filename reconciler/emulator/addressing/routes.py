"""The address plane's route table: path shapes under ``/accounts/{account_id}/addressing``.

In: nothing. Out: ``ROUTES``, (path shape, handlers by method) pairs that the router in
``handlers`` adds to its table. Pure.
"""

from __future__ import annotations

from reconciler.emulator.addressing.bgp import (
    create_bgp_prefix,
    delete_bgp_prefix,
    edit_bgp_prefix,
    edit_bgp_status,
    get_bgp_prefix,
    get_bgp_status,
    list_bgp_prefixes,
)
from reconciler.emulator.addressing.delegations import (
    create_delegation,
    delete_delegation,
    list_delegations,
)
from reconciler.emulator.addressing.maps import get_address_map, list_address_maps
from reconciler.emulator.addressing.prefixes import (
    create_binding,
    delete_binding,
    get_binding,
    get_prefix,
    list_bindings,
    list_prefixes,
    list_services,
)
from reconciler.emulator.backend import Handler

_ACCOUNT = ("accounts", "{account_id}", "addressing")
_PREFIX = (*_ACCOUNT, "prefixes", "{prefix_id}")

# (path shape, handlers by method); the router in ``handlers`` adds these to its table.
ROUTES: tuple[tuple[tuple[str, ...], dict[str, Handler]], ...] = (
    ((*_ACCOUNT, "services"), {"GET": list_services}),
    ((*_ACCOUNT, "prefixes"), {"GET": list_prefixes}),
    (_PREFIX, {"GET": get_prefix}),
    ((*_PREFIX, "bindings"), {"GET": list_bindings, "POST": create_binding}),
    ((*_PREFIX, "bindings", "{binding_id}"), {"GET": get_binding, "DELETE": delete_binding}),
    ((*_PREFIX, "bgp", "prefixes"), {"GET": list_bgp_prefixes, "POST": create_bgp_prefix}),
    (
        (*_PREFIX, "bgp", "prefixes", "{bgp_prefix_id}"),
        {"GET": get_bgp_prefix, "PATCH": edit_bgp_prefix, "DELETE": delete_bgp_prefix},
    ),
    ((*_PREFIX, "bgp", "status"), {"GET": get_bgp_status, "PATCH": edit_bgp_status}),
    ((*_PREFIX, "delegations"), {"GET": list_delegations, "POST": create_delegation}),
    ((*_PREFIX, "delegations", "{delegation_id}"), {"DELETE": delete_delegation}),
    ((*_ACCOUNT, "address_maps"), {"GET": list_address_maps}),
    ((*_ACCOUNT, "address_maps", "{address_map_id}"), {"GET": get_address_map}),
)
