import { lazyWithPreload } from '../lib/lazyWithPreload';

// The canvas pages carry React Flow: their code loads when first needed, or ahead
// of need (at boot on their own address, when the browser is idle on other pages).
export const editorPage = lazyWithPreload(() => import('./EditorPage').then((m) => m.EditorPage));
export const runPage = lazyWithPreload(() => import('./RunPage').then((m) => m.RunPage));
