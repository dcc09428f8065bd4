"""The Celery app shared by web processes (which send tasks, by name: runs.effects) and
workers (which run them). What only workers need — the task modules, the maintenance
bootstep — is named here as strings and imported by the worker alone."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator_site.settings")

app = Celery("orchestrator_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Imported by workers when they start (Celery's `imports`), never by web processes.
app.conf.imports = ["runs.worker.tasks", "knowledge.tasks", "triggers.tasks"]
# Celery's Django fixup gives each task's database connections back after it: to the pool
# in queue mode (cheap, and each is checked again before the next task takes it).


# Resolved by name when a worker builds its blueprint.
app.steps["worker"].add("runs.worker.bootstep:MaintenanceStep")


@worker_init.connect
def _warm_up(**kwargs) -> None:
    # Pool processes are forked from the main one and inherit what it has built: build the
    # node catalog (a pydantic model per type) and import NumPy once here, rather than in
    # every pool process's first task, which would delay the first node of each.
    import logging

    from django.conf import settings

    from flows.nodes import catalog
    from flows.nodes.sandbox import isolation_status
    from knowledge import search  # noqa: F401

    catalog()
    if settings.BATON_ALLOW_CODE:
        status = isolation_status()
        if status["problem"]:
            level = logging.WARNING if status["unsafe"] else logging.ERROR
            logging.getLogger("baton.code").log(
                level, "code nodes %s: %s",
                "run WITHOUT isolation" if status["unsafe"] else "are refused", status["problem"],
            )
