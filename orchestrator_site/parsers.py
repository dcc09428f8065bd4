"""The JSON parser of the API, refusing what the database cannot store.

PostgreSQL refuses the NUL character in text and in jsonb; a body carrying one (written
`\\u0000` in JSON) would fail deep inside a save with a database error. It is refused at
the door instead, with a 400 that says so, in both modes alike.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError


def has_nul(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        if has_nul(data):
            raise ParseError("the body contains a NUL character (\\u0000), which cannot be stored")
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
