from django.contrib import admin

from accounts.admin_access import TeamScopedAdmin
from accounts.roles import Capability
from orchestrator_site.problems import Conflict

from . import services
from .core import engine
from .models import CallbackDelivery, Run


@admin.register(Run)
class RunAdmin(TeamScopedAdmin):
    read_capability = Capability.RUNS_READ
    write_capability = Capability.RUNS_CANCEL
    list_display = ["id", "flow", "team", "status", "trigger", "created_by", "created_at"]
    list_filter = ["status", "trigger"]
    readonly_fields = [
        "id",
        "team",
        "flow",
        "flow_revision",
        "version",
        "parent_run",
        "status",
        "trigger",
        "inputs",
        "outputs",
        "error",
        "usage",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "held_at",
    ]
    fields = readonly_fields
    actions = ["cancel"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a run's record is what happened; cancelling is an action

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request, queryset) -> None:
        runs = self.allowed_in_action(request, queryset, Capability.RUNS_CANCEL)
        cancelled = 0
        for run in runs:
            if run.status in engine.ACTIVE_RUN_STATUSES:
                try:
                    services.do_cancel_run(run, request.user)
                    cancelled += 1
                except Conflict:
                    pass  # it ended meanwhile
        self.message_user(request, f"{cancelled} run(s) cancelled")


@admin.register(CallbackDelivery)
class CallbackDeliveryAdmin(TeamScopedAdmin):
    team_lookup = "run__team"
    read_capability = Capability.RUNS_READ
    write_capability = Capability.TEAM_MANAGE
    list_display = ["run", "url", "status", "attempts", "response_status", "next_attempt_at"]
    list_filter = ["status"]
    fields = [
        "run",
        "url",
        "status",
        "attempts",
        "response_status",
        "last_error",
        "next_attempt_at",
        "delivered_at",
        "created_at",
    ]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None) -> bool:
        return False
