from django.urls import path

from orchestrator_site import converters  # noqa: F401 - registers id

from . import views

urlpatterns = [
    path("flows/<id:pk>/triggers/", views.TriggerListView.as_view(), name="flow-triggers"),
    path(
        "flows/<id:pk>/triggers/<id:trigger_id>/",
        views.TriggerDetailView.as_view(),
        name="flow-trigger",
    ),
    path("flows/<id:pk>/schedules/", views.ScheduleListView.as_view(), name="flow-schedules"),
    path(
        "flows/<id:pk>/schedules/<id:schedule_id>/",
        views.ScheduleDetailView.as_view(),
        name="flow-schedule",
    ),
]

hook_urlpatterns = [
    path("hooks/<str:token>/", views.HookView.as_view(), name="hook"),
]
