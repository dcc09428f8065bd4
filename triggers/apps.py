from django.apps import AppConfig


class TriggersConfig(AppConfig):
    """Ways runs start without anyone pressing Run: trigger URLs and cron schedules."""

    name = "triggers"
    default_auto_field = "django.db.models.BigAutoField"
