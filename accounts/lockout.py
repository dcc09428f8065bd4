"""What a client sees when too many sign-ins failed (django-axes calls `lockout_response`).

Failed sign-ins are counted per account and per client address (settings: AXES_*); past
the limit, /login and /admin/login/ answer 429 with Retry-After and a page that says how
long to wait, until the cool-off has passed. A right password after that resets the count.
"""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else 3600
    minutes = max(1, math.ceil(seconds / 60))
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
