from django.urls import path

from orchestrator_site import converters  # noqa: F401 - registers id

from . import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("teams/", views.TeamListView.as_view(), name="team-list"),
    path("credentials/", views.CredentialListView.as_view(), name="credential-list"),
    path("credentials/<id:pk>/", views.CredentialDetailView.as_view(), name="credential-detail"),
    path("teams/<id:pk>/", views.TeamDetailView.as_view(), name="team-detail"),
    path(
        "teams/<id:pk>/webhook-secret/",
        views.WebhookSecretView.as_view(),
        name="team-webhook-secret",
    ),
    path("teams/<id:pk>/members/", views.MemberListView.as_view(), name="team-members"),
    path(
        "teams/<id:pk>/members/<str:username>/",
        views.MemberDetailView.as_view(),
        name="team-member",
    ),
    path("api-keys/", views.ApiKeyListView.as_view(), name="api-key-list"),
    path("api-keys/<id:pk>/", views.ApiKeyDetailView.as_view(), name="api-key-detail"),
]
