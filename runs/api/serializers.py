"""Request bodies of the runs API (what it answers is runs.render)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers


@extend_schema_field(
    {"oneOf": [{"type": "integer", "minimum": 1}, {"type": "string", "enum": ["draft"]}]}
)
class VersionChoiceField(serializers.Field):
    """A published version's number, or "draft"."""

    default_error_messages = {"invalid": "must be a version number or 'draft'"}

    def to_internal_value(self, data):
        if data == "draft":
            return data
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= 2**31 - 1:
            self.fail("invalid")
        return data

    def to_representation(self, value):
        return value


class StartRunSerializer(serializers.Serializer):
    inputs = serializers.JSONField(required=False, help_text="A JSON object of inputs")
    graph = serializers.JSONField(
        required=False, help_text="Run this draft graph instead of the saved one (editors)"
    )
    version = VersionChoiceField(
        required=False,
        help_text="The published version to run, or 'draft' for the saved draft. Default: "
        "with an API key the latest published version (the draft while none is published); "
        "in the editor (a signed-in session) the draft",
    )
    callback_url = serializers.CharField(
        required=False,
        max_length=2000,
        help_text="When the run ends, Baton POSTs the run here, signed with X-Baton-Signature",
    )
    from_node = serializers.CharField(
        required=False,
        max_length=100,
        help_text="Run this node and what is downstream of it; the other nodes' outputs are "
        "reused from `reuse_run`",
    )
    reuse_run = serializers.UUIDField(
        required=False,
        help_text="With from_node: the earlier run of this flow whose outputs are reused "
        "(default: the flow's latest run)",
    )
    only_node = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With from_node: run only that node (nothing downstream), its inputs reused",
    )


    replay = serializers.ListField(
        child=serializers.UUIDField(),
        required=False,
        max_length=10,
        help_text="Replay mode: answer the run's model and HTTP requests from the recordings "
        "of these runs (of the flow's team, readable by the caller), with no network and no "
        "model credential needed; a request with no recorded answer fails its node",
    )


class ResumeSerializer(serializers.Serializer):
    approved = serializers.BooleanField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True)


