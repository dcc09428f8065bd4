"""The JSON parser of the API, refusing what the database or the code after it cannot take.

- PostgreSQL refuses the NUL character in text and in jsonb; a body carrying one (written
  `\\u0000` in JSON) would fail deep inside a save with a database error.
- JSON nested deeper than BATON_MAX_JSON_DEPTH would exhaust the recursion of whatever
  walks it later (serializers, the graph check, a node), or of the decoder itself.
Both are refused at the door with a 400 that says so, in both modes alike.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import parsers
from rest_framework.exceptions import ParseError


def check_json_value(value: Any, *, max_depth: int | None = None) -> None:
    """ParseError for a NUL character anywhere, or nesting deeper than the limit. Walks the
    value without recursion, so any depth is safe to look at."""
    limit = max_depth if max_depth is not None else settings.BATON_MAX_JSON_DEPTH
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise ParseError(
                    "the body contains a NUL character (\\u0000), which cannot be stored"
                )
            continue
        if not isinstance(item, (dict, list)):
            continue
        if depth > limit:
            raise ParseError(deep_message(limit))
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        else:
            stack.extend((child, depth + 1) for child in item)


def deep_message(limit: int) -> str:
    return f"the JSON is nested too deeply: at most {limit} levels of objects and lists"


def has_nul(value: Any) -> bool:
    try:
        check_json_value(value, max_depth=10**9)
    except ParseError:
        return True
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # The decoder itself gave up, far beyond any sane depth.
            raise ParseError(deep_message(settings.BATON_MAX_JSON_DEPTH)) from None
        check_json_value(data)
        return data


def _form_has_nul(data) -> bool:
    return any(has_nul(values) for _key, values in data.lists()) or any(
        "\x00" in key for key in data.keys()
    )


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if _form_has_nul(data):
            raise ParseError("the body contains a NUL character, which cannot be stored")
        return data


class MultiPartParser(parsers.MultiPartParser):
    """Form fields are checked; uploaded files are bytes and may hold anything."""

    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        if _form_has_nul(parsed.data):
            raise ParseError("the body contains a NUL character, which cannot be stored")
        return parsed
