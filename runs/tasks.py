"""Celery tasks: thin wrappers over the scheduler. Node state lives in the database, so
tasks keep no results; they are acknowledged late and given back to the broker when their
worker dies, and every one of them is safe to run twice."""

from celery import shared_task

from . import execution, scheduler

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
}


@shared_task(name="runs.start_run", **TASK_OPTIONS)
def start_run(run_id: str) -> None:
    scheduler.begin_run(run_id)


@shared_task(name="runs.execute_node", **TASK_OPTIONS)
def execute_node(node_pk: int) -> None:
    execution.work_on(node_pk)


@shared_task(name="runs.wake_node", **TASK_OPTIONS)
def wake_node(node_pk: int) -> None:
    scheduler.wake(node_pk)


@shared_task(name="runs.deliver_callback", **TASK_OPTIONS)
def deliver_callback(delivery_id: int) -> None:
    from .callbacks import deliver

    deliver(delivery_id)
