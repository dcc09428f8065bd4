// /api/knowledge-bases/: a team's knowledge bases and their documents.
import { request } from './client';
import type { KnowledgeBase, KnowledgeDocument, NewKnowledgeBase } from './types';
import { useRequest } from './useRequest';

const one = (id: number) => `/api/knowledge-bases/${id}/`;
const documents = (id: number) => `${one(id)}documents/`;

/** GET /api/knowledge-bases/?team=<id> */
export function listKnowledgeBases(teamId: number, signal?: AbortSignal): Promise<KnowledgeBase[]> {
  return request<KnowledgeBase[]>('GET', `/api/knowledge-bases/?team=${encodeURIComponent(teamId)}`, undefined, { signal });
}

export function useKnowledgeBases(teamId: number | null) {
  return useRequest(teamId === null ? null : `knowledge-bases:${teamId}`, (signal) =>
    listKnowledgeBases(teamId as number, signal),
  );
}

/** POST /api/knowledge-bases/ (editors). */
export function createKnowledgeBase(body: NewKnowledgeBase): Promise<KnowledgeBase> {
  return request<KnowledgeBase>('POST', '/api/knowledge-bases/', body);
}

/** GET /api/knowledge-bases/<id>/ */
export function getKnowledgeBase(id: number, signal?: AbortSignal): Promise<KnowledgeBase> {
  return request<KnowledgeBase>('GET', one(id), undefined, { signal });
}

export function useKnowledgeBase(id: number | null) {
  return useRequest(id === null ? null : `knowledge-base:${id}`, (signal) => getKnowledgeBase(id as number, signal));
}

/** DELETE /api/knowledge-bases/<id>/ — with its documents. */
export async function deleteKnowledgeBase(id: number): Promise<void> {
  await request<unknown>('DELETE', one(id));
}

/** GET /api/knowledge-bases/<id>/documents/ */
export function listDocuments(id: number, signal?: AbortSignal): Promise<KnowledgeDocument[]> {
  return request<KnowledgeDocument[]>('GET', documents(id), undefined, { signal });
}

export function useDocuments(id: number | null) {
  return useRequest(id === null ? null : `documents:${id}`, (signal) => listDocuments(id as number, signal));
}

/** POST /api/knowledge-bases/<id>/documents/ as multipart with `file`. */
export function uploadDocument(id: number, file: File): Promise<KnowledgeDocument> {
  const form = new FormData();
  form.append('file', file, file.name);
  return request<KnowledgeDocument>('POST', documents(id), form);
}

/** DELETE /api/knowledge-bases/<id>/documents/<document_id>/ */
export async function deleteDocument(id: number, documentId: number): Promise<void> {
  await request<unknown>('DELETE', `${documents(id)}${documentId}/`);
}

/** PATCH /api/knowledge-bases/<id>/ {name?, description?} (editors). */
export function patchKnowledgeBase(id: number, patch: { name?: string; description?: string }): Promise<KnowledgeBase> {
  return request<KnowledgeBase>('PATCH', one(id), patch);
}
