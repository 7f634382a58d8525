"""The BYOIP address plane: services, prefixes, service bindings, BGP prefixes, leased space.

In: ``--byoip-prefix`` / ``--leased-prefix`` values at start, and the routes under
``/accounts/{account_id}/addressing``. Out: Cloudflare's objects (SDK 5.9.0 ``Prefix``,
``ServiceBinding``, ``BGPPrefix``, ``ServiceListResponse``, ``AdvertisementStatus*``) and, for the
app rules, where a static edge IP sits. The stored form lives in ``Store`` (plain JSON); a
binding's state is computed on read from its ``active_after`` time, so a restart keeps it honest.

``records``: the services and the stored objects; ``flags``: the start-up flags; ``plane``: what
a start onboards and what the app rules ask; ``lookups``: what the handlers share; ``prefixes``
and ``bgp``: the handlers; ``routes``: their table, which the router in ``handlers`` adds to.
"""
