"""Request-level guards that must answer before Django reads a body."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse


class BodySizeLimitMiddleware:
    """Answer 413 for bodies over the limit, before anything reads them.

    Multipart uploads (knowledge-base documents) have their own, larger limit.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH")
        if length:
            try:
                size = int(length)
            except ValueError:
                return JsonResponse({"error": "Content-Length is not a number"}, status=400)
            limit = self.limit_for(request)
            if size > limit:
                return too_large(limit)
        return self.get_response(request)

    @staticmethod
    def limit_for(request: HttpRequest) -> int:
        if request.content_type == "multipart/form-data":
            return getattr(settings, "BATON_MAX_UPLOAD_BYTES", 50 * 1024 * 1024)
        return settings.BATON_MAX_BODY_BYTES


def too_large(limit: int) -> JsonResponse:
    return JsonResponse(
        {"error": f"the request body is larger than the limit of {limit} bytes"}, status=413
    )


class RefuseNulMiddleware:
    """Answer 400 to a URL carrying a NUL character (%00) in its path or query: no view
    could use it, and PostgreSQL refuses it in any query it would reach."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" in request.path_info or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return JsonResponse({"error": "the URL contains a NUL character (%00)"}, status=400)
        return self.get_response(request)
