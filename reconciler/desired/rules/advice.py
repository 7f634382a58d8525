"""Advice: what is allowed but probably not meant. Warnings, never refusals.

In: a :class:`RuleContext`. Out: located problems that ``validate`` prints as warnings (exit 0).
Pure.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator

from reconciler.desired.ports import parse_ports
from reconciler.desired.rules.entries import AppEntry, RuleContext, origin_uri_ports
from reconciler.model import Location, Problem


def hostname_shares_one_static_set(context: RuleContext) -> Iterator[Problem]:
    """Apps on one hostname declare the same static edge IPs.

    Cloudflare ties static IPs to the DNS name: every Spectrum app on a hostname shares its
    addresses (developers.cloudflare.com/spectrum/about/static-ip/). What the API does with two
    different sets is undocumented, so two sets on one name are a question, not an error.
    """
    first: dict[tuple[str, str], tuple[AppEntry, frozenset[str]]] = {}
    for app in context.apps:
        ips = _canonical_set(app.static_ips)
        if not ips:
            continue
        earlier, earlier_ips = first.setdefault((app.zone, app.dns_name), (app, ips))
        if earlier is not app and earlier_ips != ips:
            yield app.problem(
                ("edge_ips", "ips"),
                f"{app.dns_name} {app.protocol} declares static IPs {_show(ips)} but "
                f"{earlier.protocol} on the same hostname (at {earlier.at()}) declares "
                f"{_show(earlier_ips)}; Cloudflare gives all apps on a hostname the same static "
                "IPs — declare one set on every app of the hostname "
                "[static_ips_differ_on_hostname]",
            )


def origin_port_agrees_with_origin_direct(context: RuleContext) -> Iterator[Problem]:
    """``origin_port`` beside an ``origin_direct`` URI that carries another port.

    Cloudflare accepts the pair (Terraform's acceptance test spectrumapplicationconfigbasic.tf
    sends ``origin_direct: tcp://…:23`` with ``origin_port: 22``), but ``origin_port`` is "only
    specified in conjunction with origin_dns" (SDK 5.9.0): traffic goes to the URI's port.
    """
    for app in context.apps:
        origin_port = app.get("origin_port")
        if origin_port is None or app.get("origin_direct") is None:
            continue
        wanted = parse_ports(str(origin_port))
        for uri in app.get("origin_direct", []):
            ports = origin_uri_ports(uri)
            if wanted is None or ports is None or ports == wanted:
                continue
            yield app.problem(
                ("origin_port",),
                f"origin_port {origin_port} beside origin_direct {uri}: Cloudflare sends "
                f"traffic to the port in origin_direct ({ports}) and ignores origin_port — "
                f"remove origin_port, or make it {ports} if that is the port you meant",
            )
            break


def _canonical_set(texts: Iterable[str]) -> frozenset[str]:
    found = set()
    for text in texts:
        try:
            found.add(str(ipaddress.ip_address(str(text).strip())))
        except ValueError:
            continue
    return frozenset(found)


def _show(ips: frozenset[str]) -> str:
    return "[" + ", ".join(sorted(ips)) + "]"


ADVICE: tuple[Callable[[RuleContext], Iterable[Problem]], ...] = (
    hostname_shares_one_static_set,
    origin_port_agrees_with_origin_direct,
)


def advise(context: RuleContext) -> list[Problem]:
    """Every warning every piece of advice finds, in file order."""
    found = [p for rule in ADVICE for p in rule(context)]
    return sorted(found, key=lambda p: p.location or Location("", 0, 0))
