from django.urls import path

from . import views

urlpatterns = [
    path("node-types/", views.NodeTypeListView.as_view(), name="node-types"),
    path("flows/", views.FlowListView.as_view(), name="flow-list"),
    path("flows/<int:pk>/", views.FlowDetailView.as_view(), name="flow-detail"),
    path("flows/<int:pk>/validate/", views.FlowValidateView.as_view(), name="flow-validate"),
]
