"""Starting and keeping child processes (local mode's launcher, the web server's processes):
no Django here, these run before and around it."""

from __future__ import annotations

import ctypes
import signal
import time

# A process that lived less than this died "at once": the pause before starting it again
# doubles each time, up to MAX_PAUSE_SECONDS; one that ran longer is started after 1 s.
QUICK_DEATH_SECONDS = 10.0
MAX_PAUSE_SECONDS = 30.0


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """In a child before exec: the kernel sends it `signum` when its parent dies, however
    the parent dies (Linux; elsewhere nothing happens)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signum)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class RestartPolicy:
    """When to start again a process that exited: soon if it had been running a while,
    later and later while it keeps dying at once (a broken setup must not spin)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.pause = 1.0
        self.due = 0.0
        self.waiting = False  # exited, not started again yet

    def started_now(self) -> None:
        self.started = time.monotonic()
        self.waiting = False

    def exited(self) -> float:
        """Record an exit; the pause before the next start, in seconds."""
        now = time.monotonic()
        quick = now - self.started < QUICK_DEATH_SECONDS
        self.pause = min(self.pause * 2, MAX_PAUSE_SECONDS) if quick else 1.0
        self.due = now + self.pause
        self.waiting = True
        return self.pause

    def is_due(self) -> bool:
        return time.monotonic() >= self.due

