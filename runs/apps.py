from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import callbacks, limits
        from .signals import run_finished

        # A run's end frees a slot of its team's cap and makes its callback due.
        run_finished.connect(limits.on_run_finished, dispatch_uid="runs.limits")
        run_finished.connect(callbacks.on_run_finished, dispatch_uid="runs.callbacks")
