from django.urls import path

from orchestrator_site import converters  # noqa: F401 - registers id

from . import views

urlpatterns = [
    path("knowledge-bases/", views.KnowledgeBaseListView.as_view(), name="knowledge-base-list"),
    path("knowledge-bases/<id:pk>/", views.KnowledgeBaseDetailView.as_view(), name="knowledge-base-detail"),
    path("knowledge-bases/<id:pk>/documents/", views.DocumentListView.as_view(), name="document-list"),
    path(
        "knowledge-bases/<id:pk>/documents/<id:document_id>/",
        views.DocumentDetailView.as_view(),
        name="document-detail",
    ),
]
