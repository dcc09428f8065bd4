from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "runs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import (
            callbacks,
            children,  # noqa: F401 - connects the run_finished receiver
            limits,
        )
        from .effects import run_finished

        # A run's end frees a slot of its team's cap and makes its callback due. Either can
        # fail (the database or broker away for a moment) without the other being skipped
        # or the worker's task failing: the sweeper finds what was left undone.
        run_finished.connect(
            _guarded(limits.on_run_finished), dispatch_uid="runs.limits", weak=False
        )
        run_finished.connect(
            _guarded(callbacks.on_run_finished), dispatch_uid="runs.callbacks", weak=False
        )
        # A team's cap raised or lifted: runs in line may go now, not at the next sweep.
        from django.db.models.signals import post_save

        from accounts.models import Team

        post_save.connect(
            _guarded(limits.on_team_saved), sender=Team, dispatch_uid="runs.limits.team",
            weak=False,
        )


def _guarded(receiver):
    import functools
    import logging

    log = logging.getLogger(receiver.__module__)

    @functools.wraps(receiver)
    def guarded(sender, **kwargs) -> None:
        try:
            receiver(sender, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the sweeper catches up
            log.warning(
                "%s after run %s failed: %s", receiver.__qualname__, kwargs.get("run_id"), exc
            )

    return guarded
