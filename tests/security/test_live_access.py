"""Live streams lose access when it goes: the SSE stream asks the same question as the
websocket (user active, still a member, key usable) and ends when the answer changes."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from accounts.models import ApiKey, Membership
from tests.conftest import join
from tests.helpers import edge, graph, make_flow, node, start
from tests.services import WebServer

pytestmark = pytest.mark.worker


@pytest.fixture(scope="module")
def quick_recheck_server(django_db_setup, django_db_blocker, worker):
    server = WebServer(BATON_WS_ACCESS_CHECK_SECONDS="0.5").start()
    yield server
    server.stop()


def long_flow(user, team):
    return make_flow(
        user,
        graph([node("in", "input"), node("wait", "delay", seconds=60), node("out", "output")],
              [edge("in", "wait"), edge("wait", "out")]),
        team=team,
    )


def follow_until_closed(url: str, key: str, opened: threading.Event) -> dict:
    """Read the stream until the server ends it; say when it ended."""
    result: dict = {}
    headers = {"Authorization": f"Bearer {key}", "Accept": "text/event-stream"}
    with httpx.stream("GET", url, headers=headers, timeout=httpx.Timeout(30, read=25)) as response:
        result["status"] = response.status_code
        for _line in response.iter_lines():
            opened.set()
        result["ended_at"] = time.monotonic()
    return result


def run_stream_then(server, run, raw_key: str, take_access_away) -> float:
    """Seconds between taking access away and the stream's end."""
    opened = threading.Event()
    result: dict = {}
    url = f"{server.url}/api/runs/{run.id}/events/"
    thread = threading.Thread(target=lambda: result.update(follow_until_closed(url, raw_key, opened)))
    thread.start()
    assert opened.wait(10), "the stream did not open"
    taken_at = time.monotonic()
    take_access_away()
    thread.join(20)
    assert not thread.is_alive(), "the stream was still open 20 s after access was taken away"
    assert result["status"] == 200
    return result["ended_at"] - taken_at


def test_a_member_removed_from_the_team_loses_their_sse_stream(running, quick_recheck_server, alice, bob, alice_team):
    join(bob, alice_team, "viewer")
    run = start(long_flow(alice, alice_team), alice)
    _key, raw = ApiKey.issue(bob, "watcher", team=alice_team, scopes=["flows:read"])

    def remove_bob() -> None:
        Membership.objects.filter(user=bob, team=alice_team).delete()

    assert run_stream_then(quick_recheck_server, run, raw, remove_bob) < 5


def test_a_deactivated_user_loses_their_sse_stream(running, quick_recheck_server, alice, bob, alice_team):
    join(bob, alice_team, "viewer")
    run = start(long_flow(alice, alice_team), alice)
    _key, raw = ApiKey.issue(bob, "watcher", team=alice_team, scopes=["flows:read"])

    def deactivate_bob() -> None:
        type(bob).objects.filter(pk=bob.pk).update(is_active=False)

    assert run_stream_then(quick_recheck_server, run, raw, deactivate_bob) < 5


def test_revoking_the_key_ends_its_sse_stream_at_once(running, quick_recheck_server, alice, alice_team):
    from django.db import transaction

    from accounts.api_keys import do_revoke_api_key

    run = start(long_flow(alice, alice_team), alice)
    key, raw = ApiKey.issue(alice, "watcher", team=alice_team, scopes=["flows:read"])

    def revoke() -> None:
        with transaction.atomic():
            do_revoke_api_key(key)

    assert run_stream_then(quick_recheck_server, run, raw, revoke) < 5
