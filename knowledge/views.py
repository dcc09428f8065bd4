from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from accounts.access import access_for, team_for_new_object
from accounts.roles import Capability
from orchestrator_site.params import query_int
from orchestrator_site.problems import NotFound

from . import services
from .models import Document, KnowledgeBase
from .serializers import (
    DocumentSerializer,
    DocumentUploadSerializer,
    KnowledgeBaseSerializer,
    KnowledgeBaseUpdateSerializer,
)


def get_knowledge_base(request, pk: int, capability: str) -> KnowledgeBase:
    bases = KnowledgeBase.objects.select_related("created_by").annotate(document_count=Count("documents"))
    return access_for(request).fetch(bases, pk, capability, what="knowledge base")


@extend_schema(parameters=[OpenApiParameter("team", int, description="Only this team's knowledge bases")])
class KnowledgeBaseListView(generics.ListCreateAPIView):
    serializer_class = KnowledgeBaseSerializer
    pagination_class = None

    def get_queryset(self):
        rows = access_for(self.request).visible_team_objects(
            KnowledgeBase.objects.select_related("created_by"), Capability.FLOWS_READ
        )
        team = query_int(self.request, "team")
        if team is not None:
            rows = rows.filter(team_id=team)
        return rows.annotate(document_count=Count("documents")).order_by("team_id", "name", "id")

    def create(self, request, *args, **kwargs):
        body = KnowledgeBaseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        team = team_for_new_object(request, data.get("team_id"), Capability.KNOWLEDGE_WRITE)
        embedding = data.get("embedding")
        if embedding is not None:
            access_for(request).check_team(team.id, Capability.CREDENTIALS_USE, what="team")
        knowledge_base = services.do_create_knowledge_base(
            team=team,
            user=request.user,
            name=data["name"],
            description=data.get("description", ""),
            embedding=embedding,
        )
        knowledge_base.document_count = 0
        return Response(KnowledgeBaseSerializer(knowledge_base).data, status=status.HTTP_201_CREATED)


class KnowledgeBaseDetailView(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = KnowledgeBaseSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_object(self):
        capability = Capability.FLOWS_READ if self.request.method == "GET" else Capability.KNOWLEDGE_WRITE
        return get_knowledge_base(self.request, self.kwargs["pk"], capability)

    @extend_schema(request=KnowledgeBaseUpdateSerializer, responses=KnowledgeBaseSerializer)
    def patch(self, request, *args, **kwargs):
        knowledge_base = self.get_object()
        body = KnowledgeBaseUpdateSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        knowledge_base = services.do_update_knowledge_base(knowledge_base, body.validated_data)
        return Response(KnowledgeBaseSerializer(knowledge_base).data)

    def perform_destroy(self, instance: KnowledgeBase) -> None:
        services.do_delete_knowledge_base(instance)


class DocumentListView(generics.ListCreateAPIView):
    serializer_class = DocumentSerializer
    pagination_class = None

    def get_queryset(self):
        knowledge_base = get_knowledge_base(self.request, self.kwargs["pk"], Capability.FLOWS_READ)
        return knowledge_base.documents.select_related("created_by").order_by("id")

    @extend_schema(
        request=DocumentUploadSerializer,
        responses={
            201: OpenApiResponse(DocumentSerializer, description="A text, indexed at once"),
            202: OpenApiResponse(
                DocumentSerializer,
                description="A file, kept for a worker to read: `processing`, then `ready` "
                "(or `embedding`, or `failed` with the reason)",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        knowledge_base = get_knowledge_base(request, self.kwargs["pk"], Capability.KNOWLEDGE_WRITE)
        body = DocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        upload = data.get("file")
        if upload is not None:
            document = services.do_upload_document(
                knowledge_base,
                user=request.user,
                name=data.get("name") or upload.name or "document",
                content_type=upload.content_type or "",
                data=upload.read(),
            )
            return Response(DocumentSerializer(document).data, status=status.HTTP_202_ACCEPTED)
        document = services.do_add_document(
            knowledge_base, user=request.user, name=data["name"], text=data["text"]
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class DocumentDetailView(generics.RetrieveDestroyAPIView):
    serializer_class = DocumentSerializer

    def get_object(self):
        capability = Capability.FLOWS_READ if self.request.method == "GET" else Capability.KNOWLEDGE_WRITE
        knowledge_base = get_knowledge_base(self.request, self.kwargs["pk"], capability)
        document = Document.objects.filter(pk=self.kwargs["document_id"], knowledge_base=knowledge_base).first()
        if document is None:
            raise NotFound("no such document")
        return document

    def perform_destroy(self, instance: Document) -> None:
        services.do_delete_document(instance)
