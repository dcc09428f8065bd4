"""Builders for the AI tests: credentials pointing at the fake provider, knowledge bases."""

from __future__ import annotations

from accounts.credentials import do_create_credential
from accounts.models import Credential
from knowledge.models import KnowledgeBase
from knowledge.services import do_add_document, do_create_knowledge_base


def make_credential(team, user=None, *, fake_llm=None, base_url: str = "", api_key: str = "sk-test-key-0001",
                    provider: str = "openai", name: str = "") -> Credential:
    if fake_llm is not None and not base_url:
        base_url = fake_llm.openai_base if provider == "openai" else fake_llm.url
    data = {"api_key": api_key, "base_url": base_url} if base_url else {"api_key": api_key}
    return do_create_credential(team=team, user=user, name=name or f"{provider} {Credential.objects.count()}",
                                provider=provider, data=data)


def make_knowledge_base(team, user=None, documents: dict[str, str] | None = None, embedding=None,
                        name: str = "Help") -> KnowledgeBase:
    knowledge_base = do_create_knowledge_base(team=team, user=user, name=name, embedding=embedding)
    for doc_name, text in (documents or {}).items():
        do_add_document(knowledge_base, user=user, name=doc_name, text=text)
    return knowledge_base
