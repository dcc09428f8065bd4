"""Model calls against a local server speaking the real OpenAI and Anthropic protocols."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from flows.nodes.base import FatalNodeError, NodeError
from flows.nodes.providers import ChatClient, ChatRequest, ToolSpec, cost_usd, embed, price_of
from runs.redaction import Redactor
from tests.fake_llm import Malformed, Reply, Stall, Status

KEY = "sk-test-provider-key-123456"


@dataclass
class Secret:
    provider: str
    api_key: str = KEY
    base_url: str = ""
    id: int = 1
    name: str = "test"


@pytest.fixture
def allowed(settings, fake_llm):
    settings.BATON_HTTP_ALLOW = [f"127.0.0.1:{fake_llm.port}"]
    settings.BATON_LLM_IDLE_TIMEOUT = 1.0
    settings.BATON_LLM_RETRY_BASE = 0.01
    settings.BATON_LLM_RETRY_MAX_WAIT = 3.0
    settings.BATON_LLM_RETRIES = 3
    return fake_llm


def client(fake_llm, provider: str = "openai", deltas: list | None = None) -> ChatClient:
    redactor = Redactor()
    redactor.add(KEY)
    base = fake_llm.openai_base if provider == "openai" else fake_llm.url
    return ChatClient(Secret(provider, base_url=base), redact=redactor.text,
                      on_delta=(deltas.append if deltas is not None else None))


def ask(text: str = "hello", **options) -> ChatRequest:
    return ChatRequest(model="gpt-4o-mini", messages=[{"role": "user", "content": text}], **options)


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_it_streams_the_reply_as_deltas_and_counts_tokens(allowed, provider):
    allowed.script(Reply("Hello there, Ada!", usage=(42, 7), chunk_chars=3))
    deltas: list[str] = []
    reply = client(allowed, provider, deltas).chat(ask(system="be brief", temperature=0.2, max_tokens=50))
    assert reply.text == "Hello there, Ada!"
    assert "".join(deltas) == reply.text and len(deltas) == 6
    assert (reply.input_tokens, reply.output_tokens) == (42, 7)
    request = allowed.requests[0]
    assert request.key == KEY
    assert request.body["stream"] is True
    assert request.system == "be brief"
    if provider == "anthropic":
        assert request.headers["anthropic-version"] == "2023-06-01"
        assert request.body["max_tokens"] == 50
    else:
        assert request.body["stream_options"] == {"include_usage": True}
        assert request.body["messages"][0] == {"role": "system", "content": "be brief"}


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_it_reads_tool_calls_streamed_in_pieces(allowed, provider):
    allowed.script(Reply("Let me look.", tool_calls=[
        {"name": "lookup", "arguments": {"city": "Zürich", "days": 3}},
        {"name": "run_python", "arguments": {"code": "print(1)"}},
    ]))
    tools = [ToolSpec("lookup", "Weather", {"type": "object", "properties": {"city": {"type": "string"}}})]
    reply = client(allowed, provider).chat(ask(tools=tools))
    assert reply.text == "Let me look."
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [
        ("lookup", {"city": "Zürich", "days": 3}), ("run_python", {"code": "print(1)"})]
    body = allowed.requests[0].body
    if provider == "anthropic":
        assert body["tools"][0]["input_schema"]["properties"]["city"] == {"type": "string"}
    else:
        assert body["tools"][0]["function"]["name"] == "lookup"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_it_sends_tool_results_back_in_each_protocols_shape(allowed, provider):
    messages = [
        {"role": "user", "content": "weather?"},
        {"role": "assistant", "content": "", "tool_calls": [{"id": "c1", "name": "lookup", "arguments": {"city": "Oslo"}}]},
        {"role": "tool", "tool_call_id": "c1", "name": "lookup", "content": "rain"},
    ]
    client(allowed, provider).chat(ChatRequest(model="m", messages=messages))
    sent = allowed.requests[0].body["messages"]
    if provider == "anthropic":
        assert sent[1] == {"role": "assistant", "content": [
            {"type": "tool_use", "id": "c1", "name": "lookup", "input": {"city": "Oslo"}}]}
        assert sent[2] == {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "c1", "content": "rain"}]}
    else:
        assert sent[1]["tool_calls"][0]["function"] == {"name": "lookup", "arguments": '{"city": "Oslo"}'}
        assert sent[2] == {"role": "tool", "tool_call_id": "c1", "content": "rain"}


def test_it_waits_as_long_as_retry_after_says_on_429_and_then_succeeds(allowed):
    allowed.script(Status(429, "slow down", retry_after=1), Reply("done"))
    began = time.monotonic()
    reply = client(allowed).chat(ask())
    assert reply.text == "done"
    assert time.monotonic() - began >= 1.0
    assert len(allowed.requests) == 2


def test_it_retries_server_errors_with_backoff_then_gives_up(allowed, settings):
    settings.BATON_LLM_RETRIES = 2
    allowed.script(Status(500, "boom"), Status(503, "still"), Status(500, "again"), Reply("never"))
    with pytest.raises(NodeError) as failure:
        client(allowed).chat(ask())
    assert not isinstance(failure.value, FatalNodeError)
    assert "500" in str(failure.value) and "again" in str(failure.value) and "3 tries" in str(failure.value)
    assert len(allowed.requests) == 3


def test_a_retry_after_longer_than_allowed_fails_without_waiting(allowed, settings):
    settings.BATON_LLM_RETRY_MAX_WAIT = 2
    allowed.script(Status(429, "come back tomorrow", retry_after=86400))
    began = time.monotonic()
    with pytest.raises(NodeError, match="longer than BATON_LLM_RETRY_MAX_WAIT"):
        client(allowed).chat(ask())
    assert time.monotonic() - began < 1


@pytest.mark.parametrize("code", [400, 401, 403])
def test_client_errors_fail_at_once_with_the_providers_message_redacted(allowed, code):
    allowed.script(Status(code, "bad key", echo_key=True), Reply("never"))
    with pytest.raises(FatalNodeError) as failure:
        client(allowed).chat(ask())
    message = str(failure.value)
    assert f"answered {code}" in message and "bad key" in message
    assert KEY not in message and "[redacted]" in message
    assert len(allowed.requests) == 1


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_stalled_stream_fails_the_attempt_after_the_idle_timeout(allowed, provider):
    allowed.script(Stall("thinking..."))
    deltas: list[str] = []
    began = time.monotonic()
    with pytest.raises(NodeError, match="stalled") as failure:
        client(allowed, provider, deltas).chat(ask())
    assert not isinstance(failure.value, FatalNodeError)
    assert 1.0 <= time.monotonic() - began < 5
    assert deltas == ["thinking..."]


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_malformed_stream_event_fails_the_attempt(allowed, provider):
    allowed.script(Malformed())
    with pytest.raises(NodeError, match="malformed stream event"):
        client(allowed, provider).chat(ask())


def test_a_key_the_provider_echoes_in_its_reply_is_redacted(allowed):
    allowed.script(Reply("Sure.", echo_key=True))
    deltas: list[str] = []
    reply = client(allowed, "openai", deltas).chat(ask())
    assert KEY not in reply.text and "[redacted]" in reply.text
    # The deltas themselves are redacted by the node's context (runs.execution), not here.


def test_a_server_that_ignores_stream_still_answers(allowed, monkeypatch):
    import flows.nodes.providers as providers

    original = providers.ChatClient._openai_request

    def without_stream(self, request):
        url, headers, body = original(self, request)
        return url, headers, {**body, "stream": False}

    monkeypatch.setattr(providers.ChatClient, "_openai_request", without_stream)
    allowed.script(Reply("whole", usage=(3, 1), tool_calls=[{"name": "t", "arguments": {"a": 1}}]))
    reply = client(allowed).chat(ask())
    assert reply.text == "whole" and reply.tool_calls[0].arguments == {"a": 1}
    assert (reply.input_tokens, reply.output_tokens) == (3, 1)


def test_a_loopback_provider_not_allowed_is_refused(settings, fake_llm):
    settings.BATON_HTTP_ALLOW = []
    with pytest.raises(FatalNodeError, match="BATON_HTTP_ALLOW"):
        client(fake_llm).chat(ask())


def test_embeddings_come_back_in_input_order_with_their_tokens(allowed):
    vectors, tokens = embed(Secret("openai", base_url=allowed.openai_base), "emb", ["a b", "c"],
                            redact=lambda s: s)
    assert len(vectors) == 2 and len(vectors[0]) == 64
    assert tokens == 3


def test_prices_match_the_longest_model_prefix(settings):
    settings.BATON_MODEL_PRICES = {"gpt-4o": [2.5, 10.0], "gpt-4o-mini": [0.15, 0.6]}
    assert price_of("gpt-4o-mini-2024-07-18") == (0.15, 0.6)
    assert price_of("openai/gpt-4o") == (2.5, 10.0)
    assert price_of("llama3.2") == (0.0, 0.0)
    assert cost_usd("gpt-4o", 1_000_000, 500_000) == 7.5
