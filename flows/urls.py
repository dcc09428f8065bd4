from django.urls import path

from orchestrator_site import converters  # noqa: F401 - registers id, number, version_ref

from . import views

urlpatterns = [
    path("node-types/", views.NodeTypeListView.as_view(), name="node-types"),
    path("flows/", views.FlowListView.as_view(), name="flow-list"),
    path("flows/<id:pk>/", views.FlowDetailView.as_view(), name="flow-detail"),
    path("flows/<id:pk>/validate/", views.FlowValidateView.as_view(), name="flow-validate"),
    path("flows/<id:pk>/copy/", views.FlowCopyView.as_view(), name="flow-copy"),
    path("flows/<id:pk>/versions/", views.FlowVersionListView.as_view(), name="flow-versions"),
    path(
        "flows/<id:pk>/versions/<number:number>/",
        views.FlowVersionDetailView.as_view(),
        name="flow-version",
    ),
    path(
        "flows/<id:pk>/versions/<number:number>/restore/",
        views.FlowVersionRestoreView.as_view(),
        name="flow-version-restore",
    ),
    path(
        "flows/<id:pk>/versions/<version_ref:before>/diff/<version_ref:after>/",
        views.FlowVersionDiffView.as_view(),
        name="flow-version-diff",
    ),
]
