"""The Celery app shared by web processes (which send tasks) and workers (which run them)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator_site.settings")

app = Celery("orchestrator_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["runs", "triggers"])
# Celery's Django fixup closes the database connection around every task unless this is
# set; reconnecting to PostgreSQL costs more than a whole node step.
app.conf.CELERY_DB_REUSE_MAX = 500


def _install_worker_steps(app: Celery) -> None:
    # Imported late: the step module needs Django's apps to be ready.
    from runs.worker import MaintenanceStep

    app.steps["worker"].add(MaintenanceStep)


_install_worker_steps(app)
