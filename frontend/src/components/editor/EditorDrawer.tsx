import type { FlowDocument } from '../../hooks/useFlowDocument';
import { useGraphStore } from '../../stores/graphStore';
import { EvaluationsPanel } from './EvaluationsPanel';
import { TriggersPanel } from './TriggersPanel';
import { VersionsPanel } from './VersionsPanel';
import '../../pages/canvasPage.css';

export type EditorDrawer = 'versions' | 'triggers' | 'evaluations';

interface EditorDrawerProps {
  which: EditorDrawer;
  doc: FlowDocument;
  flowId: number;
  /** The server found problems in a version to publish: show them (the drawer closes). */
  onProblems: () => void;
  onClose: () => void;
}

/** The side panel's drawers: the flow's versions, its trigger URLs and schedules, or its evaluations. */
export function EditorDrawerPanel({ which, doc, flowId, onProblems, onClose }: EditorDrawerProps) {
  return (
    <aside className="side side--drawer">
      {which === 'versions' ? (
        <VersionsPanel
          flowId={flowId}
          canWrite={doc.editable}
          revision={doc.revision}
          save={() => doc.save()}
          onRestored={doc.onRestored}
          onPublished={doc.onPublished}
          onProblems={(problems) => {
            useGraphStore.getState().setProblems(problems);
            onProblems();
            onClose();
          }}
          onClose={onClose}
        />
      ) : which === 'evaluations' ? (
        <EvaluationsPanel flowId={flowId} canWrite={doc.editable} onClose={onClose} />
      ) : (
        <TriggersPanel flowId={flowId} canWrite={doc.editable} onClose={onClose} />
      )}
    </aside>
  );
}
