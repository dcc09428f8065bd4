"""Recorded exchanges and replay, at the one outbound door.

Every request a node sends (model providers, http nodes, embeddings, agent tools) goes
through the process's guarded client (outbound.py), whose transport is wrapped here. While
a node attempt runs, the engine sets a `Tape` in a context variable:

- recording: each request is sent as usual and its exchange kept (fingerprint → response),
  with credential values redacted and the size capped; the engine stores them with the run;
- replaying: each request is answered from the recorded exchanges of the runs chosen as
  the source, by fingerprint, without any network; a request with no recorded answer fails
  the node with the nearest recorded request and a diff.

A fingerprint is the method, the URL (secrets removed) and the body as canonical JSON
(keys sorted, spacing normalised; text bodies as they are). Headers are left out: they
hold the credentials and volatile values (Idempotency-Key), never what was asked.

The engine (runs.execution, runs.recordings) stores and loads exchanges; this module knows
no models, so node code and the transport stay free of the database.
"""

from __future__ import annotations

import base64
import contextvars
import difflib
import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from .base import FatalNodeError

__all__ = [
    "Answer",
    "CURRENT_TAPE",
    "Fingerprint",
    "Recorded",
    "ReplayMiss",
    "ReplaySource",
    "Tape",
    "TapeTransport",
    "fingerprint",
]

# Response headers not kept: cookies and authentication (credentials of a kind), and how
# the bytes travelled (a replay sends the decoded body in one piece).
DROPPED_HEADERS = frozenset({
    "set-cookie", "set-cookie2", "authorization", "proxy-authorization", "proxy-authenticate",
    "www-authenticate", "cookie", "transfer-encoding", "connection", "keep-alive",
    "content-encoding",
})
# Query parameters that carry credentials in some APIs: their values never reach a fingerprint.
SECRET_PARAMS = frozenset({
    "key", "api_key", "apikey", "access_token", "token", "auth", "signature", "sig",
    "client_secret", "password",
})
DIFF_MAX_LINES = 40
OVER_CAP = ("it was {size} bytes, over the recording's size cap: BATON_RECORDING_MAX_BYTES "
            "per exchange, BATON_RECORDING_MAX_RUN_BYTES per run")
STREAMED_TEXT_FIELDS = frozenset({"content", "text", "arguments", "partial_json"})
QUOTED_SECRET = "its streamed text quoted a credential across events"


class ReplayMiss(FatalNodeError):
    """A request in replay mode that the recordings cannot answer."""


@dataclass(frozen=True)
class Fingerprint:
    method: str
    url: str
    body: str

    @property
    def key(self) -> str:
        text = f"{self.method}\n{self.url}\n{self.body}"
        return hashlib.sha256(text.encode("utf-8", errors="replace")).hexdigest()


def _clean_url(url: str, redact: Callable[[str], str]) -> str:
    parts = urlsplit(url)
    netloc = parts.hostname or ""
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    query = parse_qsl(parts.query, keep_blank_values=True)
    if query:
        query = [(name, "[redacted]" if name.lower() in SECRET_PARAMS else value) for name, value in query]
    # userinfo (user:password@) is dropped: it is a credential, not part of what was asked.
    return redact(urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), "")))


