"""Site pages (the editor's shell, sign-in) and the health check."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

from flows.nodes.sandbox import isolation_status
from orchestrator_site.redis_client import shared_redis
from runs.heartbeats import heartbeat_key

log = logging.getLogger(__name__)

@login_required
@ensure_csrf_cookie
def editor_page(request, **kwargs):
    """The editor's single page, for every app path; until it is built, a plain page."""
    index = settings.EDITOR_DIST_DIR / "index.html"
    if index.exists():
        response = HttpResponse(index.read_text(), content_type="text/html; charset=utf-8")
        response["Cache-Control"] = "no-cache"
        return response
    return render(request, "placeholder.html", status=200)


def server_error(request):
    """Django's last resort: called inside the except block of an exception nothing else
    answered. A dependency that is away answers JSON 503 with Retry-After; anything else
    an error that shows no traceback, in JSON on API paths."""
    import sys

    from .errors import UNAVAILABLE_RETRY_AFTER, unavailable_body, unavailable_component

    exc = sys.exc_info()[1]
    component = unavailable_component(exc) if exc is not None else None
    if component is not None:
        response = JsonResponse(unavailable_body(component), status=503)
        response["Retry-After"] = str(UNAVAILABLE_RETRY_AFTER)
        return response
    if request.path.startswith(("/api/", "/hooks/", "/mcp")):
        return JsonResponse({"error": "an internal error; it has been logged"}, status=500)
    return HttpResponse("Something went wrong; it has been logged.", status=500,
                        content_type="text/plain; charset=utf-8")


def not_found(request, exception=None):
    if request.path.startswith(("/api/", "/hooks/")):
        return JsonResponse({"error": "no such API path"}, status=404)
    return HttpResponse("Not found", status=404, content_type="text/plain; charset=utf-8")


def code_nodes_status() -> dict:
    """Whether code nodes run here and how they are kept apart; `unsafe` flags an operator's
    explicit opt-out of isolation (BATON_CODE_UNSAFE_NO_ISOLATION). Optional, so it does not
    decide the status."""
    if not settings.BATON_ALLOW_CODE:
        return {"enabled": False}
    status = isolation_status()
    usable = status["isolation"] == "bubblewrap" or status["unsafe"]
    return {"enabled": usable, "isolation": status["isolation"], "unsafe": status["unsafe"]}


@require_GET
def health(request):
    # Anyone may ask, so answers name the failing component only: exception text can carry
    # host names, user names and paths. The details go to the log.
    checks: dict[str, dict] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"ok": True, "vendor": connection.vendor}
    except Exception:  # noqa: BLE001 - reported, not raised
        log.warning("health: the database does not answer", exc_info=True)
        checks["database"] = {"ok": False}
    try:
        client = shared_redis()
        client.ping()
        checks["broker"] = {"ok": True}
        workers = list(client.scan_iter(match=heartbeat_key("*"), count=100))
        checks["workers"] = {"ok": bool(workers), "count": len(workers)}
    except Exception:  # noqa: BLE001
        log.warning("health: the broker does not answer", exc_info=True)
        checks["broker"] = {"ok": False}
        checks["workers"] = {"ok": False, "count": 0}
    failed = [name for name, check in checks.items() if not check["ok"]]
    body = {
        "status": "ok" if not failed else "unavailable",
        "mode": settings.BATON_MODE,
        "checks": checks,
        "code_nodes": code_nodes_status(),
    }
    if failed:
        body["error"] = "not healthy: " + ", ".join(failed)
    return JsonResponse(body, status=200 if not failed else 503)
