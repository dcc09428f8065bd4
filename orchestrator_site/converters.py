"""URL converters for ids, bounded so that a huge number in a path is a 404, not a
database overflow (PostgreSQL refuses integers beyond its column types)."""

from django.urls import register_converter

# bigint primary keys: 18 digits always fit.
ID_DIGITS = 18
# Version numbers are PositiveIntegerField (int4): 9 digits always fit.
NUMBER_DIGITS = 9


class IdConverter:
    regex = f"[0-9]{{1,{ID_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


class NumberConverter(IdConverter):
    regex = f"[0-9]{{1,{NUMBER_DIGITS}}}"


class VersionRefConverter:
    """A version number, or `draft`."""

    regex = f"[0-9]{{1,{NUMBER_DIGITS}}}|draft"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    register_converter(IdConverter, "id")
    register_converter(NumberConverter, "number")
    register_converter(VersionRefConverter, "version_ref")


register()
