"""Live: Cloudflare, read (and written only through ``applying``).

Owns the HTTP client package (``cloudflare/``: envelope, transport with retries, zones and apps,
address-plane reads), the rate limiter, accounts and connections (tokens, ``--sandbox``), read
progress and retry notices, ``probe`` (``verify --probe``'s TCP connect to an app's edge), and
``urls``: the one rule for which URLs may be plain http:// (the
base URL, and ``running``'s webhook).

May import: the ground floor, ``desired``, ``planning``, ``checks`` and ``emulator`` (``--sandbox``
starts one in process).
"""
