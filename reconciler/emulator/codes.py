"""Every error code the emulator sends, with its HTTP status and where the pairing comes from.

Every module-level ``Code`` here is one the emulator can send: the refusal corpus
(tests/test_preflight_corpus.py) enumerates them, so a code added later must be listed there.

Codes marked *chosen here* are not documented by Cloudflare (the documented ones are at
https://developers.cloudflare.com/spectrum/reference/error-codes/); they sit in the 119xx
band, which no Cloudflare source uses, so nobody mistakes them for real ones.
docs/emulator.md carries the same table.
"""

from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    """An error code and the HTTP status it travels with."""

    code: int
    status: int


# Authentication and routing: codes seen in issue threads (cloudflare/cloudflare-python#2678 for
# 9106, cloudflare/cloudflare-typescript#161 for 6003, cloudflare/cloudflare-go#118 for 7003/7000).
NO_CREDENTIALS = Code(9106, 400)
BAD_HEADERS = Code(6003, 400)  # error_chain 6111 (Authorization), 6102/6103 (X-Auth-*)
REFUSED_TOKEN = Code(10000, 403)
NO_ROUTE = Code(7003, 400)  # sent together with 7000
NO_ROUTE_DETAIL = Code(7000, 400)
RATE_LIMITED = Code(971, 429)
INTERNAL = Code(10002, 500)  # the status varies: 500, 502 or 503

# Spectrum refusals documented on the error-code page.
ORIGIN_EXCLUSIVE = Code(11000, 400)
ORIGIN_DNS = Code(11001, 400)
ORIGIN_ADDRESS = Code(11002, 400)
DNS_TYPE = Code(11004, 400)
BYOIP_NOT_ENABLED = Code(11018, 403)
EDGE_IPS_NOT_ALLOWED = Code(11019, 400)
EDGE_IP_IN_USE = Code(11033, 400)
VNET_WITH_ORIGIN_DNS = Code(11041, 400)
VNET_MANY_ORIGINS = Code(11042, 400)
VNET_PORT_RANGE = Code(11043, 400)
VNET_NO_ROUTE = Code(11044, 400)
VNET_NOT_UUID = Code(11045, 400)
PROTOCOL_UNAVAILABLE = Code(13002, 400)  # also: a protocol the zone's plan does not include
HOSTNAME_OTHER_ZONE = Code(16001, 400)
PAYGO_UNKNOWN_FIELD = Code(10012, 400)  # below Enterprise: a field beyond protocol/dns/origin
PAYGO_ONE_PER_PROTOCOL = Code(11034, 400)
ORIGIN_CROSS_ZONE = Code(11050, 400)  # origin_dns outside the permitted zones (origin_zone)
IPV4_EXHAUSTED = Code(12005, 400)  # the account's Cloudflare IPv4 hostnames are used up

# The DNS records API (developers.cloudflare.com/dns/, codes from issue threads:
# HermanMartinus/bearblog#105 quotes 81053 with the text below). Spectrum's refusal of a
# hostname with a manual proxied record carries the same text; its code is undocumented, so
# 81053 is the default and ``EmulatorConfig.dns_conflict_code`` changes it.
RECORD_EXISTS = Code(81053, 400)
RECORD_NOT_FOUND = Code(81044, 404)

# Chosen here: Cloudflare documents no code for these.
INVALID_REQUEST = Code(11900, 400)  # malformed JSON, missing/ill-typed field, bad query value
HOSTNAME_PORT_OVERLAP = Code(11901, 400)  # not 409: SDK 5.9.0 retries 409 on its own
PORT_RANGE_SIZE = Code(11902, 400)
TRANSPORT_MISMATCH = Code(11903, 400)  # e.g. proxy_protocol simple on TCP, tls on UDP
# 11904 (UDP + static edge IPs) is retired: UDP works on BYOIP (cloudflare-docs PR #31366).
APP_NOT_FOUND = Code(11905, 404)
UDP_ON_MAGIC_TRANSIT = Code(11906, 400)  # the one real UDP limit: a Magic Transit binding
BINDING_REFUSED = Code(11907, 400)  # a service binding the byoip/service-bindings rules forbid
ADDRESSING_NOT_FOUND = Code(11908, 404)  # unknown prefix, binding or BGP prefix id
HOSTNAME_OUTSIDE_ZONES = Code(11909, 400)  # dns.name in no zone of the account (not 16001)
SPECTRUM_NOT_IN_PLAN = Code(11910, 403)  # a Free zone: Spectrum is not sold on that plan
BGP_PREFIX_ADVERTISED = Code(11911, 400)  # a BGP prefix must be withdrawn before deletion
