from django.urls import path

from orchestrator_site import converters  # noqa: F401 - registers id

from . import views

urlpatterns = [
    path("flows/<id:pk>/datasets/", views.DatasetListView.as_view(), name="flow-datasets"),
    path("datasets/<id:pk>/", views.DatasetDetailView.as_view(), name="dataset-detail"),
    path("flows/<id:pk>/evaluations/", views.EvaluationListView.as_view(), name="flow-evaluations"),
    path("evaluations/<id:pk>/", views.EvaluationDetailView.as_view(), name="evaluation-detail"),
    path("evaluations/<id:pk>/cancel/", views.EvaluationCancelView.as_view(), name="evaluation-cancel"),
    path(
        "evaluations/<id:pk>/compare/<id:other>/",
        views.EvaluationCompareView.as_view(),
        name="evaluation-compare",
    ),
]
