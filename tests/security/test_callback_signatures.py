"""Run callbacks are signed over their time and body, so a captured one cannot be sent
again later: the README's check accepts a fresh delivery and refuses a replay."""

from __future__ import annotations

import re
import time

import pytest

from accounts.models import Team
from runs.callbacks import sign
from tests.helpers import edge, graph, make_flow, node
from tests.integration.test_run_api import received_for
from tests.services import ROOT

HELLO = graph([node("in", "input", key="name"), node("out", "output", key="greeting")],
              [edge("in", "out")])


def readme_check():
    """is_from_baton exactly as README.md prints it."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    code = next(block for block in blocks if "def is_from_baton" in block)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace["is_from_baton"]


def test_the_readme_check_refuses_a_replayed_or_altered_callback():
    is_from_baton = readme_check()
    body = b'{"id": "r1", "status": "succeeded"}'
    now = int(time.time())
    assert is_from_baton(body, sign("s3cret", body, now), "s3cret")
    # The same request, captured and sent again ten minutes later.
    assert not is_from_baton(body, sign("s3cret", body, now - 600), "s3cret")
    assert not is_from_baton(body + b" ", sign("s3cret", body, now), "s3cret")
    assert not is_from_baton(body, sign("other", body, now), "s3cret")
    # A replayer cannot move the time forward without the secret.
    forged = sign("s3cret", body, now - 600).replace(f"t={now - 600}", f"t={now}")
    assert not is_from_baton(body, forged, "s3cret")
    assert not is_from_baton(body, "sha256=deadbeef", "s3cret")


@pytest.mark.worker
def test_a_real_delivery_passes_the_readme_check(running, alice, alice_api, http_server, settings):
    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{http_server.port}"]
    flow = make_flow(alice, HELLO)
    url = f"{http_server.url}/receive?key=timestamped"
    alice_api.post(f"/api/flows/{flow.id}/runs/", {"inputs": {"name": "Ada"}, "callback_url": url},
                   format="json")
    (delivery,) = received_for(http_server, "timestamped", 1)
    secret = Team.objects.get(pk=flow.team_id).webhook_secret
    header = delivery["headers"]["X-Baton-Signature"]
    assert abs(int(delivery["headers"]["X-Baton-Timestamp"]) - time.time()) < 60
    assert readme_check()(delivery["body"], header, secret)
