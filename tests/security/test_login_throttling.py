"""Guessing passwords: after the limit, an account (from any address) and an address (for
any account) are refused with 429, Retry-After and a page that says how long to wait —
even with the right password — until the cool-off has passed."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str, address: str, path: str = "/login"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_an_account_is_locked_after_the_limit_even_with_the_right_password(alice, settings):
    settings.AXES_FAILURE_LIMIT = 5
    client = Client()
    guesses = [sign_in(client, "alice", f"guess-{n}", f"198.51.100.{n}").status_code for n in range(5)]
    # The form again with its error, and the guess that reaches the limit locks.
    assert guesses == [200] * 4 + [429]
    locked = sign_in(client, "alice", "alice-password", "203.0.113.9")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) >= 60
    assert "Too many failed sign-ins" in locked.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_address_is_locked_for_every_account(alice, bob, settings):
    settings.AXES_FAILURE_LIMIT = 5
    client = Client()
    for n in range(5):
        sign_in(client, f"nobody-{n}", "x", "192.0.2.50")
    assert sign_in(client, "bob", "bob-password", "192.0.2.50").status_code == 429
    # Another address is not concerned.
    assert sign_in(Client(), "bob", "bob-password", "192.0.2.51").status_code == 302


def test_the_admin_sign_in_is_throttled_too(alice, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for n in range(3):
        sign_in(client, "alice", f"guess-{n}", "192.0.2.77", path="/admin/login/")
    assert sign_in(client, "alice", "alice-password", "192.0.2.77", path="/admin/login/").status_code == 429


def test_a_right_password_before_the_limit_resets_the_count(alice, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client()
    for n in range(2):
        sign_in(client, "alice", f"guess-{n}", "192.0.2.90")
    assert sign_in(client, "alice", "alice-password", "192.0.2.90").status_code == 302
    other = Client()
    for n in range(2):
        sign_in(other, "alice", f"guess-{n}", "192.0.2.90")
    assert sign_in(other, "alice", "alice-password", "192.0.2.90").status_code == 302
