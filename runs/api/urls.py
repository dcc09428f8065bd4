from django.urls import path

from orchestrator_site import converters  # noqa: F401 - registers id

from . import views

urlpatterns = [
    path("flows/<id:pk>/runs/", views.FlowRunsView.as_view(), name="flow-runs"),
    path("runs/", views.RunListView.as_view(), name="run-list"),
    path("runs/<uuid:pk>/", views.RunDetailView.as_view(), name="run-detail"),
    path("runs/<uuid:pk>/cancel/", views.RunCancelView.as_view(), name="run-cancel"),
    path("runs/<uuid:pk>/resume/", views.RunResumeView.as_view(), name="run-resume"),
    path("teams/<id:pk>/cache/", views.TeamCacheView.as_view(), name="team-cache"),
    path(
        "runs/<uuid:pk>/nodes/<str:node_id>/resume/",
        views.NodeResumeView.as_view(),
        name="run-node-resume",
    ),
]
