import type { KnowledgeBase } from '../../api/types';
import { ConfirmDialog } from '../ui/ConfirmDialog';

export const DELETE_KNOWLEDGE_BASE_TITLE = 'Delete this knowledge base?';

/** What deleting a knowledge base takes with it (the list's confirmation and the page's say the same). */
export function KnowledgeBaseDeletion({ kb }: { kb: KnowledgeBase }) {
  return (
    <p>
      “{kb.name}” and its {kb.document_count ?? 0} {kb.document_count === 1 ? 'document' : 'documents'} will be deleted; nodes that
      search it will fail. This cannot be undone.
    </p>
  );
}

export function DeleteKnowledgeBaseDialog(props: { kb: KnowledgeBase; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  return (
    <ConfirmDialog title={DELETE_KNOWLEDGE_BASE_TITLE} confirmLabel="Delete" danger busy={props.busy} onConfirm={props.onConfirm} onCancel={props.onCancel}>
      <KnowledgeBaseDeletion kb={props.kb} />
    </ConfirmDialog>
  );
}
