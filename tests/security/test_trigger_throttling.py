"""Trigger URLs are throttled by their verified token: junk sent with a real token's public
prefix spends the sender's own allowance, never the real trigger's."""

from __future__ import annotations

import pytest

from runs.models import Run
from tests.helpers import edge, graph, make_flow, node
from triggers.models import TriggerToken

pytestmark = pytest.mark.django_db

HELLO = graph([node("in", "input"), node("out", "output")], [edge("in", "out")])


def test_junk_on_a_real_prefix_does_not_throttle_the_real_trigger(alice, client, settings):
    settings.BATON_TRIGGER_RATE = (5, 60)
    settings.BATON_TRIGGER_JUNK_RATE = (10, 60)
    _token, raw = TriggerToken.issue(make_flow(alice, HELLO), "hook", user=alice)
    junk = raw[:16] + "x" * (len(raw) - 16)
    attacker = [
        client.post(f"/hooks/{junk}/", {}, content_type="application/json", REMOTE_ADDR="203.0.113.7")
        .status_code
        for _ in range(30)
    ]
    assert attacker[:10] == [404] * 10
    assert set(attacker[10:]) == {429}
    real = client.post(f"/hooks/{raw}/", {}, content_type="application/json", REMOTE_ADDR="198.51.100.2")
    assert real.status_code == 201
    assert Run.objects.count() == 1


def test_junk_is_limited_per_client_address(client, settings):
    settings.BATON_TRIGGER_JUNK_RATE = (3, 60)
    first = [client.post("/hooks/bth_nothing-here-at-all/", REMOTE_ADDR="192.0.2.1").status_code for _ in range(4)]
    other = client.post("/hooks/bth_nothing-here-at-all/", REMOTE_ADDR="192.0.2.2").status_code
    assert first == [404, 404, 404, 429]
    assert other == 404
    refused = client.post("/hooks/bth_nothing-here-at-all/", REMOTE_ADDR="192.0.2.1")
    assert int(refused["Retry-After"]) >= 1
