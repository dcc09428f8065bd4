"""How many nodes of one type a worker process runs at once (BATON_NODE_TYPE_LIMITS).

A worker's threads are shared by every kind of node. Without a cap, one dependency that
stops answering (an HTTP endpoint that accepts and never replies, a model stream that
hangs) would hold every thread for its whole timeout and stall unrelated flows. A node
whose type is at its cap is not claimed: its task goes back to the queue for a moment
(runs.worker.runner), and the thread is free for other work.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings


def _limits() -> dict[str, int]:
    concurrency = int(settings.CELERY_WORKER_CONCURRENCY)
    default = max(1, concurrency * 3 // 4)
    limits: dict[str, int] = {"*": default, "code": min(default, os.cpu_count() or 1)}
    limits.update(settings.BATON_NODE_TYPE_LIMITS)
    return limits


class TypeSlots:
    """Counts of running nodes by type in this process (threads pool only: a prefork
    worker runs one node per process, and its concurrency is small anyway)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[str, int] = {}
        self._limits: dict[str, int] | None = None

    def enabled(self) -> bool:
        return settings.BATON_WORKER_POOL == "threads"

    def limit(self, node_type: str) -> int:
        if self._limits is None:
            self._limits = _limits()
        return self._limits.get(node_type, self._limits["*"])

    def take(self, node_type: str) -> bool:
        """One more node of this type, if under its cap."""
        if not self.enabled():
            return True
        with self._lock:
            running = self._running.get(node_type, 0)
            if running >= self.limit(node_type):
                return False
            self._running[node_type] = running + 1
            return True

    @contextmanager
    def admission(self) -> Iterator[Callable[[str], bool]]:
        """A `take` for a claim: the slots it took are given back if the claim fails
        (its step raised, or said Busy), kept if it succeeds."""
        taken: list[str] = []

        def admit(node_type: str) -> bool:
            if self.take(node_type):
                taken.append(node_type)
                return True
            return False

        try:
            yield admit
        except BaseException:
            for node_type in taken:
                self.give_back(node_type)
            raise

    def give_back(self, node_type: str) -> None:
        if not self.enabled():
            return
        with self._lock:
            self._running[node_type] = max(0, self._running.get(node_type, 0) - 1)

    def running(self, node_type: str) -> int:
        return self._running.get(node_type, 0)


slots = TypeSlots()
