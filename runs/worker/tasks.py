"""Celery tasks: thin wrappers over the engine. Node state lives in the database, so tasks
keep no results; they are acknowledged late and given back to the broker when their worker
dies, and every one of them is safe to run twice. Their names are sent by runs.effects."""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .. import callbacks, children, effects, transitions, waits
from . import runner

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    # The database away (restarting, unreachable, the pool exhausted): the task is sent
    # again after 1, 2, 4 … (at most 10) seconds instead of being acknowledged as done
    # with its work undone, so work resumes within seconds of the database's return.
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 1,
    "retry_backoff_max": 10,
    "retry_jitter": True,
    "max_retries": None,
}


@shared_task(name=effects.START_RUN, **TASK_OPTIONS)
def start_run(run_id: str) -> None:
    transitions.begin_run(run_id)


@shared_task(name=effects.EXECUTE_NODE, **TASK_OPTIONS)
def execute_node(node_pk: int) -> None:
    runner.work_on(node_pk)


@shared_task(name=effects.WAKE_NODE, **TASK_OPTIONS)
def wake_node(node_pk: int) -> None:
    waits.wake(node_pk)


@shared_task(name=effects.CANCEL_RUN, **TASK_OPTIONS)
def cancel_run(run_id: str, why: str) -> None:
    children.cancel_children([run_id], why)


@shared_task(name=effects.DELIVER_CALLBACK, **TASK_OPTIONS)
def deliver_callback(delivery_id: int) -> None:
    callbacks.deliver(delivery_id)
