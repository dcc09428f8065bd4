"""ASGI entry point: HTTP goes to Django, websockets to the run event consumers."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator_site.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.websocket import WebsocketAuthMiddleware  # noqa: E402
from runs.live.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # WebsocketAuthMiddleware also checks Origin: a browser's must be one of our hosts;
        # programs send none and authenticate with a bearer key.
        "websocket": WebsocketAuthMiddleware(URLRouter(websocket_urlpatterns)),
    }
)
