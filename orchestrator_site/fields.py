"""Serializer fields shared by the apps."""

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text."""

    default_error_messages = {"not_a_string": "must be a string, not {kind}"}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string", kind=type(data).__name__)
        return super().to_internal_value(data)


# The largest id a bigint column holds: anything larger cannot name a row, and PostgreSQL
# would refuse to compare with it.
ID_MAX = 2**63 - 1


class IdField(serializers.IntegerField):
    """The id of a row: a whole number in the range the database can hold."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)
