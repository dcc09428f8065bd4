from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError as DjangoValidationError

from accounts.admin_access import TeamScopedAdmin
from accounts.roles import Capability
from orchestrator_site.problems import Invalid

from . import services
from .models import Schedule, TriggerToken


@admin.register(TriggerToken)
class TriggerTokenAdmin(TeamScopedAdmin):
    team_lookup = "flow__team"
    read_capability = Capability.FLOWS_READ
    write_capability = Capability.FLOWS_WRITE
    list_display = ["name", "prefix", "flow", "created_by", "last_used_at", "revoked_at"]
    # Never the hash; tokens are made on the site (the secret is shown once, there).
    fields = [
        "name",
        "prefix",
        "flow",
        "version",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Revoke the selected trigger URLs")
    def revoke(self, request, queryset) -> None:
        tokens = self.allowed_in_action(request, queryset, Capability.FLOWS_WRITE)
        for token in tokens:
            services.do_revoke_trigger(token)
        self.message_user(request, f"{len(tokens)} trigger URL(s) revoked")


class ScheduleForm(forms.ModelForm):
    """The API's checks, as form errors."""

    class Meta:
        model = Schedule
        fields = ["name", "cron", "timezone", "inputs", "version", "enabled"]

    def _check(self, check, value):
        try:
            return check(value)
        except Invalid as exc:
            detail = next(iter(exc.fields.values())) if exc.fields else exc.message
            raise DjangoValidationError(detail) from None

    def clean_cron(self):
        return self._check(services.check_cron, self.cleaned_data["cron"])

    def clean_timezone(self):
        return self._check(services.check_timezone, self.cleaned_data["timezone"])

    def clean_version(self):
        number = self.cleaned_data["version"]
        if self.instance.pk is None:
            return number
        return self._check(lambda n: services.check_version_number(self.instance.flow, n), number)

    def clean_inputs(self):
        from runs.services import check_inputs

        return self._check(check_inputs, self.cleaned_data["inputs"])


@admin.register(Schedule)
class ScheduleAdmin(TeamScopedAdmin):
    form = ScheduleForm
    team_lookup = "flow__team"
    read_capability = Capability.FLOWS_READ
    write_capability = Capability.FLOWS_WRITE
    list_display = ["flow", "name", "cron", "timezone", "enabled", "next_fire_at", "last_fired_at"]
    list_filter = ["enabled"]
    fields = [
        "flow",
        "name",
        "cron",
        "timezone",
        "inputs",
        "version",
        "enabled",
        "next_fire_at",
        "last_fired_at",
        "last_run",
        "last_error",
    ]
    readonly_fields = ["flow", "next_fire_at", "last_fired_at", "last_run", "last_error"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            return super().save_model(request, obj, form, change)
        # Through the service: cron and zone are checked, the next firing recomputed.
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.do_update_schedule(obj, changes)
