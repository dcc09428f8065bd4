"""The outbound guard's idea of "public" comes from the IANA special-purpose registries, not
from `ipaddress.is_global`, which on Python 3.11.7 passes several internal ranges
(CVE-2024-4032 and kin)."""

from __future__ import annotations

import ipaddress

import pytest

from flows.nodes.addresses import (
    IPV4_NOT_PUBLIC,
    IPV6_NOT_PUBLIC,
    embedded_ipv4,
    literal_address,
)
from flows.nodes.outbound import OutboundRefused, check_destination, is_public
from orchestrator_site.problems import Invalid
from runs.callbacks import check_callback_url

# 2001:0:4136:e378:8000:63bf:3fff:fdd2 is RFC 4380's own example; this one has the
# client field 0x80fffffe, which is 127.0.0.1 XORed with all ones.
TEREDO_OF_LOOPBACK = "2001:0:4136:e378:8000:63bf:80ff:fffe"
# A global-looking prefix with an ISATAP interface identifier carrying 10.0.0.1.
ISATAP_OF_PRIVATE = "2606:4700:1::200:5efe:a00:1"

NOT_PUBLIC = [
    "192.0.0.192",  # in 192.0.0.0/24; 3.11.7 calls it global
    "192.0.0.8",  # IPv4 dummy address
    "64:ff9b:1::a9fe:a9fe",  # local-use NAT64 of 169.254.169.254
    "::ffff:0:a9fe:a9fe",  # SIIT (IPv4-translated) of 169.254.169.254
    "fec0::1",  # deprecated site-local
    "::ffff:169.254.169.254",  # IPv4-mapped metadata
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    TEREDO_OF_LOOPBACK,
    ISATAP_OF_PRIVATE,
    "100.64.0.1",  # carrier-grade NAT
    "198.18.0.1",  # benchmarking
    "0.0.0.0",
    "255.255.255.255",
    "224.0.0.1",
    "240.0.0.1",
    "ff02::1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "2001:db8::1",
    "3fff::1",  # documentation (RFC 9637)
    "5f00::1",  # SRv6 SIDs
    "100::1",  # discard-only
    "::a9fe:a9fe",  # deprecated IPv4-compatible
    "64:ff9b::a9fe:a9fe",  # NAT64 well-known prefix of metadata
    "2001:2::1",  # benchmarking
    "4000::1",  # unallocated: outside 2000::/3
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "2606:4700:4700::1111",
    "2001:4860:4860::8888",
    "64:ff9b::808:808",  # what DNS64 answers for 8.8.8.8
    "2001:200::1",  # just past 2001::/23
    "2606:4700:1::200:5efe:808:808",  # ISATAP carrying a public address
]


@pytest.fixture(autouse=True)
def nothing_allowed(settings):
    settings.BATON_HTTP_ALLOW = []


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_special_purpose_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_routable_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


def test_the_embedded_ipv4_forms_are_found():
    def carried(text: str) -> set[str]:
        return {str(inner) for inner in embedded_ipv4(ipaddress.ip_address(text))}

    assert "127.0.0.1" in carried(TEREDO_OF_LOOPBACK)
    assert "10.0.0.1" in carried(ISATAP_OF_PRIVATE)
    assert "10.0.0.1" in carried("fe80::5efe:a00:1")
    assert carried("2002:a9fe:a9fe::1") == {"169.254.169.254"}
    assert carried("64:ff9b:1::a9fe:a9fe") == {"169.254.169.254"}
    assert carried("::ffff:0:a9fe:a9fe") == {"169.254.169.254"}
    assert carried("::ffff:a9fe:a9fe") == {"169.254.169.254"}
    assert carried("2606:4700:4700::1111") == set()


def test_every_table_row_is_of_its_family_and_names_its_source():
    for row in IPV4_NOT_PUBLIC:
        assert row.network.version == 4 and row.source.startswith("RFC")
    for row in IPV6_NOT_PUBLIC:
        assert row.network.version == 6 and row.source.startswith("RFC")


# Each spelling getaddrinfo turns into an address: octal, one number, hex with a short
# form, and IPv6 literals carrying IPv4.
ODD_SPELLINGS = [
    "0177.0.0.1",
    "2130706433",
    "0x7f.1",
    "0x7f.0.0.1",
    "::ffff:127.0.0.1",
    "0300.0.0.0300",  # 192.0.0.192
    "3221225664",  # 192.0.0.192
    "0xc0.0.0xc0",  # 192.0.0.192
    "::ffff:0:a9fe:a9fe",
    "64:ff9b:1::a9fe:a9fe",
    "fec0::1",
]


@pytest.mark.parametrize("host", ODD_SPELLINGS)
def test_check_destination_refuses_odd_spellings(host):
    with pytest.raises(OutboundRefused, match="refusing to connect"):
        check_destination(host, 80)


def test_check_destination_still_honours_the_allow_list(settings):
    settings.BATON_HTTP_ALLOW = ["192.0.0.0/24"]
    assert str(check_destination("0300.0.0.0300", 80)) == "192.0.0.192"


@pytest.mark.parametrize(
    "host, expected",
    [
        ("0177.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("example.com", None),
        ("127.0.0.1 .example.com", None),
    ],
)
def test_literal_address_reads_what_the_resolver_reads_without_asking_dns(host, expected):
    found = literal_address(host)
    assert (str(found) if found is not None else None) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:0:a9fe:a9fe]/hook",
        "https://[64:ff9b:1::a9fe:a9fe]:8443/hook",
        "http://[fec0::1]/",
        "http://192.0.0.192/",
        "http://[2002:a9fe:a9fe::1]/",
        f"http://[{TEREDO_OF_LOOPBACK}]/",
    ],
)
def test_callback_urls_with_non_public_literals_are_refused(url):
    with pytest.raises(Invalid):
        check_callback_url(url)


@pytest.mark.parametrize("url", ["http://0177.0.0.1/", "http://2130706433/", "http://0x7f.1/"])
def test_callback_urls_with_inet_aton_spellings_are_refused_at_validation(url):
    with pytest.raises(Invalid):
        check_callback_url(url)


def test_callback_urls_with_public_literals_are_accepted():
    assert check_callback_url("https://8.8.8.8/hook") == "https://8.8.8.8/hook"
    assert (
        check_callback_url("https://[2606:4700:4700::1111]/") == "https://[2606:4700:4700::1111]/"
    )
