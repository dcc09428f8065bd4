"""The Celery app shared by web processes (which send tasks) and workers (which run them)."""

import os

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator_site.settings")

app = Celery("orchestrator_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["runs", "knowledge", "triggers"])
# Celery's Django fixup closes the database connection around every task unless this is
# set; reconnecting to PostgreSQL costs more than a whole node step.
app.conf.CELERY_DB_REUSE_MAX = 500


def _install_worker_steps(app: Celery) -> None:
    # Imported late: the step module needs Django's apps to be ready.
    from runs.worker import MaintenanceStep, install_process_hooks

    app.steps["worker"].add(MaintenanceStep)
    install_process_hooks()


_install_worker_steps(app)


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
