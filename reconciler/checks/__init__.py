"""Checks: verdicts on a plan, before anything is written.

Owns the guardrails (``protect``, ``prune``, ``mode``, ``freeze``, the safety gate) and the
address plane (prefixes, bindings, BGP: ``addressing``; a plan's static edge IPs judged against
it: ``static_ips``). Each check returns findings or refusals; none writes. One check comes after
the writes: ``verify`` (is each written app serving), judged from what the shell read.

May import: the ground floor, ``desired`` and ``planning``. What it needs from Cloudflare
arrives through a small protocol the caller fills (the live client), never by importing ``live``.
"""