def canonical_body(content: bytes, redact: Callable[[str], str]) -> str:
    if not content:
        return ""
    text = content.decode("utf-8", errors="replace")
    try:
        value = json.loads(text)
    except ValueError:
        return redact(text)
    return redact(json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def fingerprint(request: httpx.Request, redact: Callable[[str], str]) -> Fingerprint:
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = request.read()
    return Fingerprint(request.method.upper(), _clean_url(str(request.url), redact),
                       canonical_body(content, redact))


@dataclass
class Recorded:
    """One exchange as kept: what was asked and what came back (body as text, or base64
    for bytes that are not UTF-8). `truncated`: over a size cap, its body was not kept."""

    fingerprint: Fingerprint
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    body_base64: bool = False
    size: int = 0
    truncated: bool = False
    # Why the body was not kept, when it was not.
    note: str = ""
    seq: int = 0

    def as_row(self) -> dict[str, Any]:
        return {
            "key": self.fingerprint.key, "method": self.fingerprint.method,
            "url": self.fingerprint.url, "request_body": self.fingerprint.body,
            "status": self.status, "headers": self.headers, "body": self.body,
            "body_base64": self.body_base64, "size": self.size, "truncated": self.truncated,
            "note": self.note, "seq": self.seq,
        }


@dataclass(frozen=True)
class Answer:
    """A recorded response, as a replay gives it back; `run_id` is the run it was recorded in."""

    run_id: str
    node_id: str
    status: int
    headers: dict[str, str]
    body: str
    body_base64: bool
    truncated: bool
    size: int
    note: str = ""

    def content(self) -> bytes:
        return base64.b64decode(self.body) if self.body_base64 else self.body.encode("utf-8")


class ReplaySource(Protocol):
    """The recorded exchanges of the runs a replay answers from (runs.recordings)."""

    def answers(self, key: str, node_id: str, attempt: int) -> list[Answer]:
        """The recorded answers to requests with this fingerprint, in the order to give them."""

    def requests(self) -> list[tuple[str, str, Fingerprint]]:
        """(run id, node id, fingerprint) of recorded requests, to find the nearest to a miss."""


class Tape:
    """One node attempt's outbound exchanges: kept (recording), or answered (replaying)."""

    def __init__(
        self,
        *,
        node_id: str,
        attempt: int,
        redact: Callable[[str], str],
        replay: ReplaySource | None = None,
        record: bool = True,
        max_exchange_bytes: int = 1024 * 1024,
    ):
        self.node_id = node_id
        self.attempt = attempt
        self.redact = redact
        self.replay = replay
        self.record = record and replay is None
        self.max_exchange_bytes = max_exchange_bytes
        self.exchanges: list[Recorded] = []
        # Replay: how many answers of each fingerprint this attempt took (the n-th identical
        # request gets the n-th recorded response) and the runs the answers came from.
        self._taken: dict[str, int] = {}
        self.answered_from: list[str] = []
        self._lock = threading.Lock()

    @property
    def replaying(self) -> bool:
        return self.replay is not None

    # replay --------------------------------------------------------------------------------
    def answer(self, request: httpx.Request) -> httpx.Response:
        assert self.replay is not None
        asked = fingerprint(request, self.redact)
        answers = self.replay.answers(asked.key, self.node_id, self.attempt)
        if not answers:
            raise ReplayMiss(self._miss_message(asked))
        with self._lock:
            taken = self._taken.get(asked.key, 0)
            self._taken[asked.key] = taken + 1
        # More identical requests than were recorded: the last answer stands for the rest.
        found = answers[min(taken, len(answers) - 1)]
        if found.truncated:
            raise ReplayMiss(
                f"the recorded answer to {asked.method} {asked.url} was not kept "
                f"({found.note or OVER_CAP.format(size=found.size)}), so it cannot be replayed"
            )
        self.answered_from.append(found.run_id)
        headers = dict(found.headers)
        return httpx.Response(
            found.status, headers=headers, stream=httpx.ByteStream(found.content()),
            request=request, extensions={"baton_replayed": True},
        )

    def _miss_message(self, asked: Fingerprint) -> str:
        assert self.replay is not None
        head = f"no recorded answer for {asked.method} {asked.url} in the replayed runs"
        candidates = self.replay.requests()
        if not candidates:
            return head + ": they recorded no requests at all"
        run_id, node_id, nearest = max(candidates, key=lambda c: _similarity(asked, c[2]))
        diff = _diff(nearest, asked)
        return (f"{head}; the nearest recorded request (node {node_id} of run {run_id}) "
                f"differs:\n{diff}")

    # recording -----------------------------------------------------------------------------
    def keep(self, recorded: Recorded) -> None:
        with self._lock:
            recorded.seq = len(self.exchanges)
            self.exchanges.append(recorded)


def _similarity(asked: Fingerprint, recorded: Fingerprint) -> tuple[float, float, float]:
    """URL first, then body: the recorded request most like the one asked."""
    same_method = 1.0 if asked.method == recorded.method else 0.0
    url = difflib.SequenceMatcher(None, asked.url, recorded.url).ratio()
    matcher = difflib.SequenceMatcher(None, asked.body[:20000], recorded.body[:20000], autojunk=False)
    body = matcher.quick_ratio() if max(len(asked.body), len(recorded.body)) > 20000 else matcher.ratio()
    return (round(url, 2) + same_method, body, url)


def _lines(fp: Fingerprint) -> list[str]:
    lines = [f"{fp.method} {fp.url}"]
    try:
        body = json.dumps(json.loads(fp.body), indent=1, sort_keys=True, ensure_ascii=False)
    except ValueError:
        body = fp.body
    return lines + body.splitlines()


def _diff(recorded: Fingerprint, asked: Fingerprint) -> str:
    lines = list(difflib.unified_diff(_lines(recorded), _lines(asked), "recorded", "this run",
                                      n=1, lineterm=""))
    if len(lines) > DIFF_MAX_LINES:
        lines = lines[:DIFF_MAX_LINES] + [f"… ({len(lines) - DIFF_MAX_LINES} more lines)"]
    return "\n".join(lines)


CURRENT_TAPE: contextvars.ContextVar[Tape | None] = contextvars.ContextVar("baton_tape", default=None)


class _TeeStream(httpx.SyncByteStream):
    """The response's bytes as the caller reads them, kept (up to the cap) for the tape."""

    def __init__(self, inner: httpx.SyncByteStream, on_close: Callable[[bytes, int, bool], None], cap: int):
        self.inner = inner
        self.on_close = on_close
        self.cap = cap
        self.chunks: list[bytes] = []
        self.size = 0
        self.over = False
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.size += len(chunk)
            if not self.over:
                if self.size > self.cap:
                    self.over = True
                    self.chunks = []
                else:
                    self.chunks.append(chunk)
            yield chunk

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.inner.close()
        finally:
            self.on_close(b"".join(self.chunks), self.size, self.over)


class TapeTransport(httpx.BaseTransport):
    """Wraps the guarded transport: passes requests through when no tape is set (callbacks,
    knowledge extraction, nodes while recording is off), else records or replays them."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        tape = CURRENT_TAPE.get()
        if tape is None:
            return self.inner.handle_request(request)
        if tape.replay is not None:
            return tape.answer(request)
        if not tape.record:
            return self.inner.handle_request(request)
        # Taken before sending: the guarded transport rewrites the URL to the checked address.
        asked = fingerprint(request, tape.redact)
        response = self.inner.handle_request(request)
        status = response.status_code
        encoding = response.headers.get("content-encoding", "")
        headers = {
            name: tape.redact(value) for name, value in response.headers.items()
            if name not in DROPPED_HEADERS and not (encoding and name == "content-length")
        }

        def on_close(raw: bytes, size: int, over: bool) -> None:
            recorded = Recorded(asked, status=status, headers=headers, size=size)
            if over or len(asked.body) > tape.max_exchange_bytes:
                recorded.truncated, recorded.note = True, OVER_CAP.format(size=size)
            else:
                content = _decoded(raw, encoding)
                try:
                    text = content.decode("utf-8")
                except UnicodeDecodeError:
                    recorded.body, recorded.body_base64 = base64.b64encode(content).decode(), True
                else:
                    recorded.body = tape.redact(text)
                    if "event-stream" in headers.get("content-type", "") and _quotes_secret(recorded.body, tape.redact):
                        recorded.truncated, recorded.note, recorded.body = True, QUOTED_SECRET, ""
            tape.keep(recorded)

        if response.is_stream_consumed:  # made with its content at hand (a mock, a stub)
            content = response.content
            encoding = ""
            on_close(content if len(content) <= tape.max_exchange_bytes else b"", len(content),
                     len(content) > tape.max_exchange_bytes)
            return response
        assert isinstance(response.stream, httpx.SyncByteStream)
        response.stream = _TeeStream(response.stream, on_close, tape.max_exchange_bytes)
        return response

    def close(self) -> None:
        self.inner.close()


def _quotes_secret(stream: str, redact: Callable[[str], str]) -> bool:
    """Whether the text of an event stream, joined across its events, holds a secret: a
    provider echoing a key streams it in pieces no single event shows whole."""
    pieces: list[str] = []

    def strings(value: Any) -> None:
        # Only the streamed text (OpenAI `content`, `arguments`; Anthropic `text`,
        # `partial_json`): other fields (ids, model) sit between its pieces in each event.
        if isinstance(value, dict):
            for name, item in value.items():
                if isinstance(item, str):
                    if name in STREAMED_TEXT_FIELDS:
                        pieces.append(item)
                else:
                    strings(item)
        elif isinstance(value, list):
            for item in value:
                strings(item)

    for line in stream.splitlines():
        if line.startswith("data:"):
            try:
                strings(json.loads(line[5:]))
            except ValueError:
                pieces.append(line[5:].strip())
    joined = "".join(pieces)
    return redact(joined) != joined


def _decoded(raw: bytes, encoding: str) -> bytes:
    """The body as the client reads it (gzip and the like undone), so a replay, which sends
    no Content-Encoding, gives the same bytes."""
    if not encoding or encoding == "identity" or not raw:
        return raw
    return httpx.Response(200, headers={"content-encoding": encoding}, content=raw).content
