import { lazyWithPreload } from '../lib/lazyWithPreload';

// The canvas pages carry React Flow: their code loads when first needed, or ahead
// of need (at boot on their own address, when the browser is idle on other pages).
export const editorPage = lazyWithPreload(() => import('./EditorPage').then((m) => m.EditorPage));
export const runPage = lazyWithPreload(() => import('./RunPage').then((m) => m.RunPage));

// The workspace pages: small, and visited now and then; loaded on first visit.
export const teamsPage = lazyWithPreload(() => import('./TeamsPage').then((m) => m.TeamsPage));
export const teamSettingsPage = lazyWithPreload(() => import('./TeamSettingsPage').then((m) => m.TeamSettingsPage));
export const apiKeysPage = lazyWithPreload(() => import('./ApiKeysPage').then((m) => m.ApiKeysPage));
export const credentialsPage = lazyWithPreload(() => import('./CredentialsPage').then((m) => m.CredentialsPage));
export const knowledgePage = lazyWithPreload(() => import('./KnowledgePage').then((m) => m.KnowledgePage));
export const knowledgeBasePage = lazyWithPreload(() => import('./KnowledgeBasePage').then((m) => m.KnowledgeBasePage));
