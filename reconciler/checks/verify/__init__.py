"""Pure: after an apply (or for ``verify PATHS``), is each app serving? One verdict per app.

In: ``Target``s (an app as the files want it, the live id it should have now, whether it
carried traffic before a recreate or replace) and ``Observed`` (what the shell read: the zones'
live apps, their DNS records, the accounts' address planes, the apps' current connections and
the probe's connects). Out: an ``AppHealth`` per app — ``healthy``, ``degraded`` (with the
reasons) or ``unknown`` — built from one ``Check`` per check, and a ``Verification`` holding
them all (summary line, JSON).

The checks, one function each (``judge``):

read_back  the live app equals the desired one, both normalized by ``planning.normalize``
dns        the hostname has a DNS record the API marks as Spectrum's own
addresses  each static edge IP can receive traffic (``checks.addressing``' findings)
traffic    an app that carried traffic before a recreate or replace has connections again
probe      a TCP connect to each edge IP and port succeeded (UDP is skipped and said)

Reading and waiting are the shell's (``applying.verifying``); nothing here does I/O.
"""

from __future__ import annotations

from reconciler.checks.verify.judge import judge, traffic_resumed
from reconciler.checks.verify.values import (
    AppHealth,
    Check,
    Health,
    Observed,
    ProbeTarget,
    Target,
    Unread,
    Verification,
    probe_targets,
)

__all__ = [
    "AppHealth",
    "Check",
    "Health",
    "Observed",
    "ProbeTarget",
    "Target",
    "Unread",
    "Verification",
    "judge",
    "probe_targets",
    "traffic_resumed",
]
