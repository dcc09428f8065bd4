from django.urls import path

from . import views

urlpatterns = [
    path("knowledge-bases/", views.KnowledgeBaseListView.as_view(), name="knowledge-base-list"),
    path("knowledge-bases/<int:pk>/", views.KnowledgeBaseDetailView.as_view(), name="knowledge-base-detail"),
    path("knowledge-bases/<int:pk>/documents/", views.DocumentListView.as_view(), name="document-list"),
    path(
        "knowledge-bases/<int:pk>/documents/<int:document_id>/",
        views.DocumentDetailView.as_view(),
        name="document-detail",
    ),
]
