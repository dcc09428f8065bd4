from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from triggers.urls import hook_urlpatterns

from . import views

api = [
    path("", include("accounts.urls")),
    path("", include("flows.urls")),
    path("", include("runs.api.urls")),
    path("", include("runs.live.urls")),
    path("", include("knowledge.urls")),
    path("", include("triggers.urls")),
    path("", include("evaluations.urls")),
    path("health/", views.health, name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
]

urlpatterns = [
    path("api/", include(api)),
    path("", include(hook_urlpatterns)),
    path("admin/", admin.site.urls),
    path("login", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.editor_page, name="home"),
    re_path(
        r"^(?:flows|runs|members|api-keys|teams|credentials|knowledge)(?:/[^/]+)?/?$",
        views.editor_page,
    ),
]

# Unknown paths under /api/ and /hooks/ answer JSON like the rest of the API.
handler404 = "orchestrator_site.views.not_found"
# A database or broker that is away answers 503 with Retry-After, never an HTML 500.
handler500 = "orchestrator_site.views.server_error"
