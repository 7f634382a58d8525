"""interop.addresses: the ``addresses`` report says why an IP's traffic does not reach Spectrum."""

from __future__ import annotations

import ipaddress

from reconciler.checks.addressing import AddressPlane, Advertisement, Binding, Prefix
from reconciler.interop.addresses import IpUse, report, report_lines

ACCOUNT = "5fa704c76bef37d690ea24620ec2005a"


def lines_for(prefix: Prefix, ip: str) -> list[str]:
    use = IpUse(ACCOUNT, ip, "example.com", "a.example.com", "tcp/22", True, False)
    return report_lines(report([AddressPlane(ACCOUNT, (prefix,))], [use]))


def spectrum_prefix(*, state: str = "active", advertised: bool | None = True) -> Prefix:
    cidr = ipaddress.ip_network("198.51.100.0/24")
    return Prefix(
        "p1",
        cidr,
        "V",
        bindings=(Binding("b1", cidr, "Spectrum", state),),
        advertisements=(Advertisement(cidr, advertised),),
    )


def test_an_ip_that_reaches_spectrum_says_so_plainly() -> None:
    assert "    198.51.100.10: Spectrum, reaches Spectrum" in lines_for(
        spectrum_prefix(), "198.51.100.10"
    )


def test_a_spectrum_ip_that_gets_no_traffic_says_why() -> None:
    withdrawn = lines_for(spectrum_prefix(advertised=False), "198.51.100.10")
    assert "    198.51.100.10: Spectrum, does NOT reach Spectrum: prefix withdrawn" in withdrawn
    provisioning = lines_for(spectrum_prefix(state="provisioning"), "198.51.100.10")
    assert (
        "    198.51.100.10: Spectrum, does NOT reach Spectrum: binding provisioning" in provisioning
    )


def test_one_prefix_is_counted_in_the_singular() -> None:
    assert lines_for(spectrum_prefix(), "198.51.100.10")[0] == f"account {ACCOUNT}: 1 BYOIP prefix"


def test_an_ipv6_prefix_counts_its_room_in_powers_of_two() -> None:
    cidr = ipaddress.ip_network("2001:db8::/48")
    prefix = Prefix("p6", cidr, "V", advertisements=(Advertisement(cidr, True),))
    assert "  prefix 2001:db8::/48 (approved, advertised): 1 in use, 2^80 - 1 of 2^80 free" in (
        lines_for(prefix, "2001:db8::1")
    )


def test_the_free_count_says_which_zones_it_counts() -> None:
    lines = lines_for(spectrum_prefix(), "198.51.100.10")
    assert lines[1] == (
        "  (in use and free count the Spectrum apps of the zones these files declare; other"
        " zones and services of the account are not read)"
    )
