from celery import shared_task


@shared_task(name="triggers.fire_due_schedules", ignore_result=True)
def fire_due_schedules() -> int:
    """Celery beat sends this every BATON_SCHEDULE_TICK_SECONDS; any worker runs it."""
    from .services import fire_due_schedules as fire

    return fire()
