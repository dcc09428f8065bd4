from django.urls import path

from . import views

urlpatterns = [
    path("runs/<uuid:pk>/events/", views.RunEventsView.as_view(), name="run-events"),
]
