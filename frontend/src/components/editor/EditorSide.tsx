import { selectSelectedCount, selectSingleSelectedNodeId, useGraphStore } from '../../stores/graphStore';
import { NodePanel } from './NodePanel';
import type { RunFromHandler } from './NodeReuse';
import { ProblemsList } from './ProblemsList';
import { RunHistory } from './RunHistory';
import '../../pages/canvasPage.css';
import './panel.css';

export type SideTab = 'problems' | 'runs';

interface EditorSideProps {
  flowId: number;
  readOnly: boolean;
  /** What the node forms' pickers list from. */
  formContext: { teamId: number | null; flowId: number };
  tab: SideTab;
  onTab: (tab: SideTab) => void;
  /** Changes when the run history should be read again. */
  historyKey: number;
  onRunFrom?: RunFromHandler;
}

/** The side panel: the selected node, a multiple selection, or the flow's runs and problems. */
export function EditorSide({ flowId, readOnly, formContext, tab, onTab, historyKey, onRunFrom }: EditorSideProps) {
  const selectedNodeId = useGraphStore(selectSingleSelectedNodeId);
  const selectedCount = useGraphStore(selectSelectedCount);
  const problemCount = useGraphStore((s) => s.problems.length);
  return (
    <aside className="side">
      {selectedNodeId ? (
        <NodePanel nodeId={selectedNodeId} readOnly={readOnly} context={formContext} onRunFrom={onRunFrom} />
      ) : selectedCount > 1 ? (
        <div className="panel" data-testid="selection-panel">
          <header className="panel__header">
            <div className="panel__title">{selectedCount} nodes selected</div>
          </header>
          <div className="panel__body">
            <p className="muted small">Drag to move them together. Ctrl+C copies them (also into another flow or tab), Delete removes them.</p>
            {!readOnly && (
              <button type="button" className="button button--ghost-danger" onClick={() => useGraphStore.getState().deleteSelected()}>
                Delete {selectedCount} nodes
              </button>
            )}
          </div>
        </div>
      ) : (
        <div className="panel">
          <div className="tabs" role="tablist">
            <button type="button" role="tab" className="tab" aria-selected={tab === 'runs'} onClick={() => onTab('runs')} data-testid="runs-tab">
              Runs
            </button>
            <button type="button" role="tab" className="tab" aria-selected={tab === 'problems'} onClick={() => onTab('problems')} data-testid="problems-tab">
              Problems{problemCount ? ` (${problemCount})` : ''}
            </button>
          </div>
          <div className="panel__body panel__body--flush">
            {tab === 'problems' ? <ProblemsList /> : <RunHistory flowId={flowId} refreshKey={historyKey} />}
          </div>
          <p className="muted small pad side__hint">
            Select a node to edit it. Shift-drag selects many; Ctrl+C / Ctrl+V copy and paste, Ctrl+Z undoes.
          </p>
        </div>
      )}
    </aside>
  );
}
