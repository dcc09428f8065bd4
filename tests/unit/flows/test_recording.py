"""The outbound door's tape, without a network: fingerprints, caps, replay order, misses."""

from __future__ import annotations

import json

import httpx
import pytest

from flows.nodes.recording import (
    CURRENT_TAPE,
    Answer,
    Fingerprint,
    Recorded,
    ReplayMiss,
    Tape,
    TapeTransport,
    fingerprint,
)

SECRET = "sk-secret-value-123"


def redact(text: str) -> str:
    return text.replace(SECRET, "[redacted]")


class Memory:
    """A replay source over exchanges kept by a recording tape."""

    def __init__(self, recorded: list[Recorded]):
        self.recorded = recorded

    def answers(self, key, node_id, attempt):
        return [Answer("run-1", "n", r.status, r.headers, r.body, r.body_base64, r.truncated, r.size, r.note)
                for r in self.recorded if r.fingerprint.key == key]

    def requests(self):
        return [("run-1", "n", r.fingerprint) for r in self.recorded]


def client(handler) -> httpx.Client:
    return httpx.Client(transport=TapeTransport(httpx.MockTransport(handler)))


def taped(tape: Tape, call):
    token = CURRENT_TAPE.set(tape)
    try:
        return call()
    finally:
        CURRENT_TAPE.reset(token)


def test_a_fingerprint_leaves_out_headers_key_order_and_secrets():
    one = httpx.Request("POST", f"https://x.test/v1?key={SECRET}&a=1", json={"b": 1, "a": [1, 2]},
                        headers={"Authorization": f"Bearer {SECRET}", "Idempotency-Key": "k1"})
    two = httpx.Request("POST", f"https://x.test/v1?key={SECRET}&a=1", content=b'{"a": [1,2], "b": 1}',
                        headers={"Idempotency-Key": "k2"})
    assert fingerprint(one, redact) == fingerprint(two, redact)
    assert SECRET not in json.dumps(fingerprint(one, redact).__dict__)
    assert fingerprint(one, redact).body == '{"a":[1,2],"b":1}'


def test_it_records_and_replays_in_order_with_no_network():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(200, json={"n": len(calls), "echo": SECRET},
                              headers={"Set-Cookie": "session=1", "X-Id": "a"})

    recording = Tape(node_id="n", attempt=1, redact=redact)
    with client(handler) as http:
        bodies = taped(recording, lambda: [http.get("https://x.test/a").json() for _ in range(2)])
    assert [b["n"] for b in bodies] == [1, 2]
    kept = recording.exchanges
    assert [json.loads(r.body)["n"] for r in kept] == [1, 2] and SECRET not in kept[0].body
    assert "set-cookie" not in kept[0].headers and kept[0].headers["x-id"] == "a"

    replaying = Tape(node_id="n", attempt=1, redact=redact, replay=Memory(kept))
    with client(handler) as http:
        again = taped(replaying, lambda: [http.get("https://x.test/a").json()["n"] for _ in range(3)])
    assert again == [1, 2, 2]  # the n-th identical request gets the n-th answer; then the last
    assert len(calls) == 2 and replaying.answered_from == ["run-1"] * 3

    with client(handler) as http, pytest.raises(ReplayMiss) as miss:
        taped(replaying, lambda: http.get("https://x.test/b"))
    assert "no recorded answer for GET https://x.test/b" in str(miss.value)
    assert "-GET https://x.test/a\n+GET https://x.test/b" in str(miss.value)


def test_an_exchange_over_the_cap_is_kept_as_truncated_and_cannot_be_replayed():
    recording = Tape(node_id="n", attempt=1, redact=redact, max_exchange_bytes=100)
    with client(lambda request: httpx.Response(200, content=b"x" * 500)) as http:
        taped(recording, lambda: http.get("https://x.test/big").read())
    [kept] = recording.exchanges
    assert kept.truncated and kept.body == "" and kept.size == 500
    replaying = Tape(node_id="n", attempt=1, redact=redact, replay=Memory([kept]))
    with client(lambda request: httpx.Response(500)) as http, pytest.raises(ReplayMiss) as miss:
        taped(replaying, lambda: http.get("https://x.test/big"))
    assert "was not kept (it was 500 bytes, over the recording's size cap" in str(miss.value)


def test_without_a_tape_requests_pass_through_unrecorded():
    with client(lambda request: httpx.Response(204)) as http:
        assert http.get("https://x.test/").status_code == 204


def test_binary_bodies_are_kept_as_base64():
    recording = Tape(node_id="n", attempt=1, redact=redact)
    with client(lambda request: httpx.Response(200, content=b"\xff\xfe\x00")) as http:
        taped(recording, lambda: http.get("https://x.test/bin").read())
    replaying = Tape(node_id="n", attempt=1, redact=redact, replay=Memory(recording.exchanges))
    with client(lambda request: httpx.Response(500)) as http:
        assert taped(replaying, lambda: http.get("https://x.test/bin").content) == b"\xff\xfe\x00"
    assert Fingerprint("GET", "u", "").key != Fingerprint("POST", "u", "").key
