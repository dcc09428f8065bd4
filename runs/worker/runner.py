"""Running a queued node in a worker: claim it, run it while keeping its lease, complete it,
and go on with a successor it made ready while the continuation budget lasts."""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from .. import leases
from ..core import engine
from ..effects import EXECUTE_NODE, send_after_commit
from ..execution import Ticket, execute
from ..interrupts import interrupt_main
from ..models import Run
from ..store import release_connection
from .slots import slots

log = logging.getLogger(__name__)


def work_on(node_pk: int) -> None:
    """The body of the execute_node task."""
    owner = leases.lease_owner()
    try:
        with slots.admission() as admit:
            ticket = leases.claim(node_pk, owner, admit=admit)
    except leases.Busy as busy:
        # Its type has no free slot here: back to the queue for a moment, thread freed.
        log.debug("no free slot for a %s node; node %s goes back to the queue", busy, node_pk)
        send_after_commit(EXECUTE_NODE, node_pk, countdown=random.uniform(0.3, 1.5))
        return
    started = time.monotonic()
    while ticket is not None:
        node_type = ticket.spec.type.type
        # The node's wait (HTTP, a model) holds no database connection: many nodes at once
        # share the process's small pool (what the node's code reads, it gives back too).
        release_connection()
        watch = keeper.watch(ticket)
        try:
            outcome = execute(ticket, cancelled=watch.cancelled.is_set)
        finally:
            keeper.unwatch(watch)
        within_budget = time.monotonic() - started < settings.BATON_CONTINUATION_SECONDS
        try:
            with slots.admission() as admit:
                ticket = leases.complete(
                    ticket, outcome, continue_with=within_budget, admit=admit
                )
        finally:
            slots.give_back(node_type)


@dataclass
class Watch:
    """A node this process is running: its lease to renew, and whether it must stop (its
    run ended elsewhere, or its lease was lost to another worker)."""

    ticket: Ticket
    thread: int = field(default_factory=threading.get_ident)
    cancelled: threading.Event = field(default_factory=threading.Event)
    renewed_at: float = 0.0


class LeaseKeeper:
    """A thread per worker process: renews the leases of the nodes this process runs, and
    tells each when its run is cancelled or failed elsewhere (and interrupts it when it runs
    on the main thread, where a blocking call can be broken)."""

    POLL_SECONDS = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._watches: dict[int, Watch] = {}
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def watch(self, ticket: Ticket) -> Watch:
        watch = Watch(ticket, renewed_at=time.monotonic())
        self._beat(ticket.lease_owner)
        with self._lock:
            self._watches[id(watch)] = watch
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._loop, name="baton-lease", daemon=True)
                self._thread.start()
        return watch

    def unwatch(self, watch: Watch) -> None:
        with self._lock:
            self._watches.pop(id(watch), None)

    def _beat(self, owner: str) -> None:
        try:
            leases.beat(owner)
        except Exception as exc:  # noqa: BLE001 - Redis away: the lease still runs out on its own
            log.debug("lease owner heartbeat failed: %s", exc)

    def _loop(self) -> None:
        renew_every = max(1.0, settings.BATON_LEASE_SECONDS / 3)
        while True:
            time.sleep(min(self.POLL_SECONDS, leases.BEAT_SECONDS))
            with self._lock:
                watches = list(self._watches.values())
            if not watches:
                continue
            self._beat(watches[0].ticket.lease_owner)
            try:
                self._look_after(watches, renew_every)
            except Exception as exc:  # noqa: BLE001 - keep the heartbeat alive
                log.warning("lease heartbeat failed: %s", exc)
            finally:
                release_connection()

    def _look_after(self, watches: list[Watch], renew_every: float) -> None:
        now = time.monotonic()
        for watch in watches:
            if now - watch.renewed_at >= renew_every:
                if not leases.extend_lease(watch.ticket.node_pk, watch.ticket.lease_owner):
                    # Another worker took the node over: this attempt's outcome would be
                    # dropped anyway, so it stops now rather than hold a slot.
                    log.warning("lost the lease of node %s of run %s; stopping its attempt",
                                watch.ticket.node_id, watch.ticket.run_id)
                    self._stop(watch)
                    continue
                watch.renewed_at = now
        run_ids = {watch.ticket.run_id for watch in watches}
        statuses = dict(Run.objects.filter(pk__in=run_ids).values_list("pk", "status"))
        for watch in watches:
            status = statuses.get(_uuid(watch.ticket.run_id))
            if status not in engine.ACTIVE_RUN_STATUSES:
                self._stop(watch)

    @staticmethod
    def _stop(watch: Watch) -> None:
        if watch.cancelled.is_set():
            return
        watch.cancelled.set()
        if watch.thread == threading.main_thread().ident:
            interrupt_main("cancelled")


def _uuid(run_id: str):
    import uuid

    return uuid.UUID(run_id)


keeper = LeaseKeeper()
