"""Outbound HTTP safety: internal addresses refused in every spelling, and on every hop."""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from flows.nodes.outbound import (
    AllowRule,
    OutboundRefused,
    check_destination,
    guarded_client,
    is_public,
)


@pytest.fixture(autouse=True)
def nothing_allowed(settings):
    settings.BATON_HTTP_ALLOW = []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost/",
        "http://127.1/",
        "http://2130706433/",  # 127.0.0.1 as one number
        "http://0x7f.0.0.1/",  # hexadecimal
        "http://0177.0.0.1/",  # octal
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",  # IPv4-mapped IPv6
        "http://[::ffff:7f00:1]/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[fd00:ec2::254]/",  # AWS metadata over IPv6
        "http://[fe80::1]/",
        "http://100.64.0.1/",  # carrier-grade NAT
        "http://[64:ff9b::a00:1]/",  # NAT64 of 10.0.0.1
        "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    ],
)
def test_it_refuses_internal_addresses_in_every_spelling(url):
    with guarded_client(timeout=2) as client:
        # Our guard refuses it, or httpx already refuses to parse such a spelling.
        with pytest.raises((OutboundRefused, httpx.InvalidURL)) as refused:
            client.get(url)
    if isinstance(refused.value, OutboundRefused):
        assert "refusing to connect" in str(refused.value)


def test_it_refuses_other_schemes():
    with guarded_client(timeout=2) as client:
        with pytest.raises((OutboundRefused, httpx.UnsupportedProtocol)):
            client.get("file:///etc/passwd")


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_are_public(address):
    assert is_public(ipaddress.ip_address(address))


def test_the_allow_list_takes_addresses_networks_names_and_ports(settings):
    settings.BATON_HTTP_ALLOW = ["127.0.0.1:8080", "10.0.0.0/8", "localhost"]
    assert str(check_destination("127.0.0.1", 8080)) == "127.0.0.1"
    with pytest.raises(OutboundRefused):
        check_destination("127.0.0.1", 8081)
    assert str(check_destination("10.20.30.40", 443)) == "10.20.30.40"
    check_destination("localhost", 1234)
    rule = AllowRule.parse("[::1]:11434")
    assert rule.allows("x", ipaddress.ip_address("::1"), 11434)
    assert not rule.allows("x", ipaddress.ip_address("::1"), 80)


def test_a_redirect_to_an_internal_address_is_refused_on_that_hop(settings, http_server):
    # The test server itself is allowed; where it redirects to is not.
    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{http_server.port}"]
    with guarded_client(timeout=5) as client:
        assert client.get(http_server.url + "/json").status_code == 200
        for target in ("http://127.0.0.1:1/", "http://169.254.169.254/", "http://[::1]:80/"):
            with pytest.raises(OutboundRefused):
                client.get(http_server.url + "/redirect?to=" + target)
        allowed_hop = client.get(http_server.url + "/redirect?to=" + http_server.url + "/json")
        assert allowed_hop.json()["ok"] is True


def test_it_connects_to_the_address_it_checked(settings, http_server, monkeypatch):
    """A second DNS answer (rebinding) cannot swap the address after the check."""
    import socket

    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{http_server.port}"]
    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9"])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.test":
            return real(next(answers), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    with guarded_client(timeout=5) as client:
        response = client.get(f"http://rebind.test:{http_server.port}/echo")
    assert response.status_code == 200
    assert response.json()["headers"]["Host"] == f"rebind.test:{http_server.port}"
