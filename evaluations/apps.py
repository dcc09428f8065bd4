from django.apps import AppConfig


class EvaluationsConfig(AppConfig):
    name = "evaluations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from runs.effects import run_finished

        from .services import on_run_finished

        # A row's run ended: score it and start the next row.
        run_finished.connect(on_run_finished, dispatch_uid="evaluations.rows", weak=False)
