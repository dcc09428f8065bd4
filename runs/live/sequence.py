"""Events of one run in `seq` order.

Several worker processes commit a run's events, so they can reach a web process out of
order, or (rarely, while Redis reconnects) not at all. A `SeqBuffer` holds an event back
until the ones before it have come; a gap that does not fill within GAP_WAIT_SECONDS is
the caller's cue to send a fresh snapshot instead, so a client's picture is always whole.
"""

from __future__ import annotations

import time
from typing import Any

GAP_WAIT_SECONDS = 0.5


class SeqBuffer:
    def __init__(self) -> None:
        self.last_seq = 0
        self.held: dict[int, dict[str, Any]] = {}
        self.gap_since: float | None = None

    def restart_at(self, seq: int) -> None:
        """A snapshot of `seq` was sent: what it covers is dropped."""
        self.last_seq = seq
        self.held = {s: e for s, e in self.held.items() if s > seq}
        self.gap_since = None

    def add(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event["seq"] > self.last_seq:
                self.held[event["seq"]] = event

    def release(self) -> list[dict[str, Any]]:
        """The events that now follow on without a gap, in order."""
        ready = []
        while self.last_seq + 1 in self.held:
            self.last_seq += 1
            ready.append(self.held.pop(self.last_seq))
        if not self.held:
            self.gap_since = None
        elif self.gap_since is None:
            self.gap_since = time.monotonic()
        return ready

    def gap_overdue(self, now: float | None = None) -> bool:
        """A gap has been open for longer than it should take an event to arrive."""
        if self.gap_since is None:
            return False
        return (now if now is not None else time.monotonic()) - self.gap_since >= GAP_WAIT_SECONDS
