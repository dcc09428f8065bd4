from django.urls import path

from . import views

urlpatterns = [
    path("me/", views.MeView.as_view(), name="me"),
    path("teams/", views.TeamListView.as_view(), name="team-list"),
    path("credentials/", views.CredentialListView.as_view(), name="credential-list"),
    path("credentials/<int:pk>/", views.CredentialDetailView.as_view(), name="credential-detail"),
]
