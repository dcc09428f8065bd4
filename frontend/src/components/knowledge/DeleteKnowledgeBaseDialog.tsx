import type { KnowledgeBase } from '../../api/types';
import { ConfirmDialog } from '../ui/ConfirmDialog';

export function DeleteKnowledgeBaseDialog(props: { kb: KnowledgeBase; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const { kb } = props;
  return (
    <ConfirmDialog title="Delete this knowledge base?" confirmLabel="Delete" danger busy={props.busy} onConfirm={props.onConfirm} onCancel={props.onCancel}>
      <p>
        “{kb.name}” and its {kb.document_count ?? 0} {kb.document_count === 1 ? 'document' : 'documents'} will be deleted; nodes that
        search it will fail. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
