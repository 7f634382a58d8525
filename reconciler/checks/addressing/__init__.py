"""Pure: where an app's static edge IPs land in the account's BYOIP address plane, and whether
traffic to them will reach Spectrum.

In: the account's prefixes, service bindings, BGP advertisements and services as the API returns
them (``plane_from_api``), and the static IPs apps use (``AddressUse``). Out: ``Finding`` values,
each a refusal or a warning naming the app's ``file:line:col``, the IP, its prefix, binding and
advertisement state, and what to do.

Cloudflare refuses a static IP only when the account may not use it (11018/11019/11033). An app on
an address whose binding sends traffic to CDN or Magic Transit, whose binding is still being
provisioned, or whose prefix is withdrawn is created and then simply gets no (or the wrong)
traffic (developers.cloudflare.com/byoip/service-bindings/, spectrum/about/byoip/). So:

refused   ``udp_on_magic_transit``  a UDP app on an IP whose most specific binding is Magic Transit
                                     (cloudflare-docs PR #31366: UDP works with BYOIP, not on MT)
          ``prefix_not_approved``   an IP inside a BYOIP prefix that is not validated (``V``)
warned    ``ip_not_byoip``          in no BYOIP prefix of the account, and in none of its address
                                     maps (leased or delegated IPs are there, and not warned)
          ``binding_not_spectrum``  its most specific binding is CDN or Magic Transit (or none)
          ``binding_provisioning``  its binding is not active yet
          ``prefix_withdrawn``      its prefix (or the BGP prefix covering it) is not advertised

The package: ``plane`` holds the values (and ``describe``), ``from_api`` builds them from the
API's objects, ``check`` judges the IPs apps use; every name is importable from here.
"""

from __future__ import annotations

from reconciler.checks.addressing.findings import (
    PROPAGATION,
    REFUSED_KINDS,
    WARNING_KINDS,
    AddressUse,
    Finding,
    address_of,
    check_addresses,
    outside_prefixes,
)
from reconciler.checks.addressing.from_api import plane_from_api
from reconciler.checks.addressing.plane import (
    Address,
    AddressPlane,
    AddressPlaneError,
    Advertisement,
    Binding,
    MappedIPs,
    Network,
    Prefix,
    describe,
)

__all__ = [
    "PROPAGATION",
    "REFUSED_KINDS",
    "WARNING_KINDS",
    "Address",
    "AddressPlane",
    "AddressPlaneError",
    "AddressUse",
    "Advertisement",
    "Binding",
    "Finding",
    "MappedIPs",
    "Network",
    "Prefix",
    "address_of",
    "check_addresses",
    "describe",
    "outside_prefixes",
    "plane_from_api",
]
