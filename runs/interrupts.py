"""Stopping a node's code from outside: its timeout, or its run being cancelled.

Node code runs in the worker process's main thread. A timer (SIGALRM) or another thread
(via pthread_kill) raises NodeInterrupted there, which also breaks a blocking socket read:
Python retries an interrupted system call only when the signal handler returns normally.
Signals are armed only while node code runs, never during our own bookkeeping.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class NodeInterrupted(BaseException):
    """BaseException, so that node code catching Exception does not swallow it."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_state = threading.local()
_armed = False
_reason: str | None = None


def _on_alarm(signum, frame) -> None:
    if _armed:
        raise NodeInterrupted(_reason or "timeout")


def can_interrupt() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def interruptible(timeout: float | None) -> Iterator[None]:
    global _armed, _reason
    if not can_interrupt() or _armed:
        yield
        return
    previous = signal.signal(signal.SIGALRM, _on_alarm)
    _reason = None
    _armed = True
    if timeout:
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def interrupt_main(reason: str) -> bool:
    """From another thread: stop the node code running in the main thread, if any."""
    global _reason
    if not _armed:
        return False
    _reason = reason
    main = threading.main_thread().ident
    assert main is not None  # the main thread has always started
    signal.pthread_kill(main, signal.SIGALRM)
    return True
