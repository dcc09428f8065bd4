"""Celery tasks of the knowledge app (workers only: they read files and decrypt credentials)."""

from celery import shared_task

from . import services

TASK_OPTIONS = {"acks_late": True, "reject_on_worker_lost": True, "ignore_result": True}


@shared_task(name="knowledge.embed_document", **TASK_OPTIONS)
def embed_document(document_id: int) -> None:
    services.do_embed_document(document_id)


@shared_task(name="knowledge.process_document", **TASK_OPTIONS)
def process_document(document_id: int) -> None:
    services.do_process_document(document_id)


@shared_task(name="knowledge.resend_stale_documents", ignore_result=True)
def resend_stale_documents() -> None:
    services.resend_stale_documents()
