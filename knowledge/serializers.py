from rest_framework import serializers

from orchestrator_site.fields import StrictCharField

from .models import Document, KnowledgeBase


class KnowledgeBaseSerializer(serializers.ModelSerializer):
    name = StrictCharField(max_length=200)
    description = StrictCharField(required=False, allow_blank=True)
    team = serializers.IntegerField(source="team_id", required=False)
    embedding = serializers.JSONField(
        required=False,
        allow_null=True,
        help_text='null, or {"credential": <id of an openai credential>, "model": "text-embedding-3-small"}',
    )
    document_count = serializers.IntegerField(read_only=True, required=False)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = KnowledgeBase
        fields = [
            "id", "team", "name", "description", "embedding", "document_count", "created_by",
            "created_at", "updated_at",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def to_representation(self, instance: KnowledgeBase) -> dict:
        data = super().to_representation(instance)
        data["embedding"] = (
            {"credential": instance.embedding_credential_id, "model": instance.embedding_model}
            if instance.has_embedding
            else None
        )
        data["document_count"] = getattr(instance, "document_count", None)
        return data


class KnowledgeBaseUpdateSerializer(serializers.Serializer):
    """PATCH: the name and description; the embedding settings cannot change."""

    name = StrictCharField(max_length=200, required=False)
    description = StrictCharField(required=False, allow_blank=True)


class DocumentSerializer(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Document
        fields = [
            "id", "knowledge_base", "name", "content_type", "size", "status", "error",
            "chunk_count", "created_by", "created_at",
        ]
        read_only_fields = fields


class DocumentUploadSerializer(serializers.Serializer):
    """Multipart: `file` (and optionally `name`); or JSON: `name` and `text`."""

    file = serializers.FileField(required=False)
    name = StrictCharField(required=False, max_length=300)
    text = serializers.CharField(required=False, trim_whitespace=False)

    def validate(self, attrs: dict) -> dict:
        if "file" in attrs and "text" in attrs:
            raise serializers.ValidationError("send a file or a text, not both")
        if "file" not in attrs:
            if "text" not in attrs:
                raise serializers.ValidationError('send a multipart "file", or JSON {"name", "text"}')
            if not attrs.get("name"):
                raise serializers.ValidationError({"name": "a text document needs a name"})
        return attrs
