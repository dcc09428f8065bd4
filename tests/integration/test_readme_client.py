"""The Python client in README.md works as printed, against a real Daphne."""

from __future__ import annotations

import re

import pytest

from accounts.models import ApiKey
from tests.helpers import edge, graph, make_flow, node
from tests.services import ROOT

pytestmark = pytest.mark.worker


def readme_client_code() -> str:
    section = (ROOT / "README.md").read_text().split("<!-- BEGIN issue 5")[1]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    return next(block for block in blocks if "def follow" in block)


def test_the_readme_client_starts_a_run_and_follows_it_to_the_end(running, web_server, alice, capsys):
    flow = make_flow(alice, graph(
        [node("in", "input", key="name"), node("wait", "delay", seconds=1.0),
         node("hi", "template", template="Hello {{ input }}"), node("out", "output", key="greeting")],
        [edge("in", "wait"), edge("wait", "hi"), edge("hi", "out")],
    ))
    raw = ApiKey.issue(alice, "readme")[1]
    code = readme_client_code()
    code = code.replace('BATON, KEY, FLOW = "http://127.0.0.1:8000", "bt_...", 7',
                        f'BATON, KEY, FLOW = "{web_server.url}", "{raw}", {flow.id}')
    assert raw in code, "the README's first line of settings changed; update this test"
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("run.snapshot")
    assert "node.status wait succeeded" in printed  # streamed, not only in the snapshot
    assert printed[-1] == "succeeded {'greeting': 'Hello Ada'}"
