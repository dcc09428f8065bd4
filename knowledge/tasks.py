"""Celery tasks of the knowledge app (workers only: they decrypt credentials)."""

from celery import shared_task

from . import services


@shared_task(name="knowledge.embed_document", acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def embed_document(document_id: int) -> None:
    services.do_embed_document(document_id)
